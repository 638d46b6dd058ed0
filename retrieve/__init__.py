"""Query to ranked hits: visual, figure, text and BM25 channels fused by weighted reciprocal rank;
retrieval evaluation."""

from pagesight.retrieve.evaluate import EvalReport, Question, evaluate, read_questions
from pagesight.retrieve.fusion import rrf
from pagesight.retrieve.retriever import Retriever, SearchResult

__all__ = ["EvalReport", "Question", "Retriever", "SearchResult", "evaluate", "read_questions", "rrf"]
