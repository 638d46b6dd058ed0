"""Fusion methods, compared on two dev sets at once: what the fused ranking gains over each channel, with
the settings chosen on one half of each set's questions and reported on the other half and the whole.

    python bench/fusion.py --set financebench=DATA_DIR:QUESTIONS --set officeqa=DATA_DIR:QUESTIONS \
        [--cache bench/results/fusion-runs.json] [--out bench/results/fusion.json]

Each question is searched once per channel, deep (--depth pages), on the collection as the retriever
searches it (the text channel over the whole collection; BM25 over the whole collection, and over the
text channel's candidates; and both again within the documents the question names by their titles,
retrieve/scope.py, for each period rule tried); the rankings, with their scores, are cached. Every
method is then a pure function over those rankings (retrieve/fusion.py, bench/fusion_rules.py), so
trying one costs no search. "tune" is the
questions of even position in each set, "test" the odd ones; a method's free settings are chosen on
"tune" (the best sum of R@5 and nDCG@5 over both sets), then reported on "test" and on all questions.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

import fusion_rules  # noqa: E402  (bench/ is the script's folder)
from common import DEV_SET_HELP, dev_sets, halves, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.retrieve import fusion  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402
from pagesight.retrieve.metrics import mean, mrr, ndcg_at_k, recall_at_k  # noqa: E402
from pagesight.retrieve.scope import named_documents  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The period rules tried for the named documents: title year minus question year.
PERIODS = {"same": (0,), "same or next": (0, 1), "wide": (-1, 0, 1, 2)}


def runs(name: str, data: Path, questions_path: Path, depth: int) -> dict:
    """Per question: each channel's ranking, [[file stem, page, score], ...], best first."""
    from dataclasses import replace

    from pagesight import PageSight
    from pagesight.core.types import Filters, title_of

    settings = Settings(_env_file=None, data_dir=data, profile="lite")
    questions = read_questions(questions_path)
    out = {"questions": []}
    with PageSight(settings=settings) as sight:
        retriever = sight.retriever()
        everywhere = retriever.resolve(Filters())
        titles = {d.id: title_of(d.file_name) for d in sight.store.documents()}
        for i, q in enumerate(questions):
            text = retriever.run_channel("text", q.text, depth, everywhere)
            bm25 = retriever.run_channel("bm25", q.text, depth, everywhere)
            within = replace(everywhere, within=tuple(dict.fromkeys((h.doc_id, h.page) for h in text[:40])))
            scoped = retriever.run_channel("bm25", q.text, 40, within)
            found = [("text", text), ("bm25", bm25), ("bm25_within", scoped)]
            for period_name, period in PERIODS.items():
                named = named_documents(q.text, titles, period=period)
                if named is None:
                    continue
                in_named = replace(everywhere, doc_ids=named)
                text_named = retriever.run_channel("text", q.text, 40, in_named)
                candidates = replace(in_named, within=tuple(dict.fromkeys((h.doc_id, h.page) for h in text_named)))
                found += [(f"text_named {period_name}", text_named),
                          (f"bm25_named {period_name}", retriever.run_channel("bm25", q.text, 40, candidates))]
            out["questions"].append({
                "id": q.id, "text": q.text, "gold": sorted([f, p] for f, p in q.relevant),
                "rankings": {label: [[Path(h.file_name).stem, h.page, h.score] for h in hits]
                             for label, hits in found}})
            print(f"{name}: {i + 1}/{len(questions)}", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return out


def _ranked(rows) -> list[tuple[tuple[str, int], float]]:
    return [((f, p), s) for f, p, s in rows]


def _out(fused) -> list:
    return [[key[0], key[1], score] for key, score, _ in fused]


def _rrf(r, bm25_weight=0.25, scope="bm25_within"):
    return _out(fusion.rrf({"text": [k for k, _ in _ranked(r["text"][:40])],
                            "bm25": [k for k, _ in _ranked(r[scope][:40])]}, {"text": 1.0, "bm25": bm25_weight}, 60))


def _named(r, named_weight=1.0, period="same or next"):
    rankings = {"text": [k for k, _ in _ranked(r["text"][:40])], "bm25": [k for k, _ in _ranked(r["bm25_within"][:40])],
                "text@named": [k for k, _ in _ranked(r.get(f"text_named {period}", []))],
                "bm25@named": [k for k, _ in _ranked(r.get(f"bm25_named {period}", []))]}
    return _out(fusion.rrf(rankings, {"text": 1.0, "bm25": 1.0, "text@named": named_weight,
                                      "bm25@named": named_weight}, 60))


def _scores(r, bm25_weight=1.0, scope="bm25", floor=0.0):
    return _out(fusion_rules.score_fusion({"text": _ranked(r["text"][:40]), "bm25": _ranked(r[scope][:40])},
                                    {"text": 1.0, "bm25": bm25_weight}, floor=floor))


def _documents(r, bm25_weight=1.0, scope="bm25", floor=0.0, keep=3, strength=0.5):
    fused = fusion_rules.score_fusion({"text": _ranked(r["text"][:40]), "bm25": _ranked(r[scope][:40])},
                                {"text": 1.0, "bm25": bm25_weight}, floor=floor)
    return _out(fusion_rules.by_document(fused, lambda key: key[0], keep=keep, strength=strength))


# name -> (the settings tried, a function of a question's rankings and those settings)
METHODS = {
    "text alone": ({}, lambda r: r["text"]),
    "bm25 alone": ({}, lambda r: r["bm25"]),
    "rrf, before (bm25 0.25 in text's top 40)": ({}, _rrf),
    "rrf, today (bm25 1.0 in text's top 40)": ({}, lambda r: _rrf(r, 1.0)),
    "rrf, weighted": ({"bm25_weight": [0.25, 0.5, 1.0], "scope": ["bm25_within", "bm25"]}, _rrf),
    "rrf + named documents": ({"named_weight": [0.5, 1.0, 2.0, 4.0], "period": list(PERIODS)}, _named),
    "score fusion, margin": ({"bm25_weight": [0.5, 1.0, 2.0], "scope": ["bm25", "bm25_within"],
                              "floor": [0.0, 0.25, 0.5]}, _scores),
    "score fusion + documents": ({"bm25_weight": [0.5, 1.0, 2.0], "scope": ["bm25", "bm25_within"],
                                  "floor": [0.0, 0.25], "keep": [2, 3, 5], "strength": [0.25, 0.5, 1.0]},
                                 _documents),
}


def score(method, rows: list[dict]) -> dict:
    ranked = [[(f, p) for f, p, _ in method(row["rankings"])] for row in rows]
    golds = [frozenset((f, p) for f, p in row["gold"]) for row in rows]
    pairs = list(zip(ranked, golds, strict=True))
    return {"r1": mean(recall_at_k(r, g, 1) for r, g in pairs), "r5": mean(recall_at_k(r, g, 5) for r, g in pairs),
            "r10": mean(recall_at_k(r, g, 10) for r, g in pairs), "ndcg5": mean(ndcg_at_k(r, g, 5) for r, g in pairs),
            "mrr": mean(mrr(r, g) for r, g in pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "results" / "fusion-runs.json")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fusion.json")
    args = parser.parse_args()
    cached = json.loads(args.cache.read_text()) if args.cache.is_file() else {}
    chosen = dev_sets(args.set)
    for name, data, questions in chosen:
        if name not in cached:
            cached[name] = runs(name, data, questions, args.depth)
            args.cache.parent.mkdir(parents=True, exist_ok=True)
            args.cache.write_text(json.dumps(cached))
    sets = {name: cached[name] for name, _, _ in chosen}
    parts = {name: halves(rows["questions"]) for name, rows in sets.items()}

    results = []
    for method_name, (grid, method) in METHODS.items():
        settings_list = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]

        def quality(params: dict, part: str, method=method) -> dict:
            return {name: score(lambda rankings: method(rankings, **params), parts[name][part]) for name in sets}

        best = max(settings_list, key=lambda p: sum(q["r5"] + q["ndcg5"] for q in quality(p, "tune").values()))
        for part in ("tune", "test", "all"):
            for set_name, q in quality(best, part).items():
                results.append({"method": method_name, "params": best, "part": part, "set": set_name, **q})
        print(f"{method_name}: {best}", file=sys.stderr, flush=True)

    machine = machine_name()
    print(f"\nfusion methods, settings chosen on 'tune' (even questions), lite profile ({machine})")
    print(f"{'method':<22} {'set':<13} {'part':<5} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'nDCG@5':>7} {'MRR':>6}  "
          "settings")
    for r in results:
        if r["part"] == "tune":
            continue
        print(f"{r['method'][:22]:<22} {r['set']:<13} {r['part']:<5} {r['r1']:>6.3f} {r['r5']:>6.3f} {r['r10']:>6.3f} "
              f"{r['ndcg5']:>7.3f} {r['mrr']:>6.3f}  {json.dumps(r['params'])}")
    write_results(args.out, machine, {"results": results})


if __name__ == "__main__":
    main()
