"""Query to ranked pages: the channels (one table), fusion as a pure function, filters; evaluation
of retrieval and of answers on question sets."""

from .channels import CHANNELS, Channel, best_per_page
from .evaluate import AnswerReport, EvalReport, Question, evaluate, evaluate_answers, failures, read_questions
from .fusion import rrf
from .metrics import hit_at_k, mrr, ndcg_at_k, percentile, recall_at_k
from .retriever import Retriever

__all__ = ["CHANNELS", "AnswerReport", "Channel", "EvalReport", "Question", "Retriever", "best_per_page", "evaluate",
           "evaluate_answers", "failures", "hit_at_k", "mrr", "ndcg_at_k", "percentile", "read_questions",
           "recall_at_k", "rrf"]
