"""Companion vectors for a cheap first pass over pages: pure functions over multi-vectors."""

from __future__ import annotations

import numpy as np

__all__ = ["maxsim", "mean_pool", "pool_page", "token_pool"]


def mean_pool(vectors: np.ndarray) -> np.ndarray:
    """(n_tokens, dim) -> (dim,): the normalised mean of a page's token vectors."""
    mean = vectors.mean(axis=0)
    norm = np.linalg.norm(mean)
    return (mean / norm if norm > 0 else mean).astype(np.float32)


def token_pool(vectors: np.ndarray, factor: int) -> np.ndarray:
    """(n_tokens, dim) -> (about n_tokens / factor, dim): hierarchical clustering of similar tokens
    (colpali-engine's HierarchicalTokenPooler), each cluster replaced by its mean."""
    import torch
    from colpali_engine.compression.token_pooling import HierarchicalTokenPooler

    if factor <= 1 or len(vectors) <= 1:
        return vectors.astype(np.float32)
    pooled = HierarchicalTokenPooler().pool_embeddings([torch.from_numpy(vectors.astype(np.float32))],
                                                       pool_factor=factor)
    return pooled[0].numpy().astype(np.float32)


def maxsim(query: np.ndarray, page: np.ndarray) -> float:
    """Late-interaction score: for each query token its best page token, summed.
    query (n_q, dim), page (n_p, dim)."""
    return float((query @ page.T).max(axis=1).sum())


def pool_page(vectors: np.ndarray, storage) -> np.ndarray | None:
    """The companion the collection's PageStorage asks for, as rows for MaxSim: (1, dim) for the
    mean, (about n / factor, dim) for token pooling; None when it keeps none."""
    if storage.pooling == "mean":
        return mean_pool(vectors)[None, :]
    if storage.pooling == "tokens":
        return token_pool(vectors, storage.pool_factor)
    return None
