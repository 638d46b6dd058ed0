"""Query to ranked pages: each channel the profile has, fused by weighted reciprocal rank.

Channels: visual (late interaction over page multi-vectors: a pooled first pass, then exact
MaxSim), figure (CLIP text-to-image over figures and whole pages), text (the sentence encoder
over page text and passages) and bm25 (Qdrant's BM25 sparse vectors over the same text).
A channel whose encoder the profile or the collection lacks is skipped, and the result says
which ran.

In the fused search, BM25 ranks only the pages the dense channels found (`bm25_scope`,
"candidates"; "collection" for all of it), with a quarter of a dense channel's weight. BM25 is
good at the exact words of a line item and bad at telling documents apart (a company written
"Activision Blizzard" in a question and "ACTIVISIONBLIZZARD" in a title share no token, and "FY2019"
is not "2019"); the dense channels are the other way round. Searched over the whole collection,
BM25's pages from the wrong filings outvote the dense channels' right ones; asked to reorder the
dense candidates, its exact words are what the fused ranking gains. On FinanceBench (README) this
is what lets the fused ranking beat each channel; searched alone, BM25 covers the whole collection.

Each channel hands `fusion_depth` pages (default 40) to the fusion whatever k is, so the first
five hits of a search for ten are the hits of a search for five (for any k up to that depth).
"""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass, field, replace

from pagesight.core.settings import Settings
from pagesight.core.types import Hit
from pagesight.index.profiles import Encoders
from pagesight.index.store import CollectionSchema, SearchFilter, Store
from pagesight.retrieve.fusion import rrf

__all__ = ["Retriever", "SearchResult"]

log = logging.getLogger(__name__)

CHANNELS = ("visual", "figure", "text", "bm25")  # BM25 last: in fused search it ranks the others' pages


@dataclass
class SearchResult:
    hits: list[Hit]
    channels: list[str]  # the channels that ran
    skipped: dict[str, str] = field(default_factory=dict)  # channel -> why it did not run


class Retriever:
    def __init__(self, store: Store, encoders: Encoders, settings: Settings):
        self.store = store
        self.encoders = encoders
        self.settings = settings

    def search(self, query: str, k: int = 5, flt: SearchFilter | None = None,
               file_glob: str | None = None) -> SearchResult:
        """The k best pages for `query`, one hit per page, with the channels that found each."""
        flt = flt or SearchFilter()
        if file_glob:
            flt = replace(flt, doc_ids=self._glob_ids(file_glob, flt.doc_ids))
        runnable, skipped = self.channels()
        depth = max(k, self.settings.fusion_depth)
        per_channel: dict[str, list[Hit]] = {}
        for channel in runnable:  # in CHANNELS order: BM25 last, after the pages it may be limited to
            scope = flt
            if channel == "bm25" and self.settings.bm25_scope == "candidates" and len(runnable) > 1:
                scope = replace(flt, within=tuple(dict.fromkeys(
                    (h.doc_id, h.page) for hits in per_channel.values() for h in hits)))
            per_channel[channel] = self.run_channel(channel, query, depth, scope)
        hits = fuse(per_channel, self.settings.fusion_weights, self.settings.rrf_k)[:k]
        return SearchResult(hits=hits, channels=runnable, skipped=skipped)

    def channels(self) -> tuple[list[str], dict[str, str]]:
        """The channels that can run, and why the others cannot."""
        schema = self.store.schema or CollectionSchema()
        have = {"visual": (self.encoders.page, schema.page), "figure": (self.encoders.image, schema.image),
                "text": (self.encoders.text, schema.text), "bm25": (self.encoders.sparse, schema.sparse)}
        runnable, skipped = [], {}
        for channel in CHANNELS:
            encoder, built = have[channel]
            if encoder is None:
                skipped[channel] = f"the {self.encoders.profile} profile has no encoder for it"
            elif built is None:
                skipped[channel] = "the collection was built without it"
            else:
                runnable.append(channel)
        # Queries must be encoded by the encoders that built the collection.
        schema.check(CollectionSchema(
            text=self.encoders.text.spec if "text" in runnable else None,
            image=self.encoders.image.spec if "figure" in runnable else None,
            page=self.encoders.page.spec if "visual" in runnable else None,
            sparse=self.encoders.sparse.spec if "bm25" in runnable else None,
        ), self.store.name)
        return runnable, skipped

    def run_channel(self, channel: str, query: str, limit: int, flt: SearchFilter) -> list[Hit]:
        """One channel alone: its best pages for the query, one hit per page."""
        if channel == "text":
            return self.store.search_text(self.encoders.text.encode([query], query=True)[0], limit, flt)
        if channel == "bm25":
            return self.store.search_sparse(self.encoders.sparse.encode_query(query), limit, flt)
        if channel == "figure":
            return self.store.search_images(self.encoders.image.encode_texts([query])[0], limit, flt)
        matrix = self.encoders.page.encode_queries([query])[0]  # (n_query_tokens, dim)
        storage = self.store.schema.page_storage
        first_pass = ("pooled" if storage.pooling != "none"
                      else "quantized" if storage.quantization != "none" else "none")
        return self.store.search_pages(matrix, limit, first_pass=first_pass,
                                       candidates=self.settings.visual_candidates, flt=flt)

    def _glob_ids(self, pattern: str, within: tuple[str, ...] | None) -> tuple[str, ...]:
        """Documents whose file name matches the glob, as ids for the store's own filter."""
        ids = [d.id for d in self.store.documents() if fnmatch.fnmatchcase(d.file_name, pattern)]
        if within is not None:
            ids = [i for i in ids if i in within]
        return tuple(ids)


def fuse(per_channel: dict[str, list[Hit]], weights: dict[str, float], k: int) -> list[Hit]:
    """One hit per page, scored by weighted RRF over the channels' rankings."""
    best: dict[tuple[str, int], Hit] = {}
    for channel in ("text", "bm25", "figure", "visual"):  # a text or figure hit explains a page best
        for hit in per_channel.get(channel, []):
            best.setdefault((hit.doc_id, hit.page), hit)
    rankings = {c: [(h.doc_id, h.page) for h in hits] for c, hits in per_channel.items()}
    return [
        best[key].model_copy(update={"score": score, "channels": channels})
        for key, score, channels in rrf(rankings, weights, k)
    ]
