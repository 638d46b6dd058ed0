"""Encoders, page-image storage and the Qdrant store (embedded Qdrant Edge; server by URL)."""

from __future__ import annotations

from pagesight.core.settings import Settings
from pagesight.core.types import validate_collection_name
from pagesight.index.encoders import EncoderSpec, SentenceTransformerEncoder, TextEncoder
from pagesight.index.profiles import Encoders, load_encoders, resolve_profile
from pagesight.index.store import CollectionSchema, DocumentVectors, Store

__all__ = [
    "CollectionSchema",
    "DocumentVectors",
    "EncoderSpec",
    "Encoders",
    "SentenceTransformerEncoder",
    "Store",
    "TextEncoder",
    "load_encoders",
    "open_store",
    "resolve_profile",
]


def open_store(settings: Settings, collection: str | None = None) -> Store:
    """The collection's store: on the Qdrant server when a URL is set, else embedded under the data directory."""
    name = validate_collection_name(collection or settings.collection)
    if settings.qdrant_url:
        from pagesight.index.server import ClusterOptions, ServerStore, connect

        client = connect(settings.qdrant_url, settings.qdrant_api_key)
        return ServerStore(client, settings.collection_dir(name), name, where=settings.qdrant_url,
                           cluster=ClusterOptions.from_settings(settings))
    from pagesight.index.edge import EdgeStore

    return EdgeStore(settings.collection_dir(name), name)
