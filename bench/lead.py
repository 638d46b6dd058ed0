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
from pagesight.retrieve.steps import leader  # noqa: E402

RATIOS = (1.1, 1.25, 1.5, 2.0, 3.0)
CHANNELS = ("bm25", "text")


def key(hit) -> tuple[str, int]:
    """A hit's page as the dev sets name their gold pages."""
    return Path(hit.file_name).stem, hit.page


def searched(data: Path, questions_path: Path) -> list[dict]:
    """Each question's default ranking without the lead step (the rule measured here is that step's: it is
    applied to the ranking it joins), the channels that found its first page, and each channel's ranking
    with its scores."""
    from pagesight import PageSight

    rows = []
    settings = Settings(_env_file=None, data_dir=data, profile="lite", lead_weight=0)
    with PageSight(settings=settings) as sight:
        for q in (q for q in read_questions(questions_path) if q.relevant):
            hits = sight.search(q.text, 10).hits
            row = {"gold": q.relevant, "default": [key(h) for h in hits],
                   "first_found_by": hits[0].channels if hits else []}
            for channel in CHANNELS:
                hits = sight.search(q.text, 10, channels=[channel], steps=[]).hits
                row[channel] = hits
            rows.append(row)
    return rows


def led(row: dict, channel: str, ratio: float | None) -> list:
    """The default ranking, with `channel`'s first page first when it leads its second by `ratio`."""
    ranking = row["default"]
    first = leader(row[channel], ratio) if ratio is not None else None  # the product's own rule
    if first is None:
        return ranking
    return [key(first), *[page for page in ranking if page != key(first)]][:10]


def lost_to_consensus(rows: list[dict]) -> dict:
    """The questions BM25 alone puts right at 1 and the default does not; of those, how many have a first
    page both channels ranked, and how many a first page that is not the text channel's first either."""
    lost = [r for r in rows if r["bm25"] and key(r["bm25"][0]) in r["gold"]
            and not (r["default"] and r["default"][0] in r["gold"])]
    return {"bm25_right_default_not": len(lost),
            "default_first_found_by_both": sum({"text", "bm25"} <= set(r["first_found_by"]) for r in lost),
            "default_first_not_text_first": sum(bool(r["text"]) and r["default"][0] != key(r["text"][0]) for r in lost)}


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
    lost = {name: lost_to_consensus(rows) for name, rows in sets.items()}
    print(f"\nA channel's clear lead moved to the first place ({machine_name()}); R@1 / nDCG@5, "
          "tune (even) | test (odd) half")
    print(f"{'rule':<14}" + "".join(f"{name:>34}" for name in sets))
    for rule in results[next(iter(sets))]:
        cells = "".join(f"{r['tune']['R@1']:>7.3f} {r['tune']['nDCG@5']:.3f} | {r['test']['R@1']:.3f} "
                        f"{r['test']['nDCG@5']:.3f}" for r in (results[name][rule] for name in sets))
        print(f"{rule:<14}{cells}")
    for name, counts in lost.items():
        print(f"{name}: BM25 right at 1 and the default not {counts['bm25_right_default_not']}; the default's "
              f"first found by both channels {counts['default_first_found_by_both']}, not the text channel's "
              f"first {counts['default_first_not_text_first']}")
    write_results(args.out, machine_name(), {"how": "python bench/lead.py", "ratios": RATIOS, "sets": results,
                                             "lost_to_consensus": lost})


if __name__ == "__main__":
    sys.exit(main())
