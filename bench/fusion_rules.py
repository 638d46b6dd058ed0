"""The fusions bench/fusion.py tried against reciprocal rank fusion and did not keep (docs/evaluation.md):
pure functions over the channels' ranked (key, score) lists, kept here with the benchmark that uses them.

- `score_fusion`: each channel's scores scaled against its own best for this query, summed with weights,
  a channel counting in proportion to how much its best stands out from the rest of its list ("margin"):
  a channel that finds one page clearly (BM25 matching a rare exact term) speaks loudly, one whose
  scores are flat (BM25 over filings that share their vocabulary) hardly at all.
- `by_document`: a document-level first step for collections of many similar documents: pages are
  ranked within the documents whose best pages score highest.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

__all__ = ["by_document", "margin", "score_fusion"]

K = TypeVar("K", bound=Hashable)
Ranked = Sequence[tuple[K, float]]  # best first


def margin(scores: Sequence[float], depth: int = 10) -> float:
    """How much a channel's best score stands out from the rest of its list, in [0, 1]: the gap between
    the best and the mean of the next ones (up to `depth`), over the best. 0 for an empty or flat list."""
    if not scores or scores[0] <= 0:
        return 0.0
    rest = scores[1:depth]
    if not rest:
        return 1.0
    return max(0.0, min(1.0, (scores[0] - sum(rest) / len(rest)) / scores[0]))


def score_fusion(rankings: Mapping[str, Ranked], weights: Mapping[str, float] | None = None, *,
                 floor: float = 0.0, depth: int = 10) -> list[tuple[K, float, list[str]]]:
    """Sum over channels of weight_c * confidence_c * score / best score, where confidence_c is `floor` plus
    the rest of [0, 1] in proportion to the channel's margin for this query. (key, score, channels), best
    first; ties in the order keys were first seen."""
    scores: dict[K, float] = {}
    found: dict[K, list[str]] = {}
    for channel, ranked in rankings.items():
        if not ranked:
            continue
        best = ranked[0][1]
        weight = 1.0 if weights is None else weights.get(channel, 1.0)
        confidence = floor + (1 - floor) * margin([s for _, s in ranked], depth)
        for key, value in ranked:
            scaled = value / best if best > 0 else 0.0
            scores[key] = scores.get(key, 0.0) + weight * confidence * scaled
            found.setdefault(key, []).append(channel)
    order = {key: i for i, key in enumerate(scores)}
    return sorted(((key, score, found[key]) for key, score in scores.items()),
                  key=lambda item: (-item[1], order[item[0]]))


def by_document(fused: Sequence[tuple[K, float, list[str]]], document_of, *, keep: int = 3, pages: int = 3,
                strength: float = 1.0) -> list[tuple[K, float, list[str]]]:
    """The fused pages with their documents' standing added: a document's score is the sum of its best
    `pages` page scores (a document that answers has several pages that bear on the question); the `keep`
    best documents' pages get `strength` times their document's share of the top document's score
    added to their own. Pages keep their order within a document."""
    totals: dict = {}
    for key, score, _ in fused:
        doc = document_of(key)
        totals.setdefault(doc, []).append(score)
    standing = {doc: sum(sorted(s, reverse=True)[:pages]) for doc, s in totals.items()}
    top = sorted(standing.items(), key=lambda item: -item[1])[:keep]
    if not top or top[0][1] <= 0 or math.isclose(strength, 0.0):
        return list(fused)
    lead = top[0][1]
    boost = {doc: strength * value / lead for doc, value in top}
    order = {key: i for i, (key, _, _) in enumerate(fused)}
    boosted = [(key, score + boost.get(document_of(key), 0.0) * (fused[0][1] if fused else 1.0), channels)
               for key, score, channels in fused]
    return sorted(boosted, key=lambda item: (-item[1], order[item[0]]))
