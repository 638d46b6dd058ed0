"""Query to ranked pages: each channel the profile and the collection have (channels.py), fused by
weighted reciprocal rank, within the filters a user gave.

A channel whose encoder the profile or the collection lacks is skipped, and the result says which
ran. Filters are resolved to document ids (by id, unique prefix or file name; by tag; by a
file-name glob) and go into the store's query, so a filtered search still returns its k pages.

In the fused search, BM25 ranks only the pages the dense channels found (`bm25_scope`,
"candidates"; "collection" for all of it), at a dense channel's weight. BM25 is
good at the exact words of a line item and bad at telling documents apart (a company written
"Activision Blizzard" in a question and "ACTIVISIONBLIZZARD" in a title share no token, and "FY2019"
is not "2019"); the dense channels are the other way round. Searched over the whole collection,
BM25's pages from the wrong filings outvote the dense channels' right ones; asked to reorder the
dense candidates, its exact words are what the fused ranking gains. Searched alone, BM25 covers
the whole collection.

When a question names some documents by their titles (scope.py: "3M" and "FY2018" for "3M 2018
10K"), the channels search again within those documents, and their rankings join the fusion at
`named_weight` times their own weight: the named documents' best pages rise without the others being
shut out (a title can be wrong about what a question wants).

A question that names a financial statement ("using the cash flow statement") reads that statement: the
pages headed by it (core/statements.py) of the documents the question names, or else of the document
whose page the fused ranking puts first (a collection of one filing names none), as the channels rank
them for the statement's own heading, join the fusion as one more ranking at `heading_weight` (a
channel's weight). The page that answers such a question is the statement's (FinanceBench: 26 of the 27
questions that name one), while the page that talks about it in the question's words (a discussion of
cash flows that quotes the same line) is the one the question's vectors find first.

Each channel hands `fusion_depth` pages (default 40) to the fusion whatever k is, so the first
five hits of a search for ten are the hits of a search for five (for any k up to that depth).
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Sequence
from dataclasses import replace

from ..core.settings import Settings
from ..core.statements import HEADING, page_statements, statements_named
from ..core.types import Filters, Hit, SearchResult, find_document, title_of
from ..index.profiles import Encoders
from ..index.store import CollectionSchema, SearchFilter, Store
from .channels import CHANNELS, available, best_per_page, complete
from .fusion import rrf
from .scope import named_documents
from .snippets import snippet

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
               channels: Sequence[str] | None = None) -> SearchResult:
        """The k best pages for `query`, one hit per page, with the channels that found each; `channels`
        limits the search to some of them (one channel alone is that channel's own ranking)."""
        runnable, skipped = self.channels(channels)
        flt = self.resolve(filters or Filters())
        depth = max(k, self.settings.fusion_depth)
        vectors: dict[str, object] = {}  # the query as each channel encodes it: once, for both searches
        per_channel = self.run_channels(runnable, query, depth, flt, vectors)
        if len(runnable) == 1:
            hits = per_channel[runnable[0]][:k]
        else:
            weights = dict(self.settings.fusion_weights)
            named = self.named(query, flt)
            if named is not None:
                within = self.run_channels(runnable, query, depth, replace(flt, doc_ids=named), vectors)
                per_channel |= {f"{channel}{NAMED}": hits for channel, hits in within.items()}
                weights |= {f"{c}{NAMED}": self.settings.named_weight * weights.get(c, 1.0) for c in within}
            hits = fuse(per_channel, weights, self.settings.rrf_k)
            statements = statements_named(query) if self.settings.heading_weight > 0 else set()
            if statements and hits:
                # the statement of the documents named, or else of the document whose page ranks first
                scope = named or (hits[0].doc_id,)
                if headed := self.headed(statements, runnable, replace(flt, doc_ids=scope)):
                    per_channel[HEADED], weights[HEADED] = headed, self.settings.heading_weight
                    hits = fuse(per_channel, weights, self.settings.rrf_k)
            hits = hits[:k]
        # Each hit shows the stretch of what matched that holds the query's words, not a page's first line.
        hits = [h.model_copy(update={"text": snippet(h.text, query)}) for h in complete(hits, self.store)]
        return SearchResult(hits=hits, channels=runnable, skipped=skipped)

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
        """The documents (within the filter's) that the query names by their titles, if any and not all."""
        if self.settings.named_weight <= 0:
            return None
        allowed = None if flt.doc_ids is None else set(flt.doc_ids)
        titles = {doc: title_of(name) for doc, name in self.store.file_names().items()
                  if allowed is None or doc in allowed}
        return named_documents(query, titles)

    def headed(self, statements: set[str], runnable: list[str], flt: SearchFilter) -> list[Hit]:
        """The pages of the filter's documents headed by one of the financial statements a query names
        (core/statements.py: "cash flows" for "using the cash flow statement", whose pages are headed
        "Consolidated Statements of Cash Flows"), as the channels rank them for those statements' heading."""
        heading = " ".join(HEADING[s] for s in sorted(statements))
        found = self.run_channels(runnable, heading, HEADED_DEPTH, flt)
        order: dict[tuple[str, int], tuple[int, Hit]] = {}
        for hits in found.values():
            for rank, hit in enumerate(hits):
                key = (hit.doc_id, hit.page)
                if key not in order or rank < order[key][0]:
                    order[key] = (rank, hit)
        headed = []
        for _, hit in sorted(order.values(), key=lambda rh: rh[0]):
            page = self.store.page(hit.doc_id, hit.page)
            if page is not None and page_statements(page) & statements:
                headed.append(hit)
        return headed

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
            documents = self.store.documents()
            ids = {d.id for d in documents}
            if filters.documents is not None:
                ids &= {find_document(documents, ref).id for ref in filters.documents}
            if filters.tags:
                ids &= {d.id for d in self.store.documents(tags=tuple(filters.tags))}
            if filters.file:
                ids &= {d.id for d in documents if fnmatch.fnmatchcase(d.file_name, filters.file)}
        return SearchFilter(doc_ids=None if ids is None else tuple(sorted(ids)), pages=filters.pages)


NAMED = "@named"  # a channel's ranking within the documents the question names: "text@named"
HEADED = "heading"  # the pages of the named documents headed by a statement the question names
HEADED_DEPTH = 10  # pages each channel is asked for, for a statement's heading within the named documents


def fuse(per_channel: dict[str, list[Hit]], weights: dict[str, float], k: int) -> list[Hit]:
    """One hit per page, scored by weighted RRF over the channels' rankings (a channel's ranking within the
    named documents counts as that channel's in the hit's list of channels)."""
    best: dict[tuple[str, int], Hit] = {}
    for channel in (*_EXPLAINS, *(c + NAMED for c in _EXPLAINS), HEADED):
        for hit in per_channel.get(channel, []):
            best.setdefault((hit.doc_id, hit.page), hit)
    rankings = {c: [(h.doc_id, h.page) for h in hits] for c, hits in per_channel.items()}
    return [
        best[key].model_copy(update={"score": score, "channels": list(dict.fromkeys(c.removesuffix(NAMED)
                                                                                    for c in channels))})
        for key, score, channels in rrf(rankings, weights, k)
    ]

