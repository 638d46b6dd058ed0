"""The dense text channel: the sentence encoder over page text and text blocks."""

from __future__ import annotations

from pagesight.core.types import Hit
from pagesight.index.encoders import TextEncoder
from pagesight.index.store import CollectionSchema, Store

__all__ = ["search_text"]


def search_text(store: Store, encoder: TextEncoder, query: str, k: int = 5) -> list[Hit]:
    """The k best pages for `query`, one hit per page, each with its best-matching text."""
    if store.schema is None:
        return []
    store.schema.check(CollectionSchema(text=encoder.spec), store.name)
    vector = encoder.encode([query], query=True)[0]  # (dim,)
    return store.search_text(vector, limit=k)
