"""Query to ranked hits. For now the dense text channel; visual, figure, sparse and fusion follow."""

from pagesight.retrieve.text import search_text

__all__ = ["search_text"]
