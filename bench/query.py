"""Visual retrieval at 1,000 / 10,000 / 30,000 pages: latency, agreement, memory, bytes on disk.

    python bench/query.py [--pages 1000,10000,30000] [--pooling clusters,mean] [--queries 100]
                          [--exact-queries 10] [--candidates 100]
                          [--data /tmp/pagesight-bench-query] [--out bench/results/query.json]

Pages carry vectors of ColQwen2's real shape (1,030 x 128, float32, the default storage) plus
the page's other vectors (a 384-d text vector and the pooled companion), written through
the store's own `add_document` into an embedded (Qdrant Edge) collection and optimised. The
vectors have structure, not uniform noise: each document draws 20 topics from 512 shared
concept centroids, each page 6 of its document's topics; 45% of a page's tokens sit near 8
"blank paper" centroids shared by every page (offsets of length 0.3), the rest near its topics
(offsets of length 0.6). A query is 4 fixed prefix tokens (the same in every query, as a model's
query prompt is) and 16 copies of content tokens of one target page, moved by offsets of 0.5.
A page here has at most 14 natural clusters (its 6 topics and the 8 blanks), fewer than the 32
centroids kept: real pages may have more, which this benchmark cannot tell.

Three paths answer the same queries, each in its own process (so its resident memory is its own):
  exhaustive  colpali-engine's `score_multi_vector` over every page held in memory, as byaldi does;
  exact       Qdrant's exact multivector MaxSim query over all pages;
  two-stage   PageSight's path: the pooled first pass, then exact MaxSim over its candidates; with
              the settings' companions (clusters: 32 k-means centroids a page) and, with
              --pooling clusters,mean, the single mean vector for comparison.
Exact MaxSim's top-10 (the exhaustive scores) is the reference for agreement. The store paths are
timed with the collection in the page cache (read through once first, as on a machine that serves
it); the two-stage path is also timed cold, straight after the collection's own files are dropped from
the page cache (common.drop_from_page_cache; never the machine's whole cache), as after a restart. The
exhaustive and exact paths are timed on the first --exact-queries queries (each takes seconds at 10,000
pages); agreement and the two-stage latency use all of them.
Collections are kept under --data between runs (same sizes and seed: built once).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from common import drop_from_page_cache, peak_rss_mb  # noqa: E402  (bench/ is the script's folder)

from pagesight.retrieve.metrics import percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOKENS, DIM, TEXT_DIM = 1030, 128, 384
PAGES_PER_DOC = 50
CONCEPTS, BLANKS, DOC_TOPICS, PAGE_TOPICS = 512, 8, 20, 6
QUERY_PREFIX, QUERY_CONTENT = 4, 16
SEED = 7
TOP = 10


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _centroids() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return (_unit(rng.normal(size=(CONCEPTS, DIM))), _unit(rng.normal(size=(BLANKS, DIM))),
            _unit(rng.normal(size=(QUERY_PREFIX, DIM))))


def _noise(rng, norm: float, n: int) -> np.ndarray:
    """n random offsets of about the given length (the centroids are unit vectors)."""
    return norm / np.sqrt(DIM) * rng.normal(size=(n, DIM))


def page_vectors(i: int, concepts: np.ndarray, blanks: np.ndarray) -> np.ndarray:
    """Page i's (TOKENS, DIM) vectors; the same for the same i in every process."""
    doc_topics = np.random.default_rng([SEED, i // PAGES_PER_DOC]).choice(CONCEPTS, DOC_TOPICS, replace=False)
    rng = np.random.default_rng([SEED, 1, i])
    topics = rng.choice(doc_topics, PAGE_TOPICS, replace=False)
    n_blank = int(TOKENS * 0.45)
    blank = blanks[rng.integers(0, BLANKS, n_blank)] + _noise(rng, 0.3, n_blank)
    content = concepts[rng.choice(topics, TOKENS - n_blank)] + _noise(rng, 0.6, TOKENS - n_blank)
    return _unit(np.concatenate([blank, content]))


def queries(n: int, n_pages: int, concepts, blanks, prefix) -> tuple[list[np.ndarray], list[int]]:
    rng = np.random.default_rng([SEED, 2, n_pages])
    targets = rng.choice(n_pages, n, replace=False)
    out = []
    for t in targets:
        page = page_vectors(int(t), concepts, blanks)
        content = page[rng.choice(np.arange(int(TOKENS * 0.45), TOKENS), QUERY_CONTENT, replace=False)]
        out.append(_unit(np.concatenate([prefix, content + _noise(rng, 0.5, QUERY_CONTENT)])))
    return out, [int(t) for t in targets]


def doc_id(i: int) -> str:
    return f"doc{i // PAGES_PER_DOC:05d}"


def build(folder: Path, n_pages: int, pooling: str) -> dict:
    """The collection at `folder`, built once with the settings' page storage and the given pooled
    companion; returns build time and bytes per page on disk."""
    marker = folder / "bench.json"
    if marker.exists():
        return json.loads(marker.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    from pagesight.core.settings import Settings
    from pagesight.core.types import Document, Page
    from pagesight.index.edge import EdgeStore
    from pagesight.index.encoders import EncoderSpec
    from pagesight.index.points import DocumentVectors
    from pagesight.index.pooling import pool_page
    from pagesight.index.store import CollectionSchema, PageStorage, now

    concepts, blanks, _ = _centroids()
    storage = replace(PageStorage.from_settings(Settings()), pooling=pooling)
    started = time.perf_counter()
    store = EdgeStore(folder, "bench")
    store.ensure_schema(CollectionSchema(text=EncoderSpec("bench-text", "1", TEXT_DIM),
                                         page=EncoderSpec("bench-page", "1", DIM), page_storage=storage))
    rng = np.random.default_rng([SEED, 3])
    for first in range(0, n_pages, PAGES_PER_DOC):
        numbers = range(first, min(first + PAGES_PER_DOC, n_pages))
        vectors = DocumentVectors()
        pages = []
        for i in numbers:
            n = i - first + 1
            multi = page_vectors(i, concepts, blanks)
            vectors.page_multi[n] = multi
            vectors.page_pooled[n] = pool_page(multi, storage)
            vectors.page_text[n] = _unit(rng.normal(size=TEXT_DIM))
            pages.append(Page(number=n, width=612, height=792, image_width=1, image_height=1, image="p.png",
                              thumbnail="t.png"))
        staging = store.images.new_staging(doc_id(first))
        staging.mkdir(parents=True)
        doc = Document(id=doc_id(first), file_name=f"{doc_id(first)}.pdf", source=f"/bench/{doc_id(first)}.pdf",
                       media_type="application/pdf", pages=len(pages), ingested_at=now())
        store.add_document(doc, pages, vectors, staging)
    written = time.perf_counter() - started
    store.optimize()
    store.close()
    # The shard the index build left (collection.json names it: shard-<id>), its segments alone.
    segments = folder / json.loads((folder / "collection.json").read_text())["shard"] / "segments"
    optimised = time.perf_counter() - started - written
    info = {"pages": n_pages, "write_s": round(written, 1), "optimise_s": round(optimised, 1),
            "disk_bytes_per_page": int(_size(segments) / n_pages)}
    marker.write_text(json.dumps(info))
    return info


def _size(folder: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def _page_index(doc: str, page: int) -> int:
    return int(doc[3:]) * PAGES_PER_DOC + page - 1


def run_path(path: str, folder: Path, n_pages: int, n_queries: int, n_timed: int, candidates: int) -> dict:
    """One path in this process: top-10 page indexes per query, latencies, peak RSS."""
    import torch

    torch.set_num_threads(1)
    concepts, blanks, prefix = _centroids()
    qs, _ = queries(n_queries, n_pages, concepts, blanks, prefix)
    latencies, tops, cold = [], [], []
    if path == "exhaustive":
        from colpali_engine.utils.processing_utils import BaseVisualRetrieverProcessor

        pages = [torch.from_numpy(page_vectors(i, concepts, blanks)) for i in range(n_pages)]
        score = BaseVisualRetrieverProcessor.score_multi_vector
        for q in qs[:n_timed]:
            started = time.perf_counter()
            scores = score([torch.from_numpy(q)], pages, device="cpu")[0]
            tops.append(torch.topk(scores, TOP).indices.tolist())
            latencies.append(time.perf_counter() - started)
        for start in range(n_timed, n_queries, 16):  # the reference for the rest, batched (not timed)
            scores = score([torch.from_numpy(q) for q in qs[start:start + 16]], pages, device="cpu")
            tops.extend(torch.topk(scores, TOP, dim=1).indices.tolist())
    else:
        from pagesight.index.edge import EdgeStore

        first_pass = "none" if path == "exact" else "pooled"
        timed = qs[:n_timed if path == "exact" else n_queries]
        if path == "two-stage":  # first: straight from disk, as after a restart
            drop_from_page_cache(folder)
            store = EdgeStore(folder, "bench")
            for q in timed:
                started = time.perf_counter()
                store.search_pages(q, TOP, first_pass=first_pass, candidates=candidates)
                cold.append(time.perf_counter() - started)
            store.close()
        _read_through(folder)  # then: the collection in the page cache, as on a serving machine
        store = EdgeStore(folder, "bench")
        store.search_pages(qs[0], TOP, first_pass=first_pass, candidates=candidates)  # warm-up
        for q in timed:
            started = time.perf_counter()
            hits = store.search_pages(q, TOP, first_pass=first_pass, candidates=candidates)
            latencies.append(time.perf_counter() - started)
            tops.append([_page_index(s.payload["doc_id"], s.payload["page"]) for s in hits])
        store.close()
    return {"tops": tops, "latencies_ms": [1000 * s for s in latencies],
            "cold_latencies_ms": [1000 * s for s in cold],
            "peak_rss_mb": peak_rss_mb()}


def _read_through(folder: Path) -> None:
    """Read every file once, so the collection sits in the page cache."""
    for file in folder.rglob("*"):
        if file.is_file():
            with file.open("rb") as f:
                while f.read(1 << 24):
                    pass


def in_child(*args) -> dict:
    """run_path in a fresh interpreter, so each path's peak memory is its own."""
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps([str(a) for a in args])],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"bench child {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def _pct(values: list[float], q: float) -> float | None:
    return percentile(values, q)


def main() -> None:
    from pagesight.core.settings import Settings

    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", default="1000,10000,30000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--exact-queries", type=int, default=10)
    parser.add_argument("--candidates", type=int, default=defaults.visual_candidates,
                        help="the first pass's candidates (default: the settings' visual_candidates)")
    parser.add_argument("--pooling", default=defaults.page_pooling,
                        help="first-pass companions to compare, comma-separated: clusters, mean, tokens "
                             "(default: the settings' page_pooling); each gets its own collection")
    parser.add_argument("--data", type=Path, default=Path("/tmp/pagesight-bench-query"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "query.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, folder, n_pages, n_queries, n_timed, candidates = json.loads(args.child)
        print(json.dumps(run_path(path, Path(folder), int(n_pages), int(n_queries), int(n_timed), int(candidates))))
        return

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, 1 thread per path"
    poolings = args.pooling.split(",")
    rows = []
    for n_pages in (int(n) for n in args.pages.split(",")):
        folders, infos = {}, {}
        for pooling in poolings:
            rows_kept = f"{defaults.page_pool_rows}" if pooling == "clusters" else ""
            folders[pooling] = args.data / f"pages-{n_pages}-{pooling}{rows_kept}"
            infos[pooling] = build(folders[pooling], n_pages, pooling)
            print(f"{n_pages:,} pages, {pooling}: written in {infos[pooling]['write_s']} s, optimised in "
                  f"{infos[pooling]['optimise_s']} s", file=sys.stderr)
        n_timed = min(args.exact_queries, args.queries)
        first = poolings[0]
        runs = [("exhaustive", "exhaustive", first), ("exact", "exact", first)]
        runs += [(f"two-stage/{p}", "two-stage", p) for p in poolings]
        found = {label: in_child(path, folders[p], n_pages, args.queries, n_timed, args.candidates)
                 for label, path, p in runs}
        reference = [set(t) for t in found["exhaustive"]["tops"]]
        for label, path, pooling in runs:
            r = found[label]
            agree = [set(t) == ref for t, ref in zip(r["tops"], reference, strict=False)]
            overlap = [len(set(t) & ref) / TOP for t, ref in zip(r["tops"], reference, strict=False)]
            rows.append({
                "pages": n_pages, "path": label, "queries_timed": len(r["latencies_ms"]),
                "p50_ms": _pct(r["latencies_ms"], 50), "p95_ms": _pct(r["latencies_ms"], 95),
                "cold_p50_ms": _pct(r["cold_latencies_ms"], 50), "cold_p95_ms": _pct(r["cold_latencies_ms"], 95),
                "top10_equal": float(np.mean(agree)), "top10_overlap": float(np.mean(overlap)),
                "queries_compared": len(agree), "peak_rss_mb": r["peak_rss_mb"],
                "disk_bytes_per_page": infos[pooling]["disk_bytes_per_page"] if path != "exhaustive" else None,
            })
            if path == "two-stage":
                rows[-1]["speedup_vs_exhaustive"] = _pct(found["exhaustive"]["latencies_ms"], 50) / rows[-1]["p50_ms"]

    print(f"visual retrieval, {TOKENS} x {DIM} float32 per page, top-{TOP}, {args.candidates} candidates ({machine})")
    print(f"{'pages':>7} {'path':<20} {'p50 ms':>7} {'p95 ms':>7} {'cold p50':>8} {'cold p95':>8} {'top10 =':>7} "
          f"{'overlap':>7} {'RSS MB':>7} {'disk B/page':>11} {'speedup':>7}")
    for r in rows:
        disk = f"{r['disk_bytes_per_page']:,}" if r["disk_bytes_per_page"] else "-"
        speedup = f"{r['speedup_vs_exhaustive']:.0f}x" if "speedup_vs_exhaustive" in r else "-"
        cold = [f"{v:.1f}" if v is not None else "-" for v in (r["cold_p50_ms"], r["cold_p95_ms"])]
        print(f"{r['pages']:>7,} {r['path']:<20} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {cold[0]:>8} {cold[1]:>8} "
              f"{r['top10_equal']:>7.2f} {r['top10_overlap']:>7.3f} {r['peak_rss_mb']:>7.0f} {disk:>11} {speedup:>7}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "date": time.strftime("%Y-%m-%d"),
                                    "candidates": args.candidates, "pool_rows": defaults.page_pool_rows,
                                    "rows": rows}, indent=2) + "\n")
    print(f"\nwritten to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
