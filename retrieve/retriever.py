"""Query to ranked pages: each channel the profile and the collection have (channels.py), fused by
weighted reciprocal rank, then the steps after them (steps.py: the documents a question names, the
pages it names by number, the statement it names, a cross-encoder's reading of the first pages, BM25's clear
lead), each fused in turn, all within the filters a user gave. How a search runs, whole:
docs/architecture.md ("How a search runs").
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Sequence
from dataclasses import replace

from ..core.errors import NotFound
from ..core.settings import Settings
from ..core.types import Filters, Hit, SearchResult, find_document, title_of
from ..index.catalog import Catalog
from ..index.layout import SearchFilter
from ..index.profiles import Encoders
from ..index.store import CollectionSchema, Store
from .channels import CHANNELS, available, best_per_page, complete
from .fusion import rrf
from .scope import Titles, named_documents
from .snippets import snippet
from .steps import HEADED, NAMED, PAGED, RERANKED, STEPS, Context

__all__ = ["Retriever"]

log = logging.getLogger(__name__)

# Which channel's hit explains a page best, when several found it: a passage or a figure says where.
_EXPLAINS = ("text", "bm25", "figure", "visual")


class Retriever:
    def __init__(self, store: Store, encoders: Encoders, settings: Settings):
        self.store = store
        self.encoders = encoders
        self.settings = settings

    def search(self, query: str, k: int = 5, filters: Filters | None = None,
               channels: Sequence[str] | None = None, steps: Sequence[str] | None = None,
               picture=None) -> SearchResult:
        """The k best pages for `query`, one hit per page, with the channels that found each; `channels`
        limits the search to some of them (one channel alone is that channel's own ranking, without steps);
        `steps` to some of the steps (by default every step whose weight is not 0). `picture`: a picture
        asked (a PIL image) that the channels able to embed one search by it (`query` holds its words for
        the others; without words, only those channels run)."""
        runnable, skipped = self.channels(channels)
        flt = self.resolve(filters or Filters())
        depth = max(k, self.settings.fusion_depth)
        vectors: dict[str, object] = {}  # the query as each channel encodes it: once, for every search of it
        if picture is not None:
            for name in runnable:
                if (embed := CHANNELS[name].encode_picture) is not None:
                    vectors[name] = embed(self.encoders, picture)
            if not query.strip():
                runnable = [name for name in runnable if name in vectors]
        per_channel = self.run_channels(runnable, query, depth, flt, vectors)
        absent = None
        if len(runnable) == 1:
            hits = per_channel[runnable[0]][:k]
        else:
            weights = dict(self.settings.fusion_weights)
            hits = fuse(per_channel, weights, self.settings.rrf_k)
            ctx = Context(query, flt, runnable, depth, per_channel, hits, self, vectors)
            for step in STEPS.values():
                weight = step.weight(self.settings)
                if weight <= 0 or (steps is not None and step.name not in steps):
                    continue
                if found := step.run(ctx, weight):
                    for name, (ranked, ranked_weight) in found.items():
                        per_channel[name], weights[name] = ranked, ranked_weight
                    ctx.fused = hits = fuse(per_channel, weights, self.settings.rrf_k)
            hits, absent = hits[:k], ctx.absent
        # Each hit shows the stretch of what matched that holds the query's words, not a page's first line.
        hits = [h.model_copy(update={"text": snippet(h.text, query)}) for h in complete(hits, self.store)]
        return SearchResult(hits=hits, channels=runnable, skipped=skipped, absent=absent)

    def run_channels(self, runnable: list[str], query: str, depth: int, flt: SearchFilter,
                     vectors: dict[str, object] | None = None) -> dict[str, list[Hit]]:
        """Each channel's ranking, in the table's order: BM25 last, after the pages it may be limited to.
        `vectors` keeps the query's encodings by channel, for a second search of the same query."""
        vectors = {} if vectors is None else vectors
        per_channel: dict[str, list[Hit]] = {}
        for channel in runnable:
            scope = flt
            if channel == "bm25" and self.settings.bm25_scope == "candidates" and len(runnable) > 1:
                scope = replace(flt, within=tuple(dict.fromkeys(
                    (h.doc_id, h.page) for hits in per_channel.values() for h in hits)))
            if channel not in vectors:
                vectors[channel] = CHANNELS[channel].encode(self.encoders, query)
            per_channel[channel] = self.search_channel(channel, vectors[channel], depth, scope)
        return per_channel

    def named(self, query: str, flt: SearchFilter) -> tuple[str, ...] | None:
        """The documents (within the filter's) that the query names by their titles, if any and not all
        (scope.py)."""
        catalog = self.store.catalog()
        titles = catalog.derived("titles", lambda: Titles({doc: title_of(name) for doc, name in catalog.names.items()}))
        if flt.doc_ids is not None:  # the titles of the documents the filter keeps
            allowed = set(flt.doc_ids)
            titles = {doc: title for doc, title in titles.titles.items() if doc in allowed}
        return named_documents(query, titles)

    def channels(self, only: Sequence[str] | None = None) -> tuple[list[str], dict[str, str]]:
        """The channels that can run (of `only`, when given), and why the others cannot."""
        unknown = set(only or ()) - set(CHANNELS)
        if unknown:
            raise ValueError(f"unknown channel {sorted(unknown)[0]!r}: choose from {', '.join(CHANNELS)}")
        schema = self.store.schema or CollectionSchema()
        have = {kind for kind in ("text", "sparse", "image", "page") if getattr(self.encoders, kind) is not None}
        runnable, skipped = available(have, schema, self.encoders.profile, only)
        # Queries must be encoded by the encoders that built the collection.
        used = {CHANNELS[name].encoder for name in runnable}
        schema.check(CollectionSchema(**{kind: getattr(self.encoders, kind).spec for kind in used}), self.store.name)
        return runnable, skipped

    def run_channel(self, channel: str, query: str, limit: int, flt: SearchFilter) -> list[Hit]:
        """One channel alone: its best pages for the query, one hit per page."""
        return self.search_channel(channel, CHANNELS[channel].encode(self.encoders, query), limit, flt)

    def search_channel(self, channel: str, vector, limit: int, flt: SearchFilter) -> list[Hit]:
        """One channel's best pages for a query it has encoded, one hit per page."""
        found = CHANNELS[channel]
        return best_per_page(found.search(self.store, vector, limit, flt, self.settings), channel, limit, self.store)

    def resolve(self, filters: Filters) -> SearchFilter:
        """The store's filter for what a user asked: documents named, tagged or matching the glob (all of
        these that are given), and the page range. A document named that is not there, or a name that
        could mean several, raises NotFound or Ambiguous."""
        ids: set[str] | None = None
        if filters.documents is not None or filters.tags or filters.file:
            try:
                ids = _kept(self.store.catalog(), filters)
            except NotFound:  # or written by another process since the list was read: read it again
                ids = _kept(self.store.catalog(fresh=True), filters)
        return SearchFilter(doc_ids=None if ids is None else tuple(sorted(ids)), pages=filters.pages)


def _kept(catalog: Catalog, filters: Filters) -> set[str]:
    """The ids of the listed documents a user's filter keeps: named, tagged, matching the glob (all of these
    that are given)."""
    documents = list(catalog.documents)
    ids = {d.id for d in documents}
    if filters.documents is not None:
        ids &= {find_document(documents, ref).id for ref in filters.documents}
    if filters.tags:
        ids &= {d.id for d in catalog.tagged(tuple(filters.tags))}
    if filters.file:
        ids &= {d.id for d in documents if fnmatch.fnmatchcase(d.file_name, filters.file)}
    return ids


def fuse(per_channel: dict[str, list[Hit]], weights: dict[str, float], k: int) -> list[Hit]:
    """One hit per page, scored by weighted RRF over the channels' rankings (a channel's ranking within the
    named documents counts as that channel's in the hit's list of channels)."""
    best: dict[tuple[str, int], Hit] = {}
    for channel in (*_EXPLAINS, *(c + NAMED for c in _EXPLAINS), HEADED, PAGED, RERANKED):
        for hit in per_channel.get(channel, []):
            best.setdefault((hit.doc_id, hit.page), hit)
    rankings = {c: [(h.doc_id, h.page) for h in hits] for c, hits in per_channel.items()}
    return [
        best[key].model_copy(update={"score": score, "channels": list(dict.fromkeys(c.removesuffix(NAMED)
                                                                                    for c in channels))})
        for key, score, channels in rrf(rankings, weights, k)
    ]

