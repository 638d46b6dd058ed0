"""The store interface: a collection of documents' pages, regions and vectors, whole or not at all.

Every point carries `state`: "pending" while a document is being written, "live" once all of its
points are in. Readers see only live points; opening a collection removes pending leftovers of a
crash and finishes replacements that were interrupted, so a document is visible whole or not at all.
"""

from __future__ import annotations

import logging
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from pagesight.core.errors import SchemaMismatch
from pagesight.core.types import Document, Hit, Page, Region
from pagesight.index.encoders import EncoderSpec, SparseVector
from pagesight.index.images import PageImages

__all__ = ["CollectionSchema", "DocumentVectors", "PageStorage", "Point", "SearchFilter", "Store", "held_vector",
           "point_id"]

log = logging.getLogger(__name__)

PAGE_VECTOR, PAGE_POOLED, IMAGE_VECTOR, TEXT_VECTOR, SPARSE_VECTOR = "page", "page_pooled", "image", "text", "bm25"
PENDING, LIVE = "pending", "live"
# Payload fields with an index: every filter PageSight makes runs on one of these.
KEYWORD_FIELDS = ("doc_id", "state", "kind", "tags", "file_name", "source")
INTEGER_FIELDS = ("page", "written_at")

_ID_NAMESPACE = uuid.UUID("8a3b1d52-5f0e-4c55-9f7e-2f4d1c9b6a10")


def point_id(doc_id: str, kind: str, page: int, index: int = 0) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{doc_id}/{kind}/{page}/{index}"))


def held_vector(v):
    """A vector read back from either backend, as PageSight holds vectors: a float32 array (dense,
    or rows of a multi-vector), or (indices, values) for a sparse one."""
    if hasattr(v, "indices"):
        return (list(v.indices), list(v.values))
    return np.asarray(v, dtype=np.float32)


_ENCODER_KINDS = ("text", "image", "page", "sparse")


@dataclass(frozen=True)
class PageStorage:
    """How page multi-vectors are kept: element type, quantization (searched with rescoring), and a
    pooled companion per page for a cheap first pass (mean: one row; clusters: pool_rows k-means
    centroids; tokens: hierarchical token pooling, about n / pool_factor rows)."""

    datatype: str = "float32"  # float32 | float16
    quantization: str = "none"  # none | scalar | binary
    pooling: str = "mean"  # none | mean | clusters | tokens
    pool_factor: int = 4
    pool_rows: int = 32

    @classmethod
    def from_settings(cls, settings) -> PageStorage:
        return cls(settings.page_datatype, settings.page_quantization, settings.page_pooling,
                   settings.page_pool_factor, settings.page_pool_rows)


@dataclass(frozen=True)
class CollectionSchema:
    """Which encoders built the collection; None where the profile has no such encoder."""

    text: EncoderSpec | None = None
    image: EncoderSpec | None = None
    page: EncoderSpec | None = None  # multi-vector (late interaction), compared with MaxSim
    sparse: EncoderSpec | None = None  # BM25 sparse vectors, IDF applied by the collection
    page_storage: PageStorage = field(default_factory=PageStorage)

    def to_json(self) -> dict:
        data = {k: (asdict(v) if v else None) for k, v in (("text", self.text), ("image", self.image),
                                                            ("page", self.page), ("sparse", self.sparse))}
        return {**data, "page_storage": asdict(self.page_storage)}

    @classmethod
    def from_json(cls, data: dict) -> CollectionSchema:
        specs = {k: EncoderSpec(**v) if v else None for k, v in data.items() if k in _ENCODER_KINDS}
        return cls(**specs, page_storage=PageStorage(**data.get("page_storage", {})))

    def check(self, wanted: CollectionSchema, collection: str) -> None:
        for kind in _ENCODER_KINDS:
            have, want = getattr(self, kind), getattr(wanted, kind)
            if want is not None and have != want:
                built = f"{have.name} ({have.revision}, {have.dim} dims)" if have else "no such encoder"
                raise SchemaMismatch(
                    f"collection {collection!r} was built with {kind} encoder {built}, but this profile uses "
                    f"{want.name} ({want.revision}, {want.dim} dims). Ingest into another collection "
                    f"(--collection NAME), or delete this one and ingest again with the new encoders."
                )


@dataclass(frozen=True)
class SearchFilter:
    """Restrictions applied inside the store's query (never to its results afterwards)."""

    doc_ids: tuple[str, ...] | None = None  # any of these documents
    tags: tuple[str, ...] | None = None  # documents carrying any of these tags
    pages: tuple[int | None, int | None] | None = None  # inclusive page range; None for an open end
    within: tuple[tuple[str, int], ...] | None = None  # any of these (document id, page number) pairs

    def is_empty_match(self) -> bool:
        """True when the filter can match nothing (an empty id or page list)."""
        return (self.doc_ids is not None and len(self.doc_ids) == 0) or (self.within is not None and not self.within)

    @staticmethod
    def parse_pages(text: str | None) -> tuple[int | None, int | None] | None:
        """'3-7', '3-', '-7' or '5' as an inclusive range; ValueError for anything else."""
        if not text:
            return None
        low, sep, high = text.strip().partition("-")
        try:
            start = int(low) if low else None
            end = (int(high) if high else None) if sep else start
        except ValueError:
            raise ValueError(f"page range {text!r}: use N, N-M, N- or -M") from None
        if (start is not None and start < 1) or (end is not None and end < 1) or (start, end) == (None, None):
            raise ValueError(f"page range {text!r}: pages are numbered from 1")
        return start, end


@dataclass
class Point:
    id: str
    vectors: dict[str, np.ndarray | SparseVector]  # name -> (dim,); "page": (n_tokens, dim); "bm25": sparse
    payload: dict


@dataclass
class DocumentVectors:
    """Vectors for one document; any part may be missing when the profile lacks that encoder."""

    page_text: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (dim,)
    passages: dict[int, list[Region]] = field(default_factory=dict)  # page number -> its passages (ingest.passages)
    passage_text: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (page, passage index) -> (dim,)
    page_image: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (dim,)
    page_multi: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (n_tokens, dim)
    page_pooled: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (n_pooled, dim)
    figure_image: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (page, figure index) -> (dim,)
    page_sparse: dict[int, SparseVector] = field(default_factory=dict)  # page number -> BM25 (indices, values)
    passage_sparse: dict[tuple[int, int], SparseVector] = field(default_factory=dict)


class Store(ABC):
    """One collection. Subclasses supply the primitive operations of a Qdrant backend."""

    # Pending points older than this are leftovers of a crash. The embedded store is owned by one
    # process, so any pending point it finds is one; on a shared server another process may be
    # writing a document right now, so only old ones are.
    stale_after_s: int = 0

    def __init__(self, folder: Path, name: str):
        self.folder = folder  # local: page images, and for the embedded backend the shard itself
        self.name = name
        self.images = PageImages(folder / "pages")
        self.schema: CollectionSchema | None = None

    # ---- primitives each backend implements -------------------------------------------------
    @abstractmethod
    def _load_schema(self) -> CollectionSchema | None:
        """The schema recorded with the collection, or None when there is no collection yet."""

    @abstractmethod
    def _create(self, schema: CollectionSchema) -> None:
        """Create the collection and record the schema with it."""

    @abstractmethod
    def _upsert(self, points: list[Point]) -> None: ...

    @abstractmethod
    def _set_state(self, doc_id: str, state: str) -> None: ...

    @abstractmethod
    def _delete(self, *, doc_id: str | None = None, state: str | None = None,
                written_before: int | None = None) -> None: ...

    @abstractmethod
    def _scroll(self, *, kind: str, page: int | None = None, state: str = LIVE, doc_id: str | None = None,
                source: str | None = None) -> list[dict]:
        """Payloads of matching points."""

    @abstractmethod
    def _search_dense(self, vector: np.ndarray | SparseVector, using: str, limit: int, kinds: tuple[str, ...],
                      flt: SearchFilter) -> list[tuple[float, dict]]:
        """Nearest live points of these kinds by one named vector, dense or sparse (indices, values)."""

    @abstractmethod
    def _search_pages(self, query: np.ndarray, limit: int, first_pass: str, candidates: int,
                      flt: SearchFilter) -> list[tuple[float, dict]]:
        """MaxSim over live page multi-vectors; first_pass: "none" (exact), "pooled" (prefetch on the
        pooled companions, then exact MaxSim) or "quantized" (quantized vectors, rescored)."""

    # ---- moving points between backends (index/migrate.py) ----

    def export_points(self, offset, limit: int, state: str = LIVE) -> tuple[list[Point], object]:
        """A batch of points in one state, with their vectors, and the offset of the next batch (None at the end)."""
        raise NotImplementedError(f"{type(self).__name__} cannot export points")

    def existing_ids(self, ids: list[str]) -> set[str]:
        raise NotImplementedError(f"{type(self).__name__} cannot look points up")

    def point_vectors(self, ids: list[str]) -> dict[str, dict]:
        """id -> {vector name: array, or (indices, values) for sparse}."""
        raise NotImplementedError(f"{type(self).__name__} cannot read vectors")

    def import_points(self, points: list[Point]) -> None:
        self._upsert(points)

    def count_state(self, state: str) -> int:
        raise NotImplementedError(f"{type(self).__name__} cannot count by state")

    def set_all_state(self, old: str, new: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot change states")

    def optimize(self) -> None:  # noqa: B027 (a no-op by default: a server optimises by itself)
        """Build indexes and quantized copies now rather than in the background (embedded store)."""

    @abstractmethod
    def count(self) -> int:
        """All points, of every state: for tests and diagnostics."""

    @abstractmethod
    def close(self) -> None: ...

    # ---- the collection's life --------------------------------------------------------------
    def ensure_schema(self, wanted: CollectionSchema) -> None:
        """Create the collection for these encoders, or check that it was built with them."""
        if self.schema is None:
            self._create(wanted)
            self.schema = wanted
        else:
            self.schema.check(wanted, self.name)

    def recover(self) -> None:
        """Undo what a crash left half done: pending points, interrupted replacements, stray files."""
        if self.schema is None:
            self.images.clear_staging(older_than=int(time.time()) - self.stale_after_s)
            return
        cutoff = int(time.time()) - self.stale_after_s
        self._delete(state=PENDING, written_before=cutoff + 1)
        live = {p["doc_id"]: p for p in self._scroll(kind="page", page=1)}
        for doc_id, payload in list(live.items()):
            for old in payload.get("replaces", []):
                if old in live and old != doc_id:
                    log.info("finishing an interrupted replacement: removing %s", old)
                    self._delete(doc_id=old)
                    self.images.remove(old)
                    live.pop(old)
        self.images.remove_orphans(set(live), older_than=cutoff)
        self.images.clear_staging(older_than=cutoff)

    # ---- documents --------------------------------------------------------------------------
    def add_document(self, doc: Document, pages: list[Page], vectors: DocumentVectors, staging: Path,
                     replaces: list[str] = ()) -> None:
        """Index a document whole, then drop the versions it replaces. On failure nothing of it remains."""
        try:
            self.images.publish(doc.id, staging)
            self._upsert(self._points(doc, pages, vectors, list(replaces)))
            self._set_state(doc.id, LIVE)
        except BaseException:
            self._delete(doc_id=doc.id)
            self.images.remove(doc.id)
            raise
        for old in replaces:
            self.delete_document(old)

    def delete_document(self, doc_id: str) -> bool:
        if self.get_document(doc_id) is None:
            return False
        self._delete(doc_id=doc_id)
        self.images.remove(doc_id)
        return True

    def get_document(self, doc_id: str) -> Document | None:
        if self.schema is None:
            return None
        found = self._scroll(kind="page", page=1, doc_id=doc_id)
        return _document(found[0]) if found else None

    def documents(self) -> list[Document]:
        if self.schema is None:
            return []
        docs = [_document(p) for p in self._scroll(kind="page", page=1)]
        return sorted(docs, key=lambda d: (d.file_name.lower(), d.id))

    def documents_from(self, source: str) -> list[Document]:
        if self.schema is None:
            return []
        return [_document(p) for p in self._scroll(kind="page", page=1, source=source)]

    def pages(self, doc_id: str) -> list[Page]:
        payloads = self._scroll(kind="page", doc_id=doc_id)
        return sorted((Page(**p["page_data"]) for p in payloads), key=lambda p: p.number)

    def page(self, doc_id: str, number: int) -> Page | None:
        found = self._scroll(kind="page", page=number, doc_id=doc_id)
        return Page(**found[0]["page_data"]) if found else None

    def image_path(self, relative: str) -> Path:
        return self.folder / relative

    def search_text(self, vector: np.ndarray, limit: int = 10, flt: SearchFilter = SearchFilter()) -> list[Hit]:
        """Dense text search over page text and passages; the best region per page."""
        return self._search_channel("text", vector, limit, flt)

    def search_sparse(self, vector: SparseVector, limit: int = 10, flt: SearchFilter = SearchFilter()) -> list[Hit]:
        """BM25 over page text and passages (the collection applies IDF); the best region per page."""
        if not vector[0]:  # only stopwords: nothing to match
            return []
        return self._search_channel("bm25", vector, limit, flt)

    def search_images(self, vector: np.ndarray, limit: int = 10, flt: SearchFilter = SearchFilter()) -> list[Hit]:
        """CLIP-space search over figures and whole pages; the best region per page."""
        return self._search_channel("figure", vector, limit, flt)

    # channel -> (schema field it needs, named vector, point kinds it searches)
    _CHANNELS = {
        "text": ("text", TEXT_VECTOR, ("page", "block")),
        "bm25": ("sparse", SPARSE_VECTOR, ("page", "block")),
        "figure": ("image", IMAGE_VECTOR, ("page", "figure")),
    }

    def _search_channel(self, channel: str, vector, limit: int, flt: SearchFilter) -> list[Hit]:
        needs, using, kinds = self._CHANNELS[channel]
        if self.schema is None or getattr(self.schema, needs) is None or flt.is_empty_match():
            return []
        # Blocks and figures compete with their pages: ask for more points than pages wanted.
        return self._best_per_page(self._search_dense(vector, using, limit * 4, kinds, flt), channel, limit)

    def search_pages(self, query: np.ndarray, limit: int = 10, *, first_pass: str = "none",
                     candidates: int = 100, flt: SearchFilter = SearchFilter()) -> list[Hit]:
        """Pages by late-interaction score with the query's multi-vector (n_q_tokens, dim)."""
        if self.schema is None or self.schema.page is None or flt.is_empty_match():
            return []
        if first_pass == "pooled" and self.schema.page_storage.pooling == "none":
            raise ValueError(f"collection {self.name!r} has no pooled page vectors (page_pooling is none)")
        if first_pass == "quantized" and self.schema.page_storage.quantization == "none":
            raise ValueError(f"collection {self.name!r} keeps no quantized page vectors")
        found = self._search_pages(np.asarray(query, dtype=np.float32), limit, first_pass, max(candidates, limit), flt)
        return self._best_per_page(found, "visual", limit)

    def _best_per_page(self, found: list[tuple[float, dict]], channel: str, limit: int) -> list[Hit]:
        """One hit per page, its best-scoring point (a region when a block or figure won)."""
        best: dict[tuple[str, int], Hit] = {}
        for score, p in found:
            key = (p["doc_id"], p["page"])
            if key in best and best[key].score >= score:
                continue
            best[key] = Hit(
                doc_id=p["doc_id"], file_name=p["file_name"], page=p["page"], score=score, channels=[channel],
                text=p.get("text", "")[:500], image_path=str(self.image_path(p["image"])), region=p.get("region"),
            )
        return sorted(best.values(), key=lambda h: -h.score)[:limit]

    def _points(self, doc: Document, pages: list[Page], vectors: DocumentVectors, replaces: list[str]) -> list[Point]:
        base = {
            "doc_id": doc.id, "file_name": doc.file_name, "source": doc.source, "tags": doc.tags, "state": PENDING,
            "written_at": int(time.time()),
        }
        document = doc.model_dump(mode="json")
        points = []
        for page in pages:
            image = self.images.relative(doc.id, page.image)
            named = {}
            if page.number in vectors.page_text:
                named[TEXT_VECTOR] = vectors.page_text[page.number]
            if page.number in vectors.page_image:
                named[IMAGE_VECTOR] = vectors.page_image[page.number]
            if page.number in vectors.page_multi:
                named[PAGE_VECTOR] = vectors.page_multi[page.number]
            if page.number in vectors.page_pooled:
                named[PAGE_POOLED] = vectors.page_pooled[page.number]
            if page.number in vectors.page_sparse:
                named[SPARSE_VECTOR] = vectors.page_sparse[page.number]
            points.append(Point(point_id(doc.id, "page", page.number), named, {
                **base, "kind": "page", "page": page.number, "text": page.text, "image": image,
                "thumbnail": self.images.relative(doc.id, page.thumbnail), "text_source": page.text_source,
                "page_data": page.model_dump(mode="json"), "document": document, "replaces": replaces,
            }))
            for i, block in enumerate(vectors.passages.get(page.number, [])):
                key = (page.number, i)
                named = {name: found[key] for name, found in ((TEXT_VECTOR, vectors.passage_text),
                                                               (SPARSE_VECTOR, vectors.passage_sparse)) if key in found}
                if named:
                    points.append(Point(point_id(doc.id, "block", page.number, i), named, {
                        **base, "kind": "block", "page": page.number, "text": block.text, "image": image,
                        "region": block.model_dump(mode="json"),
                    }))
            for i, figure in enumerate(page.figures):
                if (page.number, i) in vectors.figure_image:
                    points.append(Point(point_id(doc.id, "figure", page.number, i),
                                        {IMAGE_VECTOR: vectors.figure_image[(page.number, i)]}, {
                        **base, "kind": "figure", "page": page.number, "image": image,
                        "crop": self.images.relative(doc.id, figure.image or ""),
                        "region": figure.model_dump(mode="json"),
                    }))
        return points

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _document(payload: dict) -> Document:
    return Document(**payload["document"])


def now() -> datetime:
    return datetime.now(timezone.utc)
