"""Ranking metrics and latency percentiles, as pure functions: the one definition of each that the
evaluation, the benchmarks and the server's figures all use."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

__all__ = ["hit_at_k", "mean", "mrr", "ndcg_at_k", "percentile", "recall_at_k"]


def recall_at_k(ranked: Sequence[Hashable], relevant: frozenset, k: int) -> float:
    """The share of relevant pages among the first k."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def hit_at_k(ranked: Sequence[Hashable], relevant: frozenset, k: int) -> float:
    """1 when any relevant page is among the first k, else 0."""
    return float(bool(set(ranked[:k]) & relevant))


def ndcg_at_k(ranked: Sequence[Hashable], relevant: frozenset, k: int) -> float:
    """Binary-relevance nDCG: sum of 1/log2(rank+1) over relevant hits, over the ideal sum."""
    gain = sum(1 / math.log2(rank + 1) for rank, key in enumerate(ranked[:k], start=1) if key in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return gain / ideal if ideal else 0.0


def mrr(ranked: Sequence[Hashable], relevant: frozenset) -> float:
    """1 / rank of the first relevant page, 0 when none was found."""
    for rank, key in enumerate(ranked, start=1):
        if key in relevant:
            return 1 / rank
    return 0.0


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def percentile(values: Iterable[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (0 < q <= 100): the smallest value with at least q% of the values
    at or below it. None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]
