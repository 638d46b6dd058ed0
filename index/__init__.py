"""Pages into vectors and vectors into Qdrant: encoders behind one interface per kind, the profiles
that name them, page-image storage, and the store (embedded Qdrant Edge, or a Qdrant server by URL)
that returns scored points and knows nothing of channels."""

from __future__ import annotations

from ..core.settings import Settings
from ..core.types import validate_collection_name
from .encoders import EncoderSpec, SentenceTransformerEncoder, TextEncoder
from .indexer import Indexer
from .layout import SearchFilter
from .points import DocumentVectors
from .profiles import Encoders, load_encoders, resolve_profile
from .store import CollectionSchema, Scored, Store

__all__ = [
    "CollectionSchema",
    "DocumentVectors",
    "EncoderSpec",
    "Encoders",
    "Indexer",
    "Scored",
    "SearchFilter",
    "SentenceTransformerEncoder",
    "Store",
    "TextEncoder",
    "collection_names",
    "load_encoders",
    "open_store",
    "resolve_profile",
]


def open_store(settings: Settings, collection: str | None = None) -> Store:
    """The collection's store: on the Qdrant server when a URL is set, else embedded under the data directory."""
    name = validate_collection_name(collection or settings.collection)
    if settings.qdrant_url:
        from .server import ClusterOptions, ServerStore, connect

        client = connect(settings.qdrant_url, settings.qdrant_api_key)
        return ServerStore(client, settings.collection_dir(name), name, where=settings.qdrant_url,
                           cluster=ClusterOptions.from_settings(settings))
    from .edge import EdgeStore

    return EdgeStore(settings.collection_dir(name), name)


def collection_names(settings: Settings) -> list[str]:
    """The collections that exist: PageSight's on the Qdrant server when a URL is set, else those of the
    data folder."""
    if settings.qdrant_url:
        from .server import connect, pagesight_collections

        return pagesight_collections(connect(settings.qdrant_url, settings.qdrant_api_key))
    folder = settings.data_dir / "collections"
    made = folder.iterdir() if folder.is_dir() else []
    return sorted(p.name for p in made if (p / "collection.json").is_file())
