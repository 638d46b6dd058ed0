"""What the named-documents step costs a search: the same questions searched with it and without it,
in one process, rounds alternating, on dev-set collections.

    python bench/named.py --set financebench=DATA_DIR:QUESTIONS [--set officeqa=...] [--rounds 3]
        [--merged DIR] [--out bench/results/named.json]

A question that names documents by words of their titles is searched a second time within them
(retrieve/scope.py); this measures the fused search end to end (encoding the query, both searches,
fusion, the hits' text) with `named_weight` 0 (the step off) and the default, after a warm-up round of
each (the store caches where its points are, as a serving process would have), and counts the engine's
queries by kind. One search at a time, lite profile.

With --merged DIR, each set's questions are also searched in one collection holding every set's documents
(the two dev sets: 93 documents, 9,230 pages, the scale of 10,000 pages), built once under DIR by copying
the sets' points with their vectors (nothing encoded again) and optimised.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import time
from pathlib import Path

from common import DEV_SET_HELP, dev_sets, write_results  # noqa: E402  (bench/ is the script's folder)
from common import machine as machine_name  # noqa: E402

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pagesight import PageSight  # noqa: E402
from pagesight.core.settings import Settings  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402
from pagesight.retrieve.metrics import percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def measure(data: Path, questions: list[str], rounds: int) -> list[dict]:
    settings = Settings(_env_file=None, data_dir=data, profile="lite")
    rows = []
    with PageSight(settings=settings) as sight:
        retriever = sight.retriever()
        weights = (0.0, settings.named_weight)
        for weight in weights:  # warm-up: the store learns where the points it returns are
            retriever.settings = settings.model_copy(update={"named_weight": weight})
            for q in questions:
                retriever.search(q, 5)
        engine = type(retriever.store)._query  # noqa: SLF001 (counting the engine's queries)
        queries: collections.Counter = collections.Counter()

        def counted(store, search, **kw):
            queries[(weight, search.using)] += 1
            return engine(store, search, **kw)

        type(retriever.store)._query = counted  # noqa: SLF001
        times: dict[float, list[float]] = {w: [] for w in weights}
        try:
            for _ in range(rounds):
                for weight in weights:
                    retriever.settings = settings.model_copy(update={"named_weight": weight})
                    for q in questions:
                        began = time.perf_counter()
                        retriever.search(q, 5)
                        times[weight].append(1000 * (time.perf_counter() - began))
        finally:
            type(retriever.store)._query = engine  # noqa: SLF001
        for weight in weights:
            searches = len(times[weight])
            rows.append({"named_weight": weight, "searches": searches,
                         "p50_ms": round(percentile(times[weight], 50), 1),
                         "p95_ms": round(percentile(times[weight], 95), 1),
                         "engine_queries_per_search": round(sum(n for (w, _), n in queries.items() if w == weight)
                                                            / searches, 2)})
    return rows


def merged(sets: list[tuple[str, Path, Path]], folder: Path) -> Path:
    """The data folder of one collection holding every set's points, built under `folder` unless a build
    finished there before."""
    done = folder / "merged.done"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    with PageSight(settings=Settings(_env_file=None, data_dir=folder, profile="lite")) as target:
        for name, data, _ in sets:
            with PageSight(settings=Settings(_env_file=None, data_dir=data, profile="lite")) as source:
                target.store.ensure_schema(source.store.schema)  # refuses sets built with other encoders
                offset, copied = None, 0
                while True:
                    points, offset = source.store.export_points(offset, 256)
                    target.store.import_points(points)
                    copied += len(points)
                    if offset is None:
                        break
            print(f"merged: {copied} points of {name}", flush=True)
        target.optimize()
        pages = sum(d.pages for d in target.documents())
    done.write_text(f"{pages} pages\n")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--merged", type=Path, help="also search one collection of every set's documents, "
                        "built (once) in this folder")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "named.json")
    args = parser.parse_args()
    results = {}
    sets = dev_sets(args.set)
    for name, data, questions in sets:
        results[name] = measure(data, [q.text for q in read_questions(questions)], args.rounds)
    if args.merged:
        folder = merged(sets, args.merged)
        for name, _, questions in sets:
            results[f"{name} in all"] = measure(folder, [q.text for q in read_questions(questions)], args.rounds)
    machine = machine_name("one search at a time")
    print(f"the named-documents step, fused search end to end, lite profile ({machine})")
    print(f"{'set':<20} {'named weight':>12} {'searches':>8} {'p50 ms':>7} {'p95 ms':>7} {'queries/search':>14}")
    for name, rows in results.items():
        for r in rows:
            print(f"{name:<20} {r['named_weight']:>12} {r['searches']:>8} {r['p50_ms']:>7} {r['p95_ms']:>7} "
                  f"{r['engine_queries_per_search']:>14}")
    write_results(args.out, machine, {"results": results})


if __name__ == "__main__":
    main()
