"""Query to ranked hits: visual, figure, text and BM25 channels fused by weighted reciprocal rank;
retrieval and answer evaluation."""

from pagesight.retrieve.evaluate import AnswerReport, EvalReport, Question, evaluate, evaluate_answers, read_questions
from pagesight.retrieve.fusion import rrf
from pagesight.retrieve.retriever import Retriever, SearchResult

__all__ = ["AnswerReport", "EvalReport", "Question", "Retriever", "SearchResult", "evaluate", "evaluate_answers",
           "read_questions", "rrf"]
