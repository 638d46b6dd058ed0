"""The channels, in one table: what each needs of the profile and the collection, how it encodes a
query, which points it searches; and how scored points become one hit per page.

- visual: late interaction over page multi-vectors (ColQwen2 / ColPali): a pooled first pass picks
  candidates, exact MaxSim ranks them;
- figure: CLIP text-to-image over figure crops and whole pages;
- text: the sentence encoder over page text and passages;
- bm25: Qdrant's BM25 sparse vectors over the same text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core.types import Hit, Region
from ..index.layout import IMAGE_VECTOR, SPARSE_VECTOR, TEXT_VECTOR, SearchFilter
from ..index.store import Scored, Store

__all__ = ["CHANNELS", "Channel", "available", "best_per_page", "complete"]


@dataclass(frozen=True)
class Channel:
    name: str
    encoder: str  # the Encoders attribute it needs, which is also the CollectionSchema field
    encode: Callable  # (encoders, query) -> the query's vector
    search: Callable  # (store, vector, limit, SearchFilter, settings) -> list[Scored]
    # (encoders, PIL image) -> a picture asked as the question, as this channel's vector; None: the channel
    # searches a picture by the words read in it
    encode_picture: Callable | None = None


def _dense(using: str, kinds: tuple[str, ...]) -> Callable:
    def search(store: Store, vector, limit: int, flt: SearchFilter, settings) -> list[Scored]:
        # Passages and figures compete with their pages: ask for more points than pages wanted.
        return store.search(using, vector, limit * 4, kinds, flt)

    return search


def _pages(store: Store, matrix, limit: int, flt: SearchFilter, settings) -> list[Scored]:
    storage = store.schema.page_storage
    first_pass = "pooled" if storage.pooling != "none" else "quantized" if storage.quantization != "none" else "none"
    return store.search_pages(matrix, limit, first_pass=first_pass, candidates=settings.visual_candidates, flt=flt)


# In the order searches run: BM25 last, since in fused search it may rank the others' pages.
CHANNELS: dict[str, Channel] = {c.name: c for c in (
    # A picture is embedded as a page is (its multi-vector against the pages' by MaxSim), and by CLIP as an
    # image against figures and pages.
    Channel("visual", "page", lambda e, q: e.page.encode_queries([q])[0], _pages,  # (n_query_tokens, dim)
            lambda e, image: e.page.encode_pages([image])[0]),
    Channel("figure", "image", lambda e, q: e.image.encode_texts([q])[0], _dense(IMAGE_VECTOR, ("page", "figure")),
            lambda e, image: e.image.encode_images([image])[0]),
    Channel("text", "text", lambda e, q: e.text.encode([q], query=True)[0], _dense(TEXT_VECTOR, ("page", "block"))),
    Channel("bm25", "sparse", lambda e, q: e.sparse.encode_query(q), _dense(SPARSE_VECTOR, ("page", "block"))),
)}


def available(encoders: set[str], schema, profile: str, only=None) -> tuple[list[str], dict[str, str]]:
    """The channels that can run, in the table's order (of `only`, when given), and why each other cannot:
    `encoders` are the kinds the profile has (text, sparse, image, page), `schema` what built the collection."""
    runnable, skipped = [], {}
    for name, channel in CHANNELS.items():
        if only is not None and name not in only:
            continue
        if channel.encoder not in encoders:
            skipped[name] = f"the {profile} profile has no encoder for it"
        elif schema is None or getattr(schema, channel.encoder) is None:
            skipped[name] = "the collection was built without it"
        else:
            runnable.append(name)
    return runnable, skipped


def best_per_page(found: list[Scored], channel: str, limit: int, store: Store) -> list[Hit]:
    """One hit per page, from its best-scoring point (a region when a passage or figure won), best first.
    The hits name their point; `complete` reads its text, region and image for those a search returns."""
    best: dict[tuple[str, int], Scored] = {}
    for point in found:
        key = (point.payload["doc_id"], point.payload["page"])
        if key not in best or point.score > best[key].score:
            best[key] = point
    hits = []
    # Equal scores (the same passage on several pages) in a fixed order: the engine's order of ties
    # depends on its query plan, and would make rankings differ between equivalent searches.
    for (doc_id, page), point in sorted(best.items(), key=lambda item: (-item[1].score, item[0])):
        doc = store.get_document(doc_id)
        if doc is None:  # deleted while this search ran
            continue
        hits.append(Hit(doc_id=doc_id, file_name=doc.file_name, page=page, score=point.score, channels=[channel],
                        point=point.id))
        if len(hits) == limit:
            break
    return hits


def complete(hits: list[Hit], store: Store) -> list[Hit]:
    """The hits with what their points hold: the text that matched, its region, the page's image."""
    payloads = store.payloads([h.point for h in hits if h.point])
    done = []
    for hit in hits:
        payload = payloads.get(hit.point)
        if payload is None:  # deleted since it was found
            continue
        region = payload.get("region")
        done.append(hit.model_copy(update={"text": payload.get("text", ""),
                                           "image_path": str(store.image_path(payload["image"])),
                                           "region": Region(**region) if region else None}))
    return done
