"""The steps after the channels, in one table as the channels are: each a row with its name, the setting
that weighs it (0 turns it off) and a function that, given what the search has found so far, returns
rankings to fuse with the channels' (or nothing). `Retriever.search` runs the channels, fuses, runs the
steps in the table's order, fusing after each. How a search runs, whole: docs/architecture.md.

- named: the documents the question names by their titles (scope.py) searched again on their own, every
  channel, each ranking at `named_weight` times its channel's weight;
- pages: a question naming pages by number ("on page 17", "slides 3-5": pages.py) reads those pages of
  the one document it is about: the documents it names, the one the user's filter keeps, or the
  collection's only one (in a collection of many, "page 17" of an unnamed document is no page: the
  first-ranked page's document is the wrong one for most such questions of MMLongBench); by the numbers
  the pages print when those around the first named agree on them (pages.printed_offset), the file's own
  pages of those numbers after them;
- heading: a question naming a financial statement reads that statement's pages (statements.py) of the
  named documents, or of the document whose page ranks first;
- rerank: a cross-encoder (index/rerank.py) reads the question with the best passages of the fused
  ranking's first `rerank_pages` pages (the passages the channels matched on each page, best first, up
  to `rerank_passages`), and ranks those pages by their best passage;
- lead: BM25's first page (within the documents the question names, when it names some), when its score
  is at least `lead_ratio` times its second page's (a clear lead: words of the question that page alone
  holds), as a ranking of its own; the channels' consensus on another page otherwise outvotes it
  (bench/lead.py). Not when the question names its pages (the pages step read them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..core.types import Hit, title_of
from ..index.layout import SearchFilter
from ..index.points import point_id
from .pages import pages_named, printed_offset
from .statements import HEADING, page_statements, statements_named

__all__ = ["HEADED", "LED", "NAMED", "PAGED", "RERANKED", "STEPS", "Context", "Step", "leader", "rerank_order"]

NAMED = "@named"  # a channel's ranking within the documents the question names: "text@named"
HEADED = "heading"  # the pages of the named documents headed by a statement the question names
PAGED = "pages"  # the pages the question names by number, of the documents it is about
RERANKED = "rerank"  # the fused ranking's first pages, as the cross-encoder orders them
LED = "lead"  # BM25's first page, when it leads its second clearly


@dataclass
class Context:
    """What a step sees: the query, the filter and channels of the search, the channels' rankings so far
    and their fusion, the documents the question names (the named step sets them), and the retriever (its
    store, its encoders, and a way to run the channels again)."""

    query: str
    flt: SearchFilter
    runnable: list[str]
    depth: int
    per_channel: dict[str, list[Hit]]
    fused: list[Hit]
    retriever: object
    vectors: dict
    named: tuple[str, ...] | None = None
    absent: str | None = None  # what the question asks for that its document does not have (a step says)


@dataclass(frozen=True)
class Step:
    name: str
    weight: Callable  # (settings) -> the step's weight; 0 turns it off
    run: Callable  # (Context, weight) -> {ranking name: (hits, weight)}, or None


def _named(ctx: Context, weight: float) -> dict[str, tuple[list[Hit], float]] | None:
    retriever = ctx.retriever
    ctx.named = retriever.named(ctx.query, ctx.flt)
    if ctx.named is None:
        return None
    within = retriever.run_channels(ctx.runnable, ctx.query, ctx.depth, replace(ctx.flt, doc_ids=ctx.named),
                                    ctx.vectors)
    weights = retriever.settings.fusion_weights
    return {f"{channel}{NAMED}": (hits, weight * weights.get(channel, 1.0)) for channel, hits in within.items()}


def _paged(ctx: Context, weight: float) -> dict[str, tuple[list[Hit], float]] | None:
    named = pages_named(ctx.query)
    if not named or not ctx.fused:
        return None
    store = ctx.retriever.store
    if ctx.named:
        about = ctx.named
    elif ctx.flt.doc_ids is not None and len(ctx.flt.doc_ids) == 1:
        about = ctx.flt.doc_ids
    elif len(documents := store.catalog().documents) == 1:
        about = (documents[0].id,)
    else:
        return None
    first, last = ctx.flt.pages or (None, None)
    ranked = {(h.doc_id, h.page): i for i, h in enumerate(ctx.fused)}
    hits: list[tuple[bool, Hit]] = []  # (the file's own page, kept behind a printed one), the page
    documents = [doc for doc_id in about if (doc := store.get_document(doc_id)) is not None]
    for doc in documents:
        # The pages that print the numbers named, then the file's pages of those numbers where they differ
        offset = printed_offset(store.pages(doc.id, max(1, named[0] - 3), named[0] + 3))
        seen: set[int] = set()
        for hedge, page in [(False, page + offset) for page in named] + [(True, page) for page in named if offset]:
            if page not in seen and 1 <= page <= doc.pages and (first or 1) <= page <= (last or page):
                seen.add(page)
                hits.append((hedge, Hit(doc_id=doc.id, file_name=doc.file_name, page=page, score=0.0,
                                        channels=[PAGED], point=point_id(doc.id, "page", page))))
    if documents and all(page > doc.pages for page in named for doc in documents):
        held = "; ".join(f"{doc.file_name} has {doc.pages}" for doc in documents)
        ctx.absent = f"{_pages_text(named)} ({held})"
    # the pages the channels found first, then the others as the question names them
    hits.sort(key=lambda found: (found[0], ranked.get((found[1].doc_id, found[1].page), len(ranked))))
    return {PAGED: ([hit for _, hit in hits], weight)} if hits else None


def _pages_text(pages: tuple[int, ...]) -> str:
    """"page 40", "pages 400-429" (a run), "pages 40, 52" (a few)."""
    if len(pages) == 1:
        return f"page {pages[0]}"
    if list(pages) == list(range(pages[0], pages[0] + len(pages))):
        return f"pages {pages[0]}-{pages[-1]}"
    return "pages " + ", ".join(map(str, pages[:5])) + (", ..." if len(pages) > 5 else "")


def _headed(ctx: Context, weight: float) -> dict[str, tuple[list[Hit], float]] | None:
    statements = statements_named(ctx.query)
    if not statements or not ctx.fused:
        return None
    retriever = ctx.retriever
    scope = ctx.named or (ctx.fused[0].doc_id,)  # the documents named, or else the first page's
    heading = " ".join(HEADING[s] for s in sorted(statements))
    # As deep as the search itself: a filing's notes, contents and auditor's report name its statements on
    # more pages than the statement fills, and only a page headed by it counts (10 missed some).
    found = retriever.run_channels(ctx.runnable, heading, ctx.depth, replace(ctx.flt, doc_ids=scope))
    order: dict[tuple[str, int], tuple[int, Hit]] = {}
    for hits in found.values():
        for rank, hit in enumerate(hits):
            key = (hit.doc_id, hit.page)
            if key not in order or rank < order[key][0]:
                order[key] = (rank, hit)
    headed = []
    for _, hit in sorted(order.values(), key=lambda rh: rh[0]):
        page = retriever.store.page(hit.doc_id, hit.page)
        if page is not None and page_statements(page) & statements:
            headed.append(hit)
    return {HEADED: (headed, weight)} if headed else None


def _rerank(ctx: Context, weight: float) -> dict[str, tuple[list[Hit], float]] | None:
    retriever = ctx.retriever
    reranker = retriever.encoders.reranker
    if reranker is None or not ctx.fused:
        return None
    settings = retriever.settings
    pages = ctx.fused[:settings.rerank_pages]
    keys = {(h.doc_id, h.page) for h in pages}
    passages: dict[tuple[str, int], list[str]] = {key: [] for key in keys}  # page -> the points that matched it
    for channel in ctx.runnable:  # each channel's own best point of the page, in the channels' order
        for hit in ctx.per_channel.get(channel, []):
            key = (hit.doc_id, hit.page)
            if key in keys and hit.point and hit.point not in passages[key]:
                passages[key].append(hit.point)
    points = [p for key in passages for p in passages[key][:settings.rerank_passages]]
    payloads = retriever.store.payloads(points)
    titles = retriever.store.file_names()
    pairs = []  # (page, text)
    for key in passages:
        for point in passages[key][:settings.rerank_passages]:
            text = (payloads.get(point) or {}).get("text", "")
            if text.strip():
                pairs.append((key, f"{title_of(titles.get(key[0], ''))}\n{text}"))
    if not pairs:
        return None
    scores = reranker.score(ctx.query, [text for _, text in pairs])
    order = rerank_order([key for key, _ in pairs], scores.tolist())
    by_key = {(h.doc_id, h.page): h for h in pages}
    return {RERANKED: ([by_key[key] for key in order], weight)}


def rerank_order(keys: list, scores: list[float]) -> list:
    """Pages by their best passage's score, best first (ties in the order the pages came)."""
    best: dict = {}
    for key, score in zip(keys, scores, strict=True):
        if key not in best or score > best[key]:
            best[key] = score
    order = {key: i for i, key in enumerate(best)}
    return sorted(best, key=lambda key: (-best[key], order[key]))


def leader(hits: list[Hit], ratio: float) -> Hit | None:
    """A ranking's first hit when its score is at least `ratio` times the second's (both above 0)."""
    if len(hits) < 2 or hits[1].score <= 0 or hits[0].score < ratio * hits[1].score:
        return None
    return hits[0]


def _lead(ctx: Context, weight: float) -> dict[str, tuple[list[Hit], float]] | None:
    if PAGED in ctx.per_channel:  # the question names its pages: a word's lead elsewhere is not what it asks
        return None
    # within the documents the question names, when it names some (their own BM25 ranking): a page of another
    # document leading the whole collection is not what such a question asks for
    ranking = ctx.per_channel.get(f"bm25{NAMED}") if ctx.named else None
    if ranking is None:
        ranking = ctx.per_channel.get("bm25", [])
    first = leader(ranking, ctx.retriever.settings.lead_ratio)
    return {LED: ([first], weight)} if first is not None else None


STEPS: dict[str, Step] = {s.name: s for s in (
    Step("named", lambda settings: settings.named_weight, _named),
    Step("pages", lambda settings: settings.pages_weight, _paged),
    Step("heading", lambda settings: settings.heading_weight, _headed),
    Step("rerank", lambda settings: settings.rerank_weight, _rerank),
    Step("lead", lambda settings: settings.lead_weight, _lead),
)}
