"""Query to ranked hits: visual, figure and text channels fused by weighted reciprocal rank."""

from pagesight.retrieve.fusion import rrf
from pagesight.retrieve.retriever import Retriever, SearchResult
from pagesight.retrieve.text import search_text

__all__ = ["Retriever", "SearchResult", "rrf", "search_text"]
