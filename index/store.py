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
import uuid
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from ..core.errors import SchemaMismatch
from ..core.types import Document, Page, PageRange, Region
from .encoders import EncoderSpec, SparseVector
from .images import PageImages
from .layout import (
    IMAGE_VECTOR,
    LIVE,
    PAGE_POOLED,
    PAGE_VECTOR,
    PENDING,
    SPARSE_VECTOR,
    TEXT_VECTOR,
    AllOf,
    AnyOf,
    Condition,
    HasId,
    Match,
    MatchAny,
    Range,
    Search,
    VectorSpec,
    equals,
    vector_layout,
)

__all__ = ["LAYOUT", "Catalog", "CollectionSchema", "DocumentVectors", "PageStorage", "Point", "Record", "Scored",
           "SearchFilter", "Store", "held_vector", "now", "point_id"]

log = logging.getLogger(__name__)

# The point layout (layout.py) a new collection gets; an older one is upgraded in place on open.
# 1: document metadata on every point; 2: once per document, on a point of its own; 3: the document's
# point also says how many passages each page has, so the ids of a page's points are known unread.
LAYOUT = 3

_ID_NAMESPACE = uuid.UUID("8a3b1d52-5f0e-4c55-9f7e-2f4d1c9b6a10")
_SCROLL_BATCH = 256
NAMES_TTL_S = 5.0  # catalog(): how long another process's new documents may go unseen by searches
_LOCATED_MAX = 2_000_000  # points whose place is cached (~150 bytes each); past it, the cache starts again


def point_id(doc_id: str, kind: str, page: int, index: int = 0) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{doc_id}/{kind}/{page}/{index}"))


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


@dataclass(frozen=True)
class SearchFilter:
    """Restrictions applied inside the store's query (never to its results afterwards)."""

    doc_ids: tuple[str, ...] | None = None  # any of these documents
    pages: PageRange | None = None  # inclusive page range; None for an open end
    within: tuple[tuple[str, int], ...] | None = None  # any of these (document id, page number) pairs

    def matches_nothing(self) -> bool:
        """True when the filter can match nothing (an empty id or page list)."""
        return (self.doc_ids is not None and len(self.doc_ids) == 0) or (self.within is not None and not self.within)

    def condition(self, kinds: tuple[str, ...]) -> AllOf:
        """Live points of these kinds, restricted as this filter says."""
        must: list[Condition] = [Match("state", LIVE), MatchAny("kind", tuple(kinds))]
        if self.doc_ids is not None:
            must.append(MatchAny("doc_id", tuple(self.doc_ids)))
        if self.pages is not None:
            must.append(Range("page", gte=self.pages[0], lte=self.pages[1]))
        if self.within is not None:
            must.append(AnyOf(tuple(equals(doc_id=doc, page=page) for doc, page in self.within)))
        return AllOf(tuple(must))


class Catalog(NamedTuple):
    """The live documents as searches read them (Store.catalog)."""

    documents: tuple[Document, ...]  # by file name
    names: Mapping[str, str]  # file names by document id, in the same order
    kept: dict  # what upper layers derive from this list, made once for it (derived())

    def derived(self, key: str, build: Callable[[], object]):
        """What `build` makes of this list, made once for it (titles indexed for the documents a question names)."""
        if key not in self.kept:
            self.kept.setdefault(key, build())
        return self.kept[key]

    def tagged(self, tags: tuple[str, ...]) -> list[Document]:
        """The documents carrying any of these tags."""
        wanted = set(tags)
        return [d for d in self.documents if wanted.intersection(d.tags)]


@dataclass
class Point:
    id: str
    vectors: dict[str, np.ndarray | SparseVector]  # name -> (dim,); "page": (n_tokens, dim); "bm25": sparse
    payload: dict


class Record(NamedTuple):
    id: str
    payload: dict
    vectors: dict | None  # as held_vector gives them, when asked for


class Scored(NamedTuple):
    score: float
    payload: dict  # from a search: {"doc_id", "page"} alone (Store.payloads gives the rest)
    id: str = ""


@dataclass
class DocumentVectors:
    """Vectors for one document; any part may be missing when the profile lacks that encoder."""

    page_text: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (dim,)
    passages: dict[int, list[Region]] = field(default_factory=dict)  # page number -> its passages (passages.py)
    passage_text: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (page, passage index) -> (dim,)
    page_image: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (dim,)
    page_multi: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (n_tokens, dim)
    page_pooled: dict[int, np.ndarray] = field(default_factory=dict)  # page number -> (n_pooled, dim)
    figure_image: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (page, figure index) -> (dim,)
    page_sparse: dict[int, SparseVector] = field(default_factory=dict)  # page number -> BM25 (indices, values)
    passage_sparse: dict[tuple[int, int], SparseVector] = field(default_factory=dict)


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
        self._documents: dict[str, Document] = {}  # by id; a document never changes once written
        self._passages: dict[str, tuple[int, ...]] = {}  # by document id: each page's passages, page 1 first
        self._catalog: tuple[float, Catalog] | None = None  # (when read, what it read): catalog()

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
                points.append(self._document_point(doc, payload.get("replaces", []), LIVE, counts.get(doc.id, [])))
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
        points = self._points(doc, pages, vectors, list(replaces))
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
            self._documents[doc.id] = doc
            self._passages[doc.id] = tuple(points[0].payload["passages"])
            self._catalog = None
            self._changed()
            for old in replaces:
                self.delete_document(old)

    def delete_document(self, doc_id: str) -> bool:
        with self._writing():
            if self.get_document(doc_id) is None:
                return False
            self._documents.pop(doc_id, None)
            self._passages.pop(doc_id, None)
            self._catalog = None
            self._delete(equals(doc_id=doc_id))
            self.images.remove(doc_id)
            self._changed()
            return True

    def get_document(self, doc_id: str) -> Document | None:
        with self.lock:
            if doc_id in self._documents:
                return self._documents[doc_id]
            if self.schema is None:
                return None
            found = self._payloads(equals(kind="document", doc_id=doc_id, state=LIVE))
            return self._remember(found[0]) if found else None

    def _remember(self, payload: dict) -> Document:
        """A document point's document, kept with its pages' passage counts (when its layout has them)."""
        doc = self._documents[payload["doc_id"]] = Document(**payload["document"])
        if payload.get("passages") is not None:
            self._passages[doc.id] = tuple(payload["passages"])
        return doc

    def documents(self, tags: tuple[str, ...] | None = None) -> list[Document]:
        """The live documents, by file name; with `tags`, those carrying any of them."""
        if self.schema is None:
            return []
        must: list[Condition] = [Match("kind", "document"), Match("state", LIVE)]
        if tags:
            must.append(MatchAny("tags", tuple(tags)))
        with self.lock:
            docs = [self._remember(p) for p in self._payloads(AllOf(tuple(must)))]
        return sorted(docs, key=lambda d: (d.file_name.lower(), d.id))

    def catalog(self, fresh: bool = False) -> Catalog:
        """The live documents as every search reads them (the documents a question names, the documents a
        filter keeps): listing thousands of documents costs more than the search, so the listing is kept
        until this process writes, or for NAMES_TTL_S (another process may write to a server's collection);
        `fresh`: read now."""
        with self.lock:
            if not fresh and self._catalog is not None and time.monotonic() - self._catalog[0] < NAMES_TTL_S:
                return self._catalog[1]
            documents = tuple(self.documents())
            found = Catalog(documents, MappingProxyType({d.id: d.file_name for d in documents}), {})  # names: shared
            self._catalog = (time.monotonic(), found)
            return found

    def file_names(self) -> Mapping[str, str]:
        """The live documents' file names by id, in `documents()`' order (as of catalog())."""
        return self.catalog().names

    def documents_from(self, source: str) -> list[Document]:
        if self.schema is None:
            return []
        with self.lock:
            return [Document(**p["document"]) for p in self._payloads(equals(kind="document", state=LIVE,
                                                                             source=source))]

    def pages(self, doc_id: str) -> list[Page]:
        with self.lock:
            payloads = self._payloads(equals(kind="page", doc_id=doc_id, state=LIVE)) if self.schema else []
        return sorted((Page(**p["page_data"]) for p in payloads), key=lambda p: p.number)

    def page(self, doc_id: str, number: int) -> Page | None:
        with self.lock:
            found = self._payloads(equals(kind="page", doc_id=doc_id, page=number, state=LIVE)) if self.schema else []
        return Page(**found[0]["page_data"]) if found else None

    def image_path(self, relative: str) -> Path:
        return self.folder / relative

    # ---- searches ---------------------------------------------------------------------------
    def search(self, using: str, vector, limit: int, kinds: tuple[str, ...],
               flt: SearchFilter = SearchFilter()) -> list[Scored]:
        """Live points of these kinds nearest to `vector` by the named vector (dense, or sparse as
        (indices, values)), best first. Empty when the collection lacks that vector."""
        if self.schema is None or flt.matches_nothing() or not self._has_vector(using):
            return []
        if isinstance(vector, tuple) and not vector[0]:  # a sparse vector without terms matches nothing
            return []
        if flt.within is None:
            with self.lock:
                return self._locate(self._query(Search(using, vector, limit, flt.condition(kinds)), payload=False))
        # Listed pages: their points' ids are known (their documents' passage counts), and one filter by ids
        # is exact and cheap (BM25 over a dev-set question's 40 candidate pages, timed once by hand: 4-8 ms,
        # against 22-54 ms filtered by their documents, then page numbers, then page by page; the search
        # end to end is bench/named.py's).
        with self.lock:
            places = None if "figure" in kinds else self._places(flt.within)
            if places is None:  # figures, or a document written without its passage counts: page by page
                return self._locate(self._query(Search(using, vector, limit, flt.condition(kinds)), payload=False))
            if not places:  # none of the listed pages exists
                return []
            scope = replace(flt, within=None).condition(kinds)
            found = self._query(Search(using, vector, limit, AllOf((*scope.conditions, HasId(tuple(places))))),
                                payload=False)
        return [Scored(s.score, {"doc_id": place[0], "page": place[1]}, s.id)
                for s in found if (place := places.get(s.id)) is not None]

    def _places(self, within: tuple[tuple[str, int], ...]) -> dict[str, tuple[str, int]] | None:
        """The ids of the listed pages' page and passage points, each with its place; None when a
        document's passage counts are unknown."""
        places = {}
        for doc_id, page in dict.fromkeys(within):
            if doc_id not in self._passages and self.get_document(doc_id) is None:
                continue  # no such document (any more): nothing of it to find
            counts = self._passages.get(doc_id)
            if counts is None:
                return None
            if not 1 <= page <= len(counts):
                continue
            for kind, n in (("page", 1), ("block", counts[page - 1])):
                places.update((point_id(doc_id, kind, page, i), (doc_id, page)) for i in range(n))
        return places

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
                     flt: SearchFilter = SearchFilter()) -> list[Scored]:
        """Page points by late-interaction score with the query's multi-vector (n_q_tokens, dim).
        first_pass: "none" (exact MaxSim over every page), "pooled" (MaxSim over the pooled companions
        picks `candidates` pages, exact MaxSim ranks them) or "quantized" (quantized copies, rescored)."""
        if self.schema is None or self.schema.page is None or flt.matches_nothing():
            return []
        storage = self.schema.page_storage
        if first_pass == "pooled" and storage.pooling == "none":
            raise ValueError(f"collection {self.name!r} has no pooled page vectors (page_pooling is none)")
        if first_pass == "quantized" and storage.quantization == "none":
            raise ValueError(f"collection {self.name!r} keeps no quantized page vectors")
        query = np.asarray(query, dtype=np.float32)
        live = flt.condition(("page",))
        candidates = max(candidates, limit)
        if first_pass == "pooled":
            search = Search(PAGE_VECTOR, query, limit, live, prefetch=Search(PAGE_POOLED, query, candidates, live),
                            exact=True)
        elif first_pass == "quantized":
            search = Search(PAGE_VECTOR, query, limit, live, oversampling=candidates / limit)
        else:
            search = Search(PAGE_VECTOR, query, limit, live, exact=True)
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
            self._catalog = None
            self._changed()

    def count_state(self, state: str) -> int:
        if self.schema is None:
            return 0
        with self.lock:
            return self._count(equals(state=state))

    def set_all_state(self, old: str, new: str) -> None:
        with self._writing():
            self._set_payload(equals(state=old), {"state": new})
            self._documents.clear()
            self._passages.clear()
            self._catalog = None
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

    @staticmethod
    def _document_point(doc: Document, replaces: list[str], state: str, passages: list[int]) -> Point:
        return Point(point_id(doc.id, "document", 0), {}, {
            "kind": "document", "doc_id": doc.id, "state": state, "written_at": int(time.time()),
            "tags": doc.tags, "source": doc.source, "document": doc.model_dump(mode="json"), "replaces": replaces,
            "passages": passages,
        })

    def _points(self, doc: Document, pages: list[Page], vectors: DocumentVectors, replaces: list[str]) -> list[Point]:
        base = {"doc_id": doc.id, "state": PENDING, "written_at": int(time.time())}
        passages = [0] * max((p.number for p in pages), default=0)
        for number, found in vectors.passages.items():
            passages[number - 1] = len(found)
        points = [self._document_point(doc, replaces, PENDING, passages)]
        for page in pages:
            image = self.images.relative(doc.id, page.image)
            named = {name: found[page.number] for name, found in (
                (TEXT_VECTOR, vectors.page_text), (IMAGE_VECTOR, vectors.page_image), (PAGE_VECTOR, vectors.page_multi),
                (PAGE_POOLED, vectors.page_pooled), (SPARSE_VECTOR, vectors.page_sparse)) if page.number in found}
            points.append(Point(point_id(doc.id, "page", page.number), named, {
                **base, "kind": "page", "page": page.number, "text": page.text, "image": image,
                "thumbnail": self.images.relative(doc.id, page.thumbnail), "text_source": page.text_source,
                "page_data": page.model_dump(mode="json"),
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
