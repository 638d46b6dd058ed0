"""Rank fusion as a pure function over the channels' ranked lists: `rrf`, reciprocal rank fusion with
per-channel weights (ranks only). The fusions tried against it and not kept (score fusion by each
channel's margin, a document-level first step) live with the benchmark that tried them, bench/fusion_rules.py.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

__all__ = ["rrf"]

K = TypeVar("K", bound=Hashable)


def rrf(rankings: Mapping[str, Sequence[K]], weights: Mapping[str, float] | None = None,
        k: int = 60) -> list[tuple[K, float, list[str]]]:
    """Fuse ranked lists: score(key) = sum over channels c of weight_c / (k + rank_c(key)), ranks from 1.

    Returns (key, score, channels that found it) from best to worst; ties keep the order in which
    keys were first seen (channel order, then rank), so the result is deterministic.
    """
    scores: dict[K, float] = {}
    found: dict[K, list[str]] = {}
    for channel, ranked in rankings.items():
        weight = 1.0 if weights is None else weights.get(channel, 1.0)
        for rank, key in enumerate(ranked, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
            found.setdefault(key, []).append(channel)
    order = {key: i for i, key in enumerate(scores)}
    return sorted(((key, score, found[key]) for key, score in scores.items()),
                  key=lambda item: (-item[1], order[item[0]]))
