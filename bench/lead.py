"""Does a channel's clear lead deserve the first place? A measurement of one fusion rule on every dev set.

    python bench/lead.py --set financebench=DATA:QUESTIONS --set officeqa=... --set mmlongbench=... \
        [--out bench/results/lead.json]

Why: on MMLongBench, over the whole collection, BM25 alone puts the gold page first more often than the
default ranking (R@1 0.340 against 0.316); where it does and the default does not, the default's first page
is one both channels ranked, their consensus outvoting BM25's lone first place. The rule measured: when a
channel's first score stands at least `ratio` times its second (a clear lead), its first page is moved to
the first place of the default ranking, the rest keeping their order. Each question is searched once per
ranking (the default, BM25 alone, text alone: each its top 10 with scores); every rule is then a pure
function over those. Ratios are chosen on the even questions of all three sets together and reported on
the odd ones; the rule counts only if it holds on every set (docs/evaluation.md's rule).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from common import DEV_SET_HELP, dev_sets, halves, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402
from pagesight.retrieve.metrics import hit_at_k, mean, ndcg_at_k, recall_at_k  # noqa: E402

RATIOS = (1.1, 1.25, 1.5, 2.0, 3.0)
CHANNELS = ("bm25", "text")


def searched(data: Path, questions_path: Path) -> list[dict]:
    """Each question's default ranking and each channel's, with the channel's scores."""
    from pagesight import PageSight

    rows = []
    with PageSight(settings=Settings(_env_file=None, data_dir=data, profile="lite")) as sight:
        for q in (q for q in read_questions(questions_path) if q.relevant):
            key = lambda h: (Path(h.file_name).stem, h.page)  # noqa: E731
            row = {"gold": q.relevant, "default": [key(h) for h in sight.search(q.text, 10).hits]}
            for channel in CHANNELS:
                hits = sight.search(q.text, 10, channels=[channel], steps=[]).hits
                row[channel] = [(key(h), h.score) for h in hits]
            rows.append(row)
    return rows


def led(row: dict, channel: str, ratio: float | None) -> list:
    """The default ranking, with `channel`'s first page first when it leads its second by `ratio`."""
    ranking = row["default"]
    found = row[channel]
    if ratio is None or len(found) < 2 or found[1][1] <= 0 or found[0][1] < ratio * found[1][1]:
        return ranking
    first = found[0][0]
    return [first, *[page for page in ranking if page != first]][:10]


def figures(rows: list[dict], channel: str, ratio: float | None) -> dict:
    out = {}
    for half, part in halves(rows).items():
        ranked = [(led(r, channel, ratio), r["gold"]) for r in part]
        out[half] = {"n": len(part), "R@1": mean(recall_at_k(x, g, 1) for x, g in ranked),
                     "R@5": mean(recall_at_k(x, g, 5) for x, g in ranked),
                     "hit@1": mean(hit_at_k(x, g, 1) for x, g in ranked),
                     "nDCG@5": mean(ndcg_at_k(x, g, 5) for x, g in ranked),
                     "moved": sum(led(r, channel, ratio) != r["default"] for r in part)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "lead.json")
    args = parser.parse_args()
    sets = {name: searched(data, questions) for name, data, questions in dev_sets(args.set)}
    results = {name: {f"{channel}@{ratio}": figures(rows, channel, ratio) for channel in CHANNELS
                      for ratio in (None, *RATIOS)} for name, rows in sets.items()}
    print(f"\nA channel's clear lead moved to the first place ({machine_name()}); R@1 / nDCG@5, "
          "tune (even) | test (odd) half")
    print(f"{'rule':<14}" + "".join(f"{name:>34}" for name in sets))
    for rule in results[next(iter(sets))]:
        cells = "".join(f"{r['tune']['R@1']:>7.3f} {r['tune']['nDCG@5']:.3f} | {r['test']['R@1']:.3f} "
                        f"{r['test']['nDCG@5']:.3f}" for r in (results[name][rule] for name in sets))
        print(f"{rule:<14}{cells}")
    write_results(args.out, machine_name(), {"how": "python bench/lead.py", "ratios": RATIOS, "sets": results})


if __name__ == "__main__":
    sys.exit(main())
