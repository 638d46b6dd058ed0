"""Companion vectors for a cheap first pass over pages: pure functions over multi-vectors."""

from __future__ import annotations

import numpy as np

__all__ = ["cluster_pool", "maxsim", "mean_pool", "pool_page", "spherical_kmeans", "token_pool"]


def mean_pool(vectors: np.ndarray) -> np.ndarray:
    """(n_tokens, dim) -> (dim,): the normalised mean of a page's token vectors."""
    mean = vectors.mean(axis=0)
    norm = np.linalg.norm(mean)
    return (mean / norm if norm > 0 else mean).astype(np.float32)


def token_pool(vectors: np.ndarray, factor: int) -> np.ndarray:
    """(n_tokens, dim) -> (about n_tokens / factor, dim): Ward clustering of the token vectors, each
    cluster replaced by its normalised mean (hierarchical token pooling, as in colpali-engine).

    colpali-engine's HierarchicalTokenPooler clusters the rows of the n x n distance matrix, which
    costs O(n^3): 4.7 s for one 1,030-token page here. Clustering the vectors themselves (unit
    vectors, so Euclidean distance orders pairs as cosine does) is O(n^2 dim): about 0.1 s.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    vectors = np.asarray(vectors, dtype=np.float32)
    if factor <= 1 or len(vectors) <= 1:
        return vectors
    labels = fcluster(linkage(vectors, method="ward"), t=max(len(vectors) // factor, 1), criterion="maxclust")
    pooled = np.stack([vectors[labels == label].mean(axis=0) for label in np.unique(labels)])
    return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


def cluster_pool(vectors: np.ndarray, rows: int, iterations: int = 8) -> np.ndarray:
    """(n_tokens, dim) -> (at most `rows`, dim): spherical k-means centroids of the token vectors.

    A first pass needs few rows that still point at each thing the page is about; the mean is one
    row for all of them, and drowns a small topic in the page's background (blank paper, margins).
    Deterministic: farthest-point seeding from the first token, then a fixed number of k-means steps;
    a cluster that empties keeps its last centroid.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) <= rows:
        return vectors
    chosen = [0]
    closest = vectors @ vectors[0]  # each token's similarity to its nearest chosen seed
    for _ in range(rows - 1):
        chosen.append(int(np.argmin(closest)))
        np.maximum(closest, vectors @ vectors[chosen[-1]], out=closest)
    return spherical_kmeans(vectors, vectors[chosen], iterations)


def spherical_kmeans(vectors: np.ndarray, seeds: np.ndarray, iterations: int) -> np.ndarray:
    """`iterations` steps of k-means by cosine from these seed rows: each vector to its most similar
    centroid, each centroid the normalised sum of its vectors (one that empties keeps its place)."""
    centroids = np.array(seeds, dtype=np.float32)
    for _ in range(iterations):
        labels = np.argmax(vectors @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, vectors)
        norms = np.linalg.norm(sums, axis=1)
        filled = norms > 0
        centroids[filled] = sums[filled] / norms[filled, None]
    return centroids


def maxsim(query: np.ndarray, page: np.ndarray) -> float:
    """Late-interaction score: for each query token its best page token, summed.
    query (n_q, dim), page (n_p, dim)."""
    return float((query @ page.T).max(axis=1).sum())


def pool_page(vectors: np.ndarray, storage) -> np.ndarray | None:
    """The companion the collection's PageStorage asks for, as rows for MaxSim: (1, dim) for the
    mean, (pool_rows, dim) for clusters, (about n / factor, dim) for token pooling; None when it
    keeps none."""
    if storage.pooling == "mean":
        return mean_pool(vectors)[None, :]
    if storage.pooling == "clusters":
        return cluster_pool(vectors, storage.pool_rows)
    if storage.pooling == "tokens":
        return token_pool(vectors, storage.pool_factor)
    return None
