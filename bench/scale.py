"""Lite collections of 11,344 (the dev sets' real pages), 30,000 and 100,000 pages on this machine: build,
index build, disk, memory, open, search warm and cold, and the dev sets' quality inside the big collection.

    python bench/scale.py --set financebench=DATA_DIR:QUESTIONS --set officeqa=... --set mmlongbench=... \
        [--pages 30000,100000] [--upload 1000] [--clients 8] [--data /work/data/scale] [--out bench/results/scale.json]

The pages. First the three dev sets' real points (their ingested lite collections, read with their vectors),
then copies of whole documents under new ids, round after round, the sets interleaved, until the size is
reached. A copy is perturbed so that no two points are the same: each text vector moved by noise of norm 0.1
and made unit again, each BM25 weight scaled by exp(0.1 x N(0,1)) with one term in twenty dropped, one word in
twenty dropped from its text. Real documents carry the tag `scale:real`, copies `scale:copy-of-SET`; a set's
questions are searched with a tag filter that keeps the real documents and the copies of the other sets, so
its distractors are never copies of its own pages (which would be its own pages again, not scale); a
document in two sets is added once and its copies are no set's distractors. The sizes
grow one collection: each stage adds its copies to the last (the add timed, then the index build) and is
measured in full before the next.

Measured at each size:
  build        points added and their pages/s (real points are read back with their vectors: no encoding);
               the index build (`Store.optimize`: copy the shard, build in a child, swap in) in seconds
  disk         bytes a page on disk (allocated blocks) for each part of the shard: text vectors and their
               HNSW graph, BM25 vectors and their index, payloads and their indexes, the write-ahead log,
               the rest; page images are not counted (copies share none)
  open         seconds to open the collection in a process (warm), and a server's start to /ready
  memory       the server's resident memory idle (after one search) and at its peak under --clients clients
  search       in process, every question of the three sets, whole collection: p50/p95 warm (after one pass);
               cold: the collection closed, its files dropped from the page cache (posix_fadvise DONTNEED on
               each file of the collection, never the machine's whole cache), opened again, one question;
               under load: the server's p50/p95 with --clients clients asking at once
  quality      each set's R@5 and hit@5 in the big collection (filtered as above) beside its own collection
--measure-only measures an existing collection again (after a change of code, or on a quiet machine);
--quality-only only its quality and each set's own, with the settings of the environment (e.g.
PAGESIGHT_BM25_SCOPE=candidates to compare a default with the one before it).
--upload N adds N more pages to the largest collection after its measures and times the add (foreground)
and the index build that follows (in the background for a server).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
import zlib
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from common import DEV_SET_HELP, dev_sets, drop_from_page_cache, load, rss_mb, serve, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx  # noqa: E402
import numpy as np  # noqa: E402

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.core.types import Filters  # noqa: E402
from pagesight.index.edge import EdgeStore  # noqa: E402
from pagesight.index.layout import LIVE  # noqa: E402
from pagesight.index.points import Point, point_id  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402
from pagesight.retrieve.metrics import hit_at_k, mean, percentile, recall_at_k  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL = "scale:real"
COLD_SAMPLES = 12
NOISE = 0.1


def copy_tag(name: str) -> str:
    return f"scale:copy-of-{name}"


# ---- the points ------------------------------------------------------------------------------
def read_set(name: str, data: Path) -> tuple[object, list[tuple[str, list[Point], int]]]:
    """A set's live points by document, in the collection's order: (schema, [(doc id, points, pages)])."""
    store = EdgeStore(data / "collections" / "default", "default")
    by_doc: dict[str, list[Point]] = defaultdict(list)
    offset = None
    while True:
        points, offset = store.export_points(offset, 1024, LIVE)
        for p in points:
            by_doc[p.payload["doc_id"]].append(p)
        if offset is None:
            break
    schema = store.schema
    store.close()
    docs = [(doc, points, sum(p.payload["kind"] == "page" for p in points)) for doc, points in sorted(by_doc.items())]
    print(f"{name}: {len(docs)} documents, {sum(d[2] for d in docs)} pages, {sum(len(d[1]) for d in docs)} points",
          file=sys.stderr, flush=True)
    return schema, docs


def tagged(points: list[Point], tag: str) -> list[Point]:
    """The points with the tag added to their document's."""
    out = []
    for p in points:
        if p.payload["kind"] == "document":
            document = {**p.payload["document"], "tags": [*p.payload["document"].get("tags", []), tag]}
            p = replace(p, payload={**p.payload, "tags": [*p.payload.get("tags", []), tag], "document": document})
        out.append(p)
    return out


def _moved(vector, rng):
    if isinstance(vector, tuple):  # BM25: (indices, values)
        indices, values = np.asarray(vector[0]), np.asarray(vector[1], dtype=np.float32)
        keep = rng.random(len(indices)) >= 0.05
        keep[rng.integers(len(indices))] = True  # never empty
        values = values * np.exp(NOISE * rng.normal(size=len(values))).astype(np.float32)
        return ([int(i) for i in indices[keep]], [float(v) for v in values[keep]])
    v = np.asarray(vector, dtype=np.float32)
    v = v + NOISE / np.sqrt(v.shape[-1]) * rng.normal(size=v.shape).astype(np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _words_dropped(text: str, rng) -> str:
    words = text.split(" ")
    return " ".join(w for w in words if rng.random() >= 0.05) if len(words) > 3 else text


def copy_of(doc_id: str, points: list[Point], round_: int, tag: str) -> list[Point]:
    """The document under a new id, each point moved a little (the same for the same round and document)."""
    rng = np.random.default_rng(zlib.crc32(f"{doc_id}/{round_}".encode()))
    new_id = f"{doc_id}-c{round_:03d}"
    blocks: dict[int, int] = defaultdict(int)
    out = []
    for p in points:
        kind, page = p.payload["kind"], p.payload.get("page", 0)
        if kind == "block":
            index = blocks[page]
            blocks[page] += 1
        else:
            index = 0
        payload = {**p.payload, "doc_id": new_id}
        if "text" in payload:
            payload["text"] = _words_dropped(payload["text"], rng)
        if kind == "document":
            document = p.payload["document"]
            stem, dot, ext = document["file_name"].rpartition(".")
            payload["document"] = {**document, "id": new_id, "file_name": f"{stem}~copy{round_}{dot}{ext}",
                                   "source": f"{document['source']}~copy{round_}", "tags": [tag]}
            payload["tags"], payload["replaces"] = [tag], []
        out.append(Point(point_id(new_id, kind, page, index), {k: _moved(v, rng) for k, v in p.vectors.items()},
                         payload))
    return out


class Grower:
    """Adds pages to one collection: the real points first, then copies round after round, the sets interleaved."""

    def __init__(self, store: EdgeStore, sets: dict[str, list], state: dict, shared: set[str]):
        self.store, self.sets, self.state = store, sets, state  # state: {"pages", "position"}
        self.shared = shared  # documents in more than one set: their copies are no set's distractors

    def _units(self):
        """Every (round, set, document) in the order they are added; round 0 is the real points."""
        names = list(self.sets)
        longest = max(len(docs) for docs in self.sets.values())
        round_ = 0
        while True:
            for i in range(longest):
                for name in names:
                    if i < len(self.sets[name]):
                        yield round_, name, self.sets[name][i]
            round_ += 1

    def grow(self, pages: int, *, whole_round: bool = False) -> dict:
        """Add documents until the collection holds `pages` pages (or, whole_round, until round 0 is in)."""
        started, added, points = time.perf_counter(), 0, 0
        batch: list[Point] = []
        for position, (round_, name, (doc_id, doc_points, doc_pages)) in enumerate(self._units()):
            if position < self.state["position"]:
                continue
            if (whole_round and round_ > 0) or (not whole_round and self.state["pages"] >= pages):
                break
            tag = copy_tag("several sets" if doc_id in self.shared else name)
            batch.extend(tagged(doc_points, REAL) if round_ == 0 else copy_of(doc_id, doc_points, round_, tag))
            self.state["pages"] += doc_pages
            self.state["position"] = position + 1
            added += doc_pages
            if len(batch) >= 2048:
                self.store.import_points(batch)
                points += len(batch)
                batch = []
        if batch:
            self.store.import_points(batch)
            points += len(batch)
        seconds = time.perf_counter() - started
        return {"pages_added": added, "points_added": points, "add_s": round(seconds, 1),
                "add_pages_per_s": round(added / seconds, 1) if seconds else None}


# ---- what it costs --------------------------------------------------------------------------
PARTS = (("text vectors", "vector_storage-text"), ("text graph", "vector_index-text"),
         ("bm25 vectors", "vector_storage-bm25"), ("bm25 index", "vector_index-bm25"),
         ("payloads", "payload_storage"), ("payload indexes", "payload_index"), ("write-ahead log", "wal"))


def disk(folder: Path, pages: int) -> dict:
    """Allocated bytes a page of each part of the collection's shard (page images apart)."""
    parts: dict[str, int] = defaultdict(int)
    for path in folder.rglob("*"):
        if not path.is_file() or "pages" in path.relative_to(folder).parts[:1]:
            continue
        size = path.stat().st_blocks * 512
        name = next((label for label, marker in PARTS if marker in path.parts), "the rest")
        parts[name] += size
    per_page = {name: round(parts.get(name, 0) / pages) for name, _ in PARTS + (("the rest", ""),)}
    return {"bytes_per_page": per_page, "total_bytes_per_page": round(sum(parts.values()) / pages),
            "total_gb": round(sum(parts.values()) / 1e9, 2)}


# ---- searches --------------------------------------------------------------------------------
def questions_of(sets) -> dict[str, list]:
    return {name: [q for q in read_questions(path) if q.relevant] for name, _, path in sets}


def quality(sight, questions, filters) -> dict:
    ranked = []
    for q in questions:
        hits = sight.search(q.text, 10, filters).hits
        ranked.append(([(Path(h.file_name).stem, h.page) for h in hits], q.relevant))
    return {"R@5": round(mean(recall_at_k(r, g, 5) for r, g in ranked), 3),
            "hit@5": round(mean(hit_at_k(r, g, 5) for r, g in ranked), 3)}


def mixed_quality(sight, questions: dict) -> dict:
    """Each set's quality in the big collection: its real documents and the copies of the other sets' (never
    copies of its own pages, which would be its own pages again)."""
    return {name: quality(sight, qs, Filters(tags=(REAL, *(copy_tag(n) for n in questions if n != name))))
            for name, qs in questions.items()}


def own_quality(settings: Settings, sets, questions: dict) -> tuple[object, dict]:
    """The models (loaded once, by the first set's collection) and each set's quality in its own collection:
    the reference for quality in the big one."""
    from pagesight import PageSight

    with PageSight(settings=replace_data(settings, sets[0][1])) as first:
        models = first.models
    own = {}
    for name, data, _ in sets:
        with PageSight(settings=replace_data(settings, data), models=models) as sight:
            own[name] = quality(sight, questions[name], None)
        print(f"{name} in its own collection: {own[name]}", file=sys.stderr, flush=True)
    return models, own


def timed_searches(sight, texts) -> list[float]:
    out = []
    for text in texts:
        started = time.perf_counter()
        sight.search(text, 10)
        out.append(1000 * (time.perf_counter() - started))
    return out


def under_load(base: str, texts: list[str], clients: int, pid: int) -> dict:
    """Every text searched once by `clients` clients at once (common.load); the server's peak resident memory
    meanwhile."""
    peak, done = [rss_mb(pid)], threading.Event()

    def watch():
        while not done.wait(0.2):
            peak.append(rss_mb(pid))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        found = load(base, "search", texts, len(texts), clients, k=10)
    finally:
        done.set()
        watcher.join()
    if found["errors"]:
        raise SystemExit(f"the server answered errors under load: {found['error_samples']}")
    return {"clients": clients, "requests": found["requests"], "p50_ms": round(found["p50_ms"], 1),
            "p95_ms": round(found["p95_ms"], 1), "per_s": round(found["rps"], 1), "peak_rss_mb": round(max(peak))}


def measure(data: Path, settings: Settings, models, questions: dict, clients: int, build: dict) -> dict:
    from pagesight import PageSight

    folder = data / "collections" / "default"
    texts = [q.text for qs in questions.values() for q in qs]
    figures = {"pages": build["pages"], **build, **disk(folder, build["pages"])}

    started = time.perf_counter()
    store = EdgeStore(folder, "default")
    figures["open_s"] = round(time.perf_counter() - started, 2)
    with PageSight(settings=settings, models=models, store=store) as sight:
        timed_searches(sight, texts)  # a pass to warm the page cache and the caches
        warm = timed_searches(sight, texts)
        figures["warm"] = {"queries": len(warm), "p50_ms": round(percentile(warm, 50), 1),
                           "p95_ms": round(percentile(warm, 95), 1)}
        figures["quality"] = mixed_quality(sight, questions)
    store.close()

    cold, opens = [], []
    for text in texts[:: max(1, len(texts) // COLD_SAMPLES)][:COLD_SAMPLES]:
        drop_from_page_cache(folder)
        started = time.perf_counter()
        store = EdgeStore(folder, "default")
        opens.append(time.perf_counter() - started)
        with PageSight(settings=settings, models=models, store=store) as sight:
            cold.extend(timed_searches(sight, [text]))
        store.close()
        del store
    figures["cold"] = {"queries": len(cold), "open_s_p50": round(statistics.median(opens), 2),
                       "p50_ms": round(percentile(cold, 50), 1), "p95_ms": round(percentile(cold, 95), 1),
                       "each_ms": [round(ms) for ms in cold]}

    started = time.perf_counter()
    process, base = serve(data)
    figures["server_ready_s"] = round(time.perf_counter() - started, 1)
    try:
        httpx.post(f"{base}/v1/search", json={"query": texts[0], "k": 10}, timeout=120).raise_for_status()
        figures["server_idle_rss_mb"] = round(rss_mb(process.pid))
        figures["load"] = under_load(base, texts, clients, process.pid)
    finally:
        process.terminate()
        process.wait(60)
    return figures


# ---- the run -----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--pages", default="30000,100000", help="sizes past the real pages, comma-separated")
    parser.add_argument("--upload", type=int, default=1000, help="pages added to the largest collection at the end")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--data", type=Path, default=Path("/tmp/pagesight-bench-scale"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure the collection --data holds again (built by an earlier run), building nothing")
    parser.add_argument("--quality-only", action="store_true",
                        help="only the quality of the collection --data holds, and of each set's own")
    args = parser.parse_args()
    sets = dev_sets(args.set)
    sizes = [int(s) for s in args.pages.split(",") if s.strip()]
    questions = questions_of(sets)
    if args.quality_only:
        quality_only(args.data, sets, questions, args.out)
        return

    schemas, docs = {}, {}
    for name, data, _ in sets:
        schemas[name], docs[name] = read_set(name, data)
    # A document in two sets (the same file, the same id: FinanceBench and MMLongBench share two 10-Ks) is
    # added once, with the first set, and its copies are tagged as no set's distractors.
    seen: dict[str, str] = {}
    shared: set[str] = set()
    for name in docs:
        kept = []
        for doc in docs[name]:
            if doc[0] in seen:
                shared.add(doc[0])
                print(f"{doc[0][:12]} is in {seen[doc[0]]} and {name}: added once", file=sys.stderr)
            else:
                seen[doc[0]] = name
                kept.append(doc)
        docs[name] = kept
    # The sets' points (millions of Python objects) stay in this process to be copied from; the collector's
    # full passes over them took ~2 s each and fell on one timed search in twelve. They are frozen out of
    # its reach: what is timed is the product, not this benchmark's own memory.
    gc.collect()
    gc.freeze()
    schema = next(iter(schemas.values()))
    if any(s.text != schema.text or s.sparse != schema.sparse for s in schemas.values()):
        raise SystemExit("the sets' collections were built with different encoders: they cannot share a collection")

    settings = Settings(_env_file=None, data_dir=args.data, profile="lite")
    rows = []
    models, own = own_quality(settings, sets, questions)

    if args.measure_only:
        store = EdgeStore(args.data / "collections" / "default", "default")
        pages = sum(d.pages for d in store.documents())
        store.close()
        row = measure(args.data, settings, models, questions, args.clients, {"pages": pages, "measured_again": True})
        write_results(args.out, machine_name("lite, 1 thread for BLAS"), {"own_collections": own, "sizes": [row]})
        print(json.dumps(row))
        return
    if args.data.exists():
        raise SystemExit(f"{args.data} exists: give a new --data folder (each run builds from nothing)")
    folder = args.data / "collections" / "default"
    store = EdgeStore(folder, "default")
    store.ensure_schema(schema)
    grower = Grower(store, docs, {"pages": 0, "position": 0}, shared)
    build = {}
    for target in [0, *sizes]:
        build = grower.grow(target, whole_round=target == 0)
        started = time.perf_counter()
        store.optimize()
        build.update(pages=grower.state["pages"], index_build_s=round(time.perf_counter() - started, 1))
        store.close()
        print(f"{build['pages']} pages: {build}", file=sys.stderr, flush=True)
        row = measure(args.data, settings, models, questions, args.clients, build)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        write_results(args.out, machine_name("lite, 1 thread for BLAS"), {"own_collections": own, "sizes": rows})
        store = grower.store = EdgeStore(folder, "default")

    upload = None
    if args.upload:
        upload = grower.grow(grower.state["pages"] + args.upload)
        started = time.perf_counter()
        store.optimize()
        upload["index_build_s"] = round(time.perf_counter() - started, 1)
        upload["onto_pages"] = rows[-1]["pages"]
    store.close()
    write_results(args.out, machine_name("lite, 1 thread for BLAS"), {"own_collections": own, "sizes": rows,
                                                                     "upload": upload})
    print_table(own, rows, upload)


def quality_only(data: Path, sets, questions: dict, out: Path) -> None:
    """Each set's R@5 and hit@5 in its own collection and in the collection `data` holds (its distractors
    filtered as `measure` does), with the settings of the environment."""
    from pagesight import PageSight

    settings = Settings(_env_file=None, data_dir=data, profile="lite")
    models, own = own_quality(settings, sets, questions)
    store = EdgeStore(data / "collections" / "default", "default")
    pages = sum(d.pages for d in store.documents())
    with PageSight(settings=settings, models=models, store=store) as sight:
        big = mixed_quality(sight, questions)
    store.close()
    print(f"\nQuality ({machine_name()}; bm25_scope {settings.bm25_scope})")
    print(f"{'set':<14} {'own R@5':>8} {'own hit@5':>10} {f'{pages} pages R@5':>18} {'hit@5':>6}")
    for name in questions:
        print(f"{name:<14} {own[name]['R@5']:>8.3f} {own[name]['hit@5']:>10.3f} {big[name]['R@5']:>18.3f} "
              f"{big[name]['hit@5']:>6.3f}")
    write_results(out, machine_name("lite, 1 thread for BLAS"), {"bm25_scope": settings.bm25_scope, "pages": pages,
                                                                 "own_collections": own, "quality": big})


def replace_data(settings: Settings, data: Path) -> Settings:
    return settings.model_copy(update={"data_dir": data})


def print_table(own: dict, rows: list[dict], upload: dict | None) -> None:
    print(f"\nLite collections by size ({machine_name()})")
    print(f"{'pages':>7} {'add p/s':>8} {'build s':>8} {'KB/page':>8} {'open s':>7} {'ready s':>8} {'idle MB':>8} "
          f"{'load MB':>8} {'warm p50/p95':>13} {'cold p50/p95':>13} {'load p50/p95':>18}")
    for r in rows:
        print(f"{r['pages']:>7} {r['add_pages_per_s'] or 0:>8.0f} {r['index_build_s']:>8.0f} "
              f"{r['total_bytes_per_page'] / 1024:>8.1f} {r['open_s']:>7.2f} {r['server_ready_s']:>8.1f} "
              f"{r['server_idle_rss_mb']:>8} {r['load']['peak_rss_mb']:>8} "
              f"{r['warm']['p50_ms']:>6.0f}/{r['warm']['p95_ms']:<6.0f} "
              f"{r['cold']['p50_ms']:>6.0f}/{r['cold']['p95_ms']:<6.0f} "
              f"{r['load']['p50_ms']:>9.0f}/{r['load']['p95_ms']:<8.0f}")
    print("\nR@5 (hit@5): own collection -> in the collection of each size")
    for name, figures in own.items():
        cells = " ".join(f"{r['quality'][name]['R@5']:.3f} ({r['quality'][name]['hit@5']:.3f})" for r in rows)
        print(f"  {name:<14} {figures['R@5']:.3f} ({figures['hit@5']:.3f}) -> {cells}")
    if upload:
        print(f"\n{upload['pages_added']} pages added onto {upload['onto_pages']}: add {upload['add_s']} s "
              f"(foreground), index build {upload['index_build_s']} s (a server's is in the background)")


if __name__ == "__main__":
    main()
