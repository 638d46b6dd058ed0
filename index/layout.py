"""What a collection looks like, described once for both backends: its named vectors, its payload
indexes, the filters PageSight makes and the searches it runs. Each backend (edge.py, server.py)
only translates these descriptions into its client's calls.

Points, by `kind`:
- "document": one a document, without vectors; its metadata (file name, source, tags, the
  `Document` itself) lives here and nowhere else, so a long tag list costs one payload, not one per point.
- "page": a page's vectors (text, BM25, image, multi-vector and its pooled companion), its text,
  image paths and the `Page` with its regions.
- "block": a passage of a page (text and BM25 vectors), with its region.
- "figure": a figure crop (image vector), with its region.
Every point carries `doc_id`, `kind`, `state` (pending until its document is whole, then live) and
`written_at`; all but documents carry `page`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from ..core.types import PageRange

__all__ = [
    "IMAGE_VECTOR",
    "INTEGER_FIELDS",
    "KEYWORD_FIELDS",
    "LIVE",
    "PAGE_POOLED",
    "PAGE_VECTOR",
    "PENDING",
    "SPARSE_VECTOR",
    "TEXT_VECTOR",
    "AllOf",
    "AnyOf",
    "Condition",
    "EVERYWHERE",
    "HasId",
    "Match",
    "MatchAny",
    "Range",
    "Search",
    "SearchFilter",
    "VectorSpec",
    "equals",
    "nearest",
    "page_search",
    "vector_layout",
]

PAGE_VECTOR, PAGE_POOLED, IMAGE_VECTOR, TEXT_VECTOR, SPARSE_VECTOR = "page", "page_pooled", "image", "text", "bm25"
PENDING, LIVE = "pending", "live"
# Payload fields with an index: every filter PageSight makes runs on one of these.
KEYWORD_FIELDS = ("doc_id", "state", "kind", "tags", "source")
INTEGER_FIELDS = ("page", "written_at")


@dataclass(frozen=True)
class VectorSpec:
    """One named dense vector of a collection."""

    name: str
    size: int
    distance: Literal["cosine", "dot"]
    multivector: bool = False  # rows compared by MaxSim (late interaction)
    on_disk: bool = False
    datatype: str = "float32"  # float32 | float16
    quantization: str = "none"  # none | scalar | binary
    graph: bool = True  # an HNSW graph; without one the vector is scored exactly, by scan or after a first pass


def vector_layout(schema, *, on_disk: bool = False) -> tuple[list[VectorSpec], list[str]]:
    """The named dense vectors and the sparse ones (IDF applied by the collection) a schema asks for.
    `on_disk`: text and image vectors on disk too (page multi-vectors always are)."""
    dense = []
    if schema.text:
        dense.append(VectorSpec(TEXT_VECTOR, schema.text.dim, "cosine", on_disk=on_disk))
    if schema.image:
        dense.append(VectorSpec(IMAGE_VECTOR, schema.image.dim, "cosine", on_disk=on_disk))
    if schema.page:
        storage = schema.page_storage
        # No graph over the page multi-vectors: they are scored exactly, by a full scan or after a
        # first pass; a graph over ~1,000 vectors a page costs minutes to build.
        dense.append(VectorSpec(PAGE_VECTOR, schema.page.dim, "dot", multivector=True, on_disk=True,
                                datatype=storage.datatype, quantization=storage.quantization, graph=False))
        if storage.pooling != "none":
            # In memory with a graph (MaxSim between companions): the first pass. 32 centroids a page are 16 KB.
            dense.append(VectorSpec(PAGE_POOLED, schema.page.dim, "dot", multivector=True))
    sparse = [SPARSE_VECTOR] if schema.sparse else []
    return dense, sparse


# ---- filters ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Match:
    key: str
    value: str | int


@dataclass(frozen=True)
class MatchAny:
    key: str
    values: tuple


@dataclass(frozen=True)
class Range:
    key: str
    gte: int | None = None
    lte: int | None = None
    lt: int | None = None


@dataclass(frozen=True)
class AllOf:
    """Every condition holds (Qdrant's `must`)."""

    conditions: tuple


@dataclass(frozen=True)
class AnyOf:
    """At least one condition holds (Qdrant's `should`)."""

    conditions: tuple


@dataclass(frozen=True)
class HasId:
    """Points with these ids (a listed page's own points: store.py knows them without reading them)."""

    ids: tuple[str, ...]


Condition = Match | MatchAny | Range | AllOf | AnyOf | HasId


def equals(**fields) -> AllOf:
    """Exact matches on these fields; None values are left out."""
    return AllOf(tuple(Match(k, v) for k, v in fields.items() if v is not None))


# ---- searches -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Search:
    """Nearest points by one named vector (dense, multi-vector, or sparse as (indices, values)),
    among those the filter admits. `prefetch`: a cheaper search whose results are the only candidates
    (a first pass); `exact`: ignore quantized copies; `oversampling`: search the quantized copies for
    this many times `limit` candidates and rescore them with the originals."""

    using: str
    vector: object
    limit: int
    filter: Condition
    prefetch: Search | None = None
    exact: bool = False
    oversampling: float | None = None


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


EVERYWHERE = SearchFilter()  # no restriction


def nearest(using: str, vector, limit: int, kinds: tuple[str, ...], flt: SearchFilter,
            ids: tuple[str, ...] | None = None) -> Search:
    """The search for live points of these kinds nearest to `vector`, within the filter. `ids`: the
    points of the filter's listed pages, when they are known (their documents' passage counts): one
    condition by id, exact and cheap, in place of a condition a page (BM25 over a dev-set question's 40
    candidate pages, timed once by hand: 4-8 ms against 22-54 ms; the search end to end is
    bench/named.py's)."""
    if ids is None:
        return Search(using, vector, limit, flt.condition(kinds))
    scope = replace(flt, within=None).condition(kinds)
    return Search(using, vector, limit, AllOf((*scope.conditions, HasId(ids))))


def page_search(query, limit: int, flt: SearchFilter, *, first_pass: str = "none", candidates: int = 100) -> Search:
    """The search of page points by late interaction with the query's multi-vector. first_pass: "none"
    (exact MaxSim over every page), "pooled" (MaxSim over the pooled companions picks `candidates`
    pages, exact MaxSim ranks them) or "quantized" (quantized copies, rescored)."""
    live = flt.condition(("page",))
    candidates = max(candidates, limit)
    if first_pass == "pooled":
        return Search(PAGE_VECTOR, query, limit, live, prefetch=Search(PAGE_POOLED, query, candidates, live),
                      exact=True)
    if first_pass == "quantized":
        return Search(PAGE_VECTOR, query, limit, live, oversampling=candidates / limit)
    return Search(PAGE_VECTOR, query, limit, live, exact=True)
