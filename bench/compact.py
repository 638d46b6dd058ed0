"""Bytes a page for the full profile's page vectors against agreement with exact MaxSim: which compact
representation keeps the visual channel's top 10 at a 32 KB budget (1/8 of fp16 multi-vectors)?

    python bench/compact.py [--pages 10000] [--queries 100] [--candidates 100] [--out bench/results/compact.json]

Pages and queries are bench/query.py's structured synthetic vectors of ColQwen2's shape (1,030 x 128 a page;
documents of shared concepts, 45% "blank paper" tokens; a query is 4 fixed prefix tokens and 16 noisy copies
of one page's content tokens). Exact MaxSim over the float32 tokens is the reference; a representation
agrees on a query when its top 10 pages are the reference's (as a set: `top10_equal`), and `overlap` is the
mean share of the reference's top 10 it finds. Bytes are those the representation stores and searches,
per page. Representations:
  fp16                      every token in float16 (what the store keeps with datatype float16)
  binary                    every token as 128 sign bits, scored asymmetrically (the float query against
                            the page's +-1 tokens, scaled by 1/sqrt(128)), alone
  centroids N               N spherical k-means centroids a page (index/pooling.cluster_pool), fp16, alone
  residual                  ColBERTv2's compression: each token as the id of its nearest of K shared centroids
                            (k-means over the tokens of the first 200 pages) and one bit a dimension for the
                            sign of its residual, decoded as centroid + sign x the dimension's mean |residual|
                            (2 + 16 bytes a token), alone
  centroids 32 -> residual  two stages within the budget: 32 fp16 centroids pick, the residual tokens rescore
  centroids 32 -> binary    two stages within the budget too: MaxSim over 32 fp16 centroids picks --candidates
                            pages, the binary tokens rescore them (8 KB + 16.1 KB)
  centroids 32 -> fp16      the default two-stage path for comparison (the rescoring reads fp16 tokens from
                            disk: 8 KB searched in memory, 266 KB stored)
  muvera R x 2^k x d        MUVERA's fixed-dimensional encoding (Dhulipala et al. 2024, "MUVERA: Multi-Vector
                            Retrieval via Fixed Dimensional Encodings"): in each of R repetitions, k random
                            hyperplanes (SimHash) put every token in one of 2^k buckets; a page's bucket holds
                            the mean of its tokens (an empty one the token nearest it in Hamming distance), a
                            query's the sum; with d < 128 each repetition is first projected to d dimensions by
                            random signs. One vector of R x 2^k x d fp16 numbers a page, scored by one dot
                            product (what a single-vector index searches)
  muvera ... -> fp16        the encoding picks --candidates pages, fp16 tokens rescore them (as the centroids do)
Everything is numpy in one process and one thread; pages are generated, scored and dropped one at a time.
Not measured here: Qdrant's own quantisation of the multi-vectors (binary or scalar with rescoring keeps the
originals too, so it stores more than fp16), Ward token pooling (0.1 s a page).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from common import machine, write_results  # noqa: E402  (bench/ is the script's folder)
from query import DIM, TOKENS, TOP, _centroids, page_vectors, queries  # noqa: E402

from pagesight.index.pooling import cluster_pool, spherical_kmeans  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 32 * 1024
CODEBOOK, CODEBOOK_PAGES = 1024, 200


def codebook(concepts, blanks) -> tuple[np.ndarray, np.ndarray]:
    """K shared centroids (spherical k-means over the first pages' tokens) and each dimension's mean
    absolute residual: the decoder's two tables."""
    tokens = np.concatenate([page_vectors(i, concepts, blanks) for i in range(CODEBOOK_PAGES)])
    seeds = tokens[np.random.default_rng(0).choice(len(tokens), CODEBOOK, replace=False)]
    centroids = spherical_kmeans(tokens, seeds, 6)
    residual = tokens - centroids[np.argmax(tokens @ centroids.T, axis=1)]
    return centroids.astype(np.float32), np.abs(residual).mean(axis=0).astype(np.float32)


def residual_tokens(page: np.ndarray, centroids: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """A page's tokens as decoded from their compression: the nearest shared centroid plus the sign of each
    dimension's residual times that dimension's spread (what 2 + 16 bytes a token keep)."""
    nearest = centroids[np.argmax(page @ centroids.T, axis=1)]
    return (nearest + np.where(page - nearest > 0, spread, -spread)).astype(np.float32)


def signs(page: np.ndarray) -> np.ndarray:
    """A page's tokens as their sign bits keep them (+-1/sqrt(dim): unit rows)."""
    return np.where(page > 0, 1 / np.sqrt(DIM), -1 / np.sqrt(DIM)).astype(np.float32)


def fp16(rows: np.ndarray) -> np.ndarray:
    return rows.astype(np.float16).astype(np.float32)


def maxsim_many(query_tokens: np.ndarray, shape: tuple[int, int], page: np.ndarray) -> np.ndarray:
    """MaxSim of each query (stacked tokens, `shape` = (queries, tokens each)) against one page."""
    sims = (query_tokens @ page.T).reshape(*shape, -1)
    return sims.max(axis=2).sum(axis=1)


def topk(scores: np.ndarray, k: int) -> np.ndarray:
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(part, order, axis=1)


def agreement(found: np.ndarray, reference: np.ndarray) -> dict:
    equal = [set(f[:TOP]) == set(r[:TOP]) for f, r in zip(found, reference, strict=True)]
    overlap = [len(set(f[:TOP]) & set(r[:TOP])) / TOP for f, r in zip(found, reference, strict=True)]
    return {"top10_equal": round(float(np.mean(equal)), 3), "overlap": round(float(np.mean(overlap)), 3)}


class Muvera:
    """MUVERA's fixed-dimensional encoding of a set of token vectors (the module's text)."""

    def __init__(self, reps: int, bits: int, dims: int, seed: int = 11):
        rng = np.random.default_rng([seed, reps, bits, dims])
        self.planes = rng.standard_normal((reps, bits, DIM)).astype(np.float32)
        self.project = None if dims == DIM else \
            (rng.choice([-1.0, 1.0], size=(reps, dims, DIM)) / np.sqrt(dims)).astype(np.float32)
        self.reps, self.bits, self.dims = reps, bits, dims
        self.name = f"muvera {reps} x {1 << bits} x {dims}"
        self.bytes = reps * (1 << bits) * dims * 2  # fp16

    def encode(self, tokens: np.ndarray, query: bool = False) -> np.ndarray:
        buckets = 1 << self.bits
        out = np.zeros((self.reps, buckets, self.dims), np.float32)
        powers = 1 << np.arange(self.bits)
        every = (np.arange(buckets)[:, None] & powers) > 0  # (buckets, bits): each bucket's hash bits
        for r in range(self.reps):
            sides = (tokens @ self.planes[r].T) > 0  # (n, bits)
            codes = sides.astype(np.int64) @ powers
            rows = tokens if self.project is None else tokens @ self.project[r].T
            sums = np.zeros((buckets, self.dims), np.float32)
            np.add.at(sums, codes, rows)
            if query:
                out[r] = sums
                continue
            counts = np.bincount(codes, minlength=buckets)
            filled = counts > 0
            out[r][filled] = sums[filled] / counts[filled, None]
            for b in np.flatnonzero(~filled):  # the token whose hash is nearest the bucket's
                out[r][b] = rows[np.argmin((sides != every[b]).sum(axis=1))]
        return out.reshape(-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--centroids", default="32,64,128", help="centroid counts measured alone")
    parser.add_argument("--muvera", default="8x4x128,16x4x64,32x3x64",
                        help="MUVERA encodings, each repetitions x hash bits x dimensions")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "compact.json")
    args = parser.parse_args()
    concepts, blanks, prefix = _centroids()
    qs, _ = queries(args.queries, args.pages, concepts, blanks, prefix)
    stacked = np.concatenate(qs).astype(np.float32)
    shape = (len(qs), len(qs[0]))
    rows = [int(n) for n in args.centroids.split(",")]
    book, spread = codebook(concepts, blanks)
    # Each representation as the page's rows it leaves to score (decoded, as a search would score them).
    kept = {"fp16": fp16, "binary": signs, "residual": lambda page: residual_tokens(page, book, spread),
            **{f"centroids {n}": lambda page, n=n: fp16(cluster_pool(page, n)) for n in rows}}

    encodings = [Muvera(*map(int, spec.split("x"))) for spec in args.muvera.split(",") if spec]
    asked = {m.name: np.stack([m.encode(q.astype(np.float32), query=True) for q in qs]) for m in encodings}

    exact = np.zeros((len(qs), args.pages), np.float32)
    scores = {name: np.zeros_like(exact) for name in [*kept, *asked]}
    seconds = dict.fromkeys(scores, 0.0)
    started = time.perf_counter()
    for i in range(args.pages):
        page = page_vectors(i, concepts, blanks)
        exact[:, i] = maxsim_many(stacked, shape, page)
        for name, make in kept.items():
            t = time.perf_counter()
            scores[name][:, i] = maxsim_many(stacked, shape, make(page))
            seconds[name] += time.perf_counter() - t
        for m in encodings:
            t = time.perf_counter()
            scores[m.name][:, i] = asked[m.name] @ fp16(m.encode(page)[None])[0]
            seconds[m.name] += time.perf_counter() - t
        if (i + 1) % 1000 == 0:
            print(f"{i + 1} pages, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)

    reference = topk(exact, TOP)
    bytes_of = {"fp16": TOKENS * DIM * 2, "binary": TOKENS * DIM // 8, "residual": TOKENS * (2 + DIM // 8),
                **{f"centroids {n}": n * DIM * 2 for n in rows}, **{m.name: m.bytes for m in encodings}}
    results = [{"representation": name, "bytes_per_page": bytes_of[name], **agreement(topk(s, TOP), reference),
                "build_ms_per_page": round(1000 * seconds[name] / args.pages, 2)} for name, s in scores.items()]

    # two stages: 32 centroids (or an encoding) pick, then another representation rescores
    stages = [("centroids 32", rescore) for rescore in ("binary", "residual", "fp16")] + \
        [(m.name, "fp16") for m in encodings]
    for picker, rescore in stages:
        first = topk(scores[picker], args.candidates)
        picked = np.take_along_axis(scores[rescore], first, axis=1)
        found = np.take_along_axis(first, np.argsort(-picked, axis=1), axis=1)
        stored = bytes_of[picker] + bytes_of[rescore]
        results.append({"representation": f"{picker} -> {rescore}", "bytes_per_page": bytes_of[picker]
                        if rescore == "fp16" else stored, "stored_bytes_per_page": stored,
                        "candidates": args.candidates, **agreement(found, reference)})
    print(f"\nCompact page vectors at {args.pages} pages, {args.queries} queries ({machine()}); budget "
          f"{BUDGET} bytes a page")
    print(f"{'representation':<26} {'bytes/page':>10} {'stored':>8} {'top-10 equal':>13} {'overlap':>8} "
          f"{'in budget':>10}")
    for r in results:
        stored = r.get("stored_bytes_per_page", r["bytes_per_page"])
        print(f"{r['representation']:<26} {r['bytes_per_page']:>10} {stored:>8} {r['top10_equal']:>13.3f} "
              f"{r['overlap']:>8.3f} {'yes' if stored <= BUDGET else 'no':>10}")
    write_results(args.out, machine("numpy, 1 thread"), {"pages": args.pages, "queries": args.queries,
                                                          "budget_bytes": BUDGET, "rows": results})


if __name__ == "__main__":
    main()
