"""The extractive answerer's picks on two dev sets: whether its first quote, or any of its quotes, comes from
a gold page, by the weights of its passage score, chosen on one half of each set's questions and
reported on the other half and the whole.

    python bench/picks.py --set financebench=DATA_DIR:QUESTIONS --set officeqa=DATA_DIR:QUESTIONS \
        [--out bench/results/picks.json]

Each question is searched and its pages read as `pagesight ask` does (the fused search, the answer's
pages, the check that the pages bear on the question); the answerer's candidate passages and their
features (generate/extractive.py: similarity, word overlap, the page's rank, fit) are computed once,
and every weighting is then a dot product over them, picked as the answerer picks (its least score, no
two overlapping quotes). "tune" is the questions of even position in each set, "test" the odd ones;
the weights are chosen on "tune" by the sum over both sets of first-quote-gold and any-quote-gold,
the share of questions answered (not abstained) reported beside them. Beside the weights, how the
quotes are chosen and ordered, which has no number to tune and is reported as it is on both halves:
the best passages wherever they are, or each page's best first ("spread"), the first quote being the
best-scored one, the retriever's first page's, or that of the page whose three best passages score
highest together. And the weight of a table row whose label the question names (`LABEL`), swept
over LABELS with today's picks, chosen on "tune" (the middle of tied weights), every weight reported.
And how many pages the answerer reads (`answer_pages`), over DEPTHS with today's picks: each question
searched once for the deepest, the first k of those pages read for each k (the fused ranking does not
depend on k), the check that the pages bear on the question made on those k; chosen on "tune" the same
way. (Abstaining on the unanswerable counterparts is `pagesight eval --answers`'s to measure.)
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

from common import DEV_SET_HELP, chosen_on_tune, dev_sets, halves, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.generate.extractive import LABEL, Asked, ExtractiveAnswerer, Weights, label_share  # noqa: E402
from pagesight.generate.support import missing_terms  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402
from pagesight.retrieve.metrics import mean  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GRID = {"similarity": [0.5, 0.7, 0.85], "rank": [0.0, 0.05, 0.1, 0.2, 0.3], "fit": [0.0, 1.0, 2.0]}
LABELS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]  # the weight of a table row's label named by the question
DEPTHS = [2, 3, 4, 5, 6]  # pages read


def gather(data: Path, questions_path: Path) -> dict[int, list[dict]]:
    """Per number of pages read, per question: the candidates (with the answerer's features), which of
    them are on a gold page, and whether the pages read were refused as not bearing on the question."""
    from pagesight import PageSight

    settings = Settings(_env_file=None, data_dir=data, profile="lite")
    out: dict[int, list[dict]] = {k: [] for k in DEPTHS}
    with PageSight(settings=settings) as sight:
        answerer = sight.models.answerer("extractive", sight.store.schema)
        titles = sight.titles()
        for i, q in enumerate(read_questions(questions_path)):
            found = sight.evidence(sight.search(q.text, max(DEPTHS)))
            asked = Asked.of(q.text)
            for k in DEPTHS:
                evidence = found[:k]
                refused = bool(missing_terms(q.text, evidence, titles))
                pool, features = answerer.features(q.text, evidence)
                on_gold = [(Path(c.evidence.hit.file_name).stem, c.evidence.hit.page) in q.relevant for c in pool]
                read_gold = any((Path(e.hit.file_name).stem, e.hit.page) in q.relevant for e in evidence)
                out[k].append({"refused": refused, "pool": pool, "features": features,
                               "label": np.array([label_share(asked, c.text) for c in pool]),
                               "gold": np.array(on_gold, dtype=bool), "read_gold": read_gold})
            print(f"{data.name}: {i + 1}", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return out


def score(answerer: ExtractiveAnswerer, rows: list[dict], order: str = "quote", label: float = LABEL) -> dict:
    """First-quote-gold and any-quote-gold; `order`: the quotes by their own scores ("quote"), or the first
    from the page the retriever ranked first ("page"), or from the page whose three best passages score
    highest together ("page support"); `label`: the weight of a row's label named by the question in
    place of the answerer's `LABEL`."""
    first, any_, answered = [], [], []
    for row in rows:
        chosen = []
        if not row["refused"] and row["pool"]:
            scores = row["features"] @ answerer.weights.vector() + (label - LABEL) * answerer.weights.fit * row["label"]
            index = {id(c): i for i, c in enumerate(row["pool"])}
            ranked = sorted(zip(scores.tolist(), row["pool"], strict=True), key=lambda sc: -sc[0])
            chosen = [index[id(c)] for c in answerer.pick(ranked)]
            if order == "page":
                chosen.sort(key=lambda i: row["pool"][i].evidence.marker)
            elif order == "page support":
                support: dict[int, list[float]] = {}
                for value, c in ranked:
                    support.setdefault(c.evidence.marker, []).append(value)
                chosen.sort(key=lambda i: -sum(support[row["pool"][i].evidence.marker][:3]))
        answered.append(bool(chosen))
        first.append(bool(chosen) and bool(row["gold"][chosen[0]]))
        any_.append(any(row["gold"][i] for i in chosen))
    return {"first_gold": mean(first), "any_gold": mean(any_), "answered": mean(answered),
            "read_gold": mean(r["read_gold"] for r in rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "picks.json")
    args = parser.parse_args()
    by_depth = {name: gather(data, questions) for name, data, questions in dev_sets(args.set)}
    pages_read = Settings(_env_file=None).answer_pages
    sets = {name: rows[pages_read] for name, rows in by_depth.items()}

    parts = {name: halves(rows) for name, rows in sets.items()}

    def answerer_with(spread: bool = False, **weights) -> ExtractiveAnswerer:
        return ExtractiveAnswerer(None, weights=Weights(**weights), spread=spread)

    def quality(weights: dict, part: str, spread: bool = False, order: str = "quote", label: float = LABEL) -> dict:
        chosen = {**weights, "overlap": round(1 - weights["similarity"], 2)}
        return {name: score(answerer_with(spread, **chosen), parts[name][part], order, label) for name in sets}

    grid = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    best = max(grid, key=lambda w: sum(q["first_gold"] + q["any_gold"] for q in quality(w, "tune").values()))
    default = Weights()
    today = {"similarity": default.similarity, "rank": default.rank, "fit": default.fit}
    results = []
    # The picks: the best passages wherever they are ("best"), or each page's best first ("spread", no
    # number to tune: reported on both halves as it is).
    for label, weights, spread, order in (("best, today", today, False, "quote"),
                                          ("best, tuned", best, False, "quote"),
                                          ("spread, today", today, True, "quote"),
                                          ("spread, by page", today, True, "page"),
                                          ("spread, support", today, True, "page support")):
        for part in ("tune", "test", "all"):
            for set_name, q in quality(weights, part, spread, order).items():
                results.append({"weights": label, **weights, "part": part, "set": set_name, **q})
    # The label weight, on today's picks: chosen on "tune"; among tied weights the middle one (the
    # plateau's centre, not its edge).
    chosen_label, tied = chosen_on_tune(
        LABELS, lambda w: sum(q["first_gold"] + q["any_gold"] for q in quality(today, "tune", True, label=w).values()))
    for w in LABELS:
        for part in ("tune", "test", "all"):
            for set_name, q in quality(today, part, True, label=w).items():
                results.append({"weights": f"label {w}", **today, "part": part, "set": set_name, **q})

    # How many pages are read, on today's picks: chosen on "tune" the same way.
    def at_depth(k: int, part: str) -> dict:
        answerer = answerer_with(True, **{**today, "overlap": round(1 - today["similarity"], 2)})
        return {name: score(answerer, halves(rows[k])[part]) for name, rows in by_depth.items()}

    chosen_depth, depth_tied = chosen_on_tune(
        DEPTHS, lambda k: sum(q["first_gold"] + q["any_gold"] for q in at_depth(k, "tune").values()))
    for k in DEPTHS:
        for part in ("tune", "test", "all"):
            for set_name, q in at_depth(k, part).items():
                results.append({"weights": f"pages {k}", **today, "part": part, "set": set_name, **q})

    machine = machine_name("one thread")
    print(f"\nextractive picks, weights chosen on 'tune' (even questions), lite profile ({machine})")
    print(f"{'weights':<15} {'set':<13} {'part':<5} {'read gold':>9} {'first gold':>10} {'any gold':>9} "
          f"{'answered':>9}  similarity / rank / fit")
    for r in results:
        print(f"{r['weights']:<15} {r['set']:<13} {r['part']:<5} {r['read_gold']:>9.3f} {r['first_gold']:>10.3f} "
              f"{r['any_gold']:>9.3f} {r['answered']:>9.3f}  {r['similarity']} / {r['rank']} / {r['fit']}")
    print(f"label weight chosen on 'tune': {chosen_label} (tied: {tied}; the answerer's LABEL is {LABEL})")
    print(f"pages read chosen on 'tune': {chosen_depth} (tied: {depth_tied}; answer_pages is {pages_read})")
    for set_name, now in at_depth(pages_read, "test").items():
        then = at_depth(chosen_depth, "test")[set_name]
        print(f"  on '{set_name}' test: first gold {now['first_gold']:.3f} -> {then['first_gold']:.3f}, "
              f"any gold {now['any_gold']:.3f} -> {then['any_gold']:.3f}")
    write_results(args.out, machine, {"grid": GRID, "labels": LABELS, "label_chosen": chosen_label,
                                      "label_tied": tied, "depths": DEPTHS, "depth_chosen": chosen_depth,
                                      "depth_tied": depth_tied, "results": results})


if __name__ == "__main__":
    main()
