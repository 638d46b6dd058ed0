"""The store: one collection of documents' pages, regions and vectors, whole or not at all.

Every point carries `state`: "pending" while a document is being written, "live" once all of its
points are in. Readers see only live points; opening a collection removes pending leftovers of a
crash and finishes replacements that were interrupted, so a document is visible whole or not at all.

The store answers with scored points (a score and a payload); what a point means to a search (a
channel, a page's best region) is retrieval's business. The two backends (edge.py, server.py)
implement the primitives at the bottom of `Store`, translating the descriptions of layout.py.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..core.errors import SchemaMismatch
from ..core.types import Document, Page
from .catalog import Catalog, Known
from .encoders import EncoderSpec
from .images import PageImages
from .layout import (
    EVERYWHERE,
    LIVE,
    PENDING,
    AllOf,
    Condition,
    Match,
    MatchAny,
    Range,
    Search,
    SearchFilter,
    VectorSpec,
    equals,
    nearest,
    page_search,
    vector_layout,
)
from .points import DocumentVectors, Point, document_point, document_points

__all__ = ["LAYOUT", "CollectionSchema", "PageStorage", "Plan", "Record", "Scored", "Store", "held_vector", "now"]

log = logging.getLogger(__name__)

# The point layout (layout.py) a new collection gets; an older one is upgraded in place on open.
# 1: document metadata on every point; 2: once per document, on a point of its own; 3: the document's
# point also says how many passages each page has, so the ids of a page's points are known unread.
LAYOUT = 3

_SCROLL_BATCH = 256
_LOCATED_MAX = 2_000_000  # points whose place is cached (~150 bytes each); past it, the cache starts again


def held_vector(v):
    """A vector read back from either backend, as PageSight holds vectors: a float32 array (dense,
    or rows of a multi-vector), or (indices, values) for a sparse one."""
    if hasattr(v, "indices"):
        return (list(v.indices), list(v.values))
    return np.asarray(v, dtype=np.float32)


def now() -> datetime:
    return datetime.now(timezone.utc)


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
    """Which encoders built the collection (None where the profile has no such encoder), how its page
    vectors are stored, and the point layout it was written in."""

    text: EncoderSpec | None = None
    image: EncoderSpec | None = None
    page: EncoderSpec | None = None  # multi-vector (late interaction), compared with MaxSim
    sparse: EncoderSpec | None = None  # BM25 sparse vectors, IDF applied by the collection
    page_storage: PageStorage = field(default_factory=PageStorage)
    layout: int = LAYOUT

    def to_json(self) -> dict:
        data = {k: (asdict(getattr(self, k)) if getattr(self, k) else None) for k in _ENCODER_KINDS}
        return {**data, "page_storage": asdict(self.page_storage), "layout": self.layout}

    @classmethod
    def from_json(cls, data: dict) -> CollectionSchema:
        specs = {k: EncoderSpec.from_json(v) if v else None for k, v in data.items() if k in _ENCODER_KINDS}
        return cls(**specs, page_storage=PageStorage(**data.get("page_storage", {})), layout=data.get("layout", 1))

    def check(self, wanted: CollectionSchema, collection: str) -> None:
        """SchemaMismatch unless every encoder `wanted` names is the one this collection was built with."""
        for kind in _ENCODER_KINDS:
            have, want = getattr(self, kind), getattr(wanted, kind)
            if want is not None and have != want:
                built = have.describe() if have else "no such encoder"
                raise SchemaMismatch(
                    f"collection {collection!r} was built with {kind} encoder {built}, but this profile uses "
                    f"{want.describe()}. Ingest into another collection (--collection NAME), or delete this one "
                    "and ingest again with the new encoders."
                )


class Record(NamedTuple):
    id: str
    payload: dict
    vectors: dict | None  # as held_vector gives them, when asked for


class Scored(NamedTuple):
    score: float
    payload: dict  # from a search: {"doc_id", "page"} alone (Store.payloads gives the rest)
    id: str = ""


class Plan(NamedTuple):
    """The engine's search for a `Store.search`, and the place of each point it may find when the listed
    pages' point ids are known (else each point found is located by reading it, once)."""

    search: Search
    places: dict[str, tuple[str, int]] | None = None


class Store(ABC):
    """One collection. Public methods are safe to call from several threads (one lock: the embedded
    engine is not documented as safe for concurrent use, and each call takes milliseconds). Writers
    also take `write_lock` first, which an index build holds for its whole length while searches go on
    under `lock` alone."""

    # Pending points older than this are leftovers of a crash. The embedded store is owned by one
    # process, so any pending point it finds is one; on a shared server another process may be
    # writing a document right now, so only old ones are.
    stale_after_s: int = 0

    def __init__(self, folder: Path, name: str):
        self.folder = folder  # local: page images, and for the embedded backend the shard itself
        self.name = name
        self.images = PageImages(folder / "pages")
        self.schema: CollectionSchema | None = None
        self.lock = threading.RLock()
        self.write_lock = threading.RLock()  # always taken before `lock`, never after
        # Where each point found so far lies: (document id, page). Searches ask the engine for ids alone,
        # since reading a point's payload costs more than finding it (on-disk payloads: ~25 us a point);
        # a point's place never changes (its id is derived from it), so what is cached stays true.
        self._located: dict[str, tuple[str, int]] = {}
        self.known = Known()  # the documents read so far, their passage counts, the catalog (catalog.py)

    # ---- the collection's life --------------------------------------------------------------
    def ensure_schema(self, wanted: CollectionSchema) -> None:
        """Create the collection for these encoders, or check that it was built with them."""
        with self._writing():
            if self.schema is None:
                dense, sparse = vector_layout(wanted, on_disk=self._vectors_on_disk)
                self._create(dense, sparse, wanted)
                self.schema = wanted
            else:
                self.schema.check(wanted, self.name)

    def recover(self) -> None:
        """Undo what a crash left half done: pending points, interrupted replacements, stray files."""
        with self._writing():
            cutoff = int(time.time()) - self.stale_after_s
            if self.schema is None:
                self.images.clear_staging(older_than=cutoff)
                return
            self._delete(AllOf((Match("state", PENDING), Range("written_at", lt=cutoff + 1))))
            if self.schema.layout < LAYOUT:
                self._upgrade_layout()
            live = {p["doc_id"]: p for p in self._payloads(equals(kind="document", state=LIVE))}
            for doc_id, payload in list(live.items()):
                for old in payload.get("replaces", []):
                    if old in live and old != doc_id:
                        log.info("finishing an interrupted replacement: removing %s", old)
                        self._delete(equals(doc_id=old))
                        self.images.remove(old)
                        live.pop(old)
            self.images.remove_orphans(set(live), older_than=cutoff)
            self.images.clear_staging(older_than=cutoff)

    @contextmanager
    def _writing(self):
        with self.write_lock, self.lock:
            yield

    def _changed(self) -> None:  # noqa: B027 (the embedded store notes that its indexes are behind)
        """Points were written or deleted since the indexes were last built."""

    @property
    def unoptimised(self) -> bool:
        """Whether points were written since the indexes were last built (a server builds its own: never)."""
        return False

    def _upgrade_layout(self) -> None:
        """Layout 1 kept each document's metadata in its pages' payloads: give every document its point.
        Layout 2's document points lack their pages' passage counts: count the passage points."""
        counts = self._count_passages()
        if self.schema.layout < 2:
            points = []
            for payload in self._payloads(equals(kind="page", page=1, state=LIVE)):
                doc = Document(**payload["document"])
                points.append(document_point(doc, payload.get("replaces", []), LIVE, counts.get(doc.id, [])))
            self._upsert(points)
        else:
            for doc_id, passages in counts.items():
                self._set_payload(equals(kind="document", doc_id=doc_id), {"passages": passages})
        self.schema = CollectionSchema(**{**self.schema.__dict__, "layout": LAYOUT})
        self._save_schema(self.schema)
        log.info("collection %r: %d documents moved to the current layout", self.name, len(counts))

    def _count_passages(self) -> dict[str, list[int]]:
        """Each live document's passages a page (page 1 first), from its passage points (their place alone)."""
        found: dict[str, Counter] = defaultdict(Counter)
        for payload in self._payloads(equals(kind="block", state=LIVE), fields=("doc_id", "page")):
            found[payload["doc_id"]][payload["page"]] += 1
        for payload in self._payloads(equals(kind="page", state=LIVE), fields=("doc_id", "page")):
            found[payload["doc_id"]][payload["page"]] += 0  # a page without passages still has its place
        return {doc: [pages[n] for n in range(1, max(pages) + 1)] for doc, pages in found.items()}

    # ---- documents --------------------------------------------------------------------------
    def add_document(self, doc: Document, pages: list[Page], vectors: DocumentVectors, staging: Path,
                     replaces: list[str] = ()) -> None:
        """Index a document whole, then drop the versions it replaces. On failure nothing of it remains."""
        points = document_points(doc, pages, vectors, list(replaces), self.images)
        with self._writing():
            try:
                self.images.publish(doc.id, staging)
                self._upsert(points)
                # One operation in the write-ahead log: after a crash it is replayed whole or not at all.
                self._set_payload(equals(doc_id=doc.id), {"state": LIVE})
            except BaseException:
                self._delete(equals(doc_id=doc.id))
                self.images.remove(doc.id)
                raise
            self.known.added(doc, points[0].payload["passages"])
            self._changed()
            for old in replaces:
                self.delete_document(old)

    def delete_document(self, doc_id: str) -> bool:
        with self._writing():
            if self.get_document(doc_id) is None:
                return False
            self.known.forget(doc_id)
            self._delete(equals(doc_id=doc_id))
            self.images.remove(doc_id)
            self._changed()
            return True

    def get_document(self, doc_id: str) -> Document | None:
        with self.lock:
            if doc_id in self.known.documents:
                return self.known.documents[doc_id]
            if self.schema is None:
                return None
            found = self._payloads(equals(kind="document", doc_id=doc_id, state=LIVE))
            return self.known.remember(found[0]) if found else None

    def documents(self, tags: tuple[str, ...] | None = None) -> list[Document]:
        """The live documents, by file name; with `tags`, those carrying any of them."""
        if self.schema is None:
            return []
        must: list[Condition] = [Match("kind", "document"), Match("state", LIVE)]
        if tags:
            must.append(MatchAny("tags", tuple(tags)))
        with self.lock:
            docs = [self.known.remember(p) for p in self._payloads(AllOf(tuple(must)))]
        return sorted(docs, key=lambda d: (d.file_name.lower(), d.id))

    def catalog(self, fresh: bool = False) -> Catalog:
        """The live documents as every search reads them (the documents a question names, the documents a
        filter keeps): listing thousands of documents costs more than the search, so the listing is kept
        until this process writes, or for catalog.NAMES_TTL_S (another process may write to a server's
        collection); `fresh`: read now."""
        with self.lock:
            return self.known.catalog(self.documents, fresh)

    def file_names(self) -> Mapping[str, str]:
        """The live documents' file names by id, in `documents()`' order (as of catalog())."""
        return self.catalog().names

    def documents_from(self, source: str) -> list[Document]:
        if self.schema is None:
            return []
        with self.lock:
            return [Document(**p["document"]) for p in self._payloads(equals(kind="document", state=LIVE,
                                                                             source=source))]

    def pages(self, doc_id: str, first: int | None = None, last: int | None = None) -> list[Page]:
        """A document's pages in order; with `first` or `last`, those between them (inclusive), in one read."""
        condition = equals(kind="page", doc_id=doc_id, state=LIVE)
        if first is not None or last is not None:
            condition = AllOf((*condition.conditions, Range("page", gte=first, lte=last)))
        with self.lock:
            payloads = self._payloads(condition) if self.schema else []
        return sorted((Page(**p["page_data"]) for p in payloads), key=lambda p: p.number)

    def page(self, doc_id: str, number: int) -> Page | None:
        with self.lock:
            found = self._payloads(equals(kind="page", doc_id=doc_id, page=number, state=LIVE)) if self.schema else []
        return Page(**found[0]["page_data"]) if found else None

    def image_path(self, relative: str) -> Path:
        return self.folder / relative

    # ---- searches ---------------------------------------------------------------------------
    def search(self, using: str, vector, limit: int, kinds: tuple[str, ...],
               flt: SearchFilter = EVERYWHERE) -> list[Scored]:
        """Live points of these kinds nearest to `vector` by the named vector (dense, or sparse as
        (indices, values)), best first. Empty when the collection lacks that vector."""
        plan = self.plan(using, vector, limit, kinds, flt)
        if plan is None:
            return []
        with self.lock:
            found = self._query(plan.search, payload=False)
            if plan.places is None:
                return self._locate(found)
        return [Scored(s.score, {"doc_id": place[0], "page": place[1]}, s.id)
                for s in found if (place := plan.places.get(s.id)) is not None]

    def plan(self, using: str, vector, limit: int, kinds: tuple[str, ...],
             flt: SearchFilter = EVERYWHERE) -> Plan | None:
        """The engine's search that `search` runs (layout.nearest), None when it can find nothing: listed
        pages are named by their points' ids when their documents' passage counts are known; figures,
        or a document written without its counts, by a condition a page."""
        if self.schema is None or flt.matches_nothing() or not self._has_vector(using):
            return None
        if isinstance(vector, tuple) and not vector[0]:  # a sparse vector without terms matches nothing
            return None
        if flt.within is None or "figure" in kinds:
            return Plan(nearest(using, vector, limit, kinds, flt))
        with self.lock:
            places = self.known.places(flt.within, self.get_document)
        if places is None:
            return Plan(nearest(using, vector, limit, kinds, flt))
        if not places:  # none of the listed pages exists
            return None
        return Plan(nearest(using, vector, limit, kinds, flt, ids=tuple(places)), places)

    def payloads(self, ids: list[str]) -> dict[str, dict]:
        """The whole payloads of these points (text, region, image...), by id; deleted ones are missing."""
        if not ids:
            return {}
        with self.lock:
            return {r.id: r.payload for r in self._retrieve(ids, vectors=False, payload=True)}

    def _locate(self, found: list[Scored]) -> list[Scored]:
        """Each point found with its document and page (from the cache, else read once)."""
        missing = [s.id for s in found if s.id not in self._located]
        if missing:
            if len(self._located) > _LOCATED_MAX:
                self._located.clear()
            for record in self._retrieve(missing, vectors=False, payload=True):
                self._located[record.id] = (record.payload["doc_id"], record.payload["page"])
        return [Scored(s.score, {"doc_id": place[0], "page": place[1]}, s.id)
                for s in found if (place := self._located.get(s.id)) is not None]

    def search_pages(self, query: np.ndarray, limit: int, *, first_pass: str = "none", candidates: int = 100,
                     flt: SearchFilter = EVERYWHERE) -> list[Scored]:
        """Page points by late-interaction score with the query's multi-vector (n_q_tokens, dim), by the
        first pass named (layout.page_search)."""
        if self.schema is None or self.schema.page is None or flt.matches_nothing():
            return []
        storage = self.schema.page_storage
        if first_pass == "pooled" and storage.pooling == "none":
            raise ValueError(f"collection {self.name!r} has no pooled page vectors (page_pooling is none)")
        if first_pass == "quantized" and storage.quantization == "none":
            raise ValueError(f"collection {self.name!r} keeps no quantized page vectors")
        search = page_search(np.asarray(query, dtype=np.float32), limit, flt, first_pass=first_pass,
                             candidates=candidates)
        with self.lock:
            return self._locate(self._query(search, payload=False))

    def _has_vector(self, using: str) -> bool:
        dense, sparse = vector_layout(self.schema)
        return using in {v.name for v in dense} | set(sparse)

    # ---- moving points between backends (migrate.py) -----------------------------------------
    def export_points(self, offset, limit: int, state: str = LIVE) -> tuple[list[Point], object]:
        """A batch of points in one state, with their vectors, and the offset of the next batch (None at the end)."""
        with self.lock:
            records, offset = self._scroll(equals(state=state), offset=offset, limit=limit, vectors=True)
        return [Point(r.id, r.vectors or {}, r.payload) for r in records], offset

    def existing_ids(self, ids: list[str]) -> set[str]:
        with self.lock:
            return {r.id for r in self._retrieve(ids, vectors=False)}

    def point_vectors(self, ids: list[str]) -> dict[str, dict]:
        """id -> {vector name: array, or (indices, values) for sparse}."""
        with self.lock:
            return {r.id: r.vectors or {} for r in self._retrieve(ids, vectors=True)}

    def import_points(self, points: list[Point]) -> None:
        with self._writing():
            self._upsert(points)
            self.known.changed()
            self._changed()

    def count_state(self, state: str) -> int:
        if self.schema is None:
            return 0
        with self.lock:
            return self._count(equals(state=state))

    def set_all_state(self, old: str, new: str) -> None:
        with self._writing():
            self._set_payload(equals(state=old), {"state": new})
            self.known.clear()
            self._changed()

    def count(self) -> int:
        """All points, of every state: for tests and diagnostics."""
        if self.schema is None:
            return 0
        with self.lock:
            return self._count(None)

    def optimize(self, cancel=None) -> None:  # noqa: B027 (a no-op by default: a server optimises by itself)
        """Build indexes and quantized copies now rather than in the background (embedded store); `cancel`
        (a threading.Event) set, the build stops and the collection stays as it was."""

    # ---- points of a document ---------------------------------------------------------------
    def _payloads(self, condition: Condition, fields: tuple[str, ...] | None = None) -> list[dict]:
        """The payloads of every matching point (only these fields of them, when given)."""
        out, offset = [], None
        while True:
            records, offset = self._scroll(condition, offset=offset, limit=_SCROLL_BATCH, fields=fields)
            out.extend(r.payload for r in records)
            if offset is None:
                return out

    # ---- primitives each backend implements --------------------------------------------------
    _vectors_on_disk: bool = False  # text and image vectors on disk too (a server's option)

    @abstractmethod
    def _load_schema(self) -> CollectionSchema | None:
        """The schema recorded with the collection, or None when there is no collection yet."""

    @abstractmethod
    def _create(self, dense: list[VectorSpec], sparse: list[str], schema: CollectionSchema) -> None:
        """Create the collection with these vectors and the payload indexes, and record the schema."""

    @abstractmethod
    def _save_schema(self, schema: CollectionSchema) -> None:
        """Record a changed schema (a layout upgrade) with the existing collection."""

    @abstractmethod
    def _upsert(self, points: list[Point]) -> None: ...

    @abstractmethod
    def _set_payload(self, condition: Condition, values: dict) -> None:
        """Set these payload fields on every matching point, in one operation."""

    @abstractmethod
    def _delete(self, condition: Condition) -> None: ...

    @abstractmethod
    def _scroll(self, condition: Condition, *, offset=None, limit: int = _SCROLL_BATCH, vectors: bool = False,
                fields: tuple[str, ...] | None = None) -> tuple[list[Record], object]:
        """A batch of matching points and the offset of the next (None at the end); `fields`: only these
        fields of their payloads."""

    @abstractmethod
    def _retrieve(self, ids: list[str], *, vectors: bool, payload: bool = False) -> list[Record]: ...

    @abstractmethod
    def _query(self, search: Search, *, payload: bool = True) -> list[Scored]: ...

    @abstractmethod
    def _count(self, condition: Condition | None) -> int: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
