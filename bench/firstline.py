"""The first line of the extractive answers: how often it is there, and how often it holds the gold answer's
number, on a dev set's answerable questions.

    python bench/firstline.py --set financebench=DATA_DIR:QUESTIONS [--set ...] [--out bench/results/firstline.json]

Each question is asked as a user asks it (`PageSight.ask`, lite profile, extractive answerer, the default
pages read). The answer's first line is:
- a figure: the table cell of the row and column the question names (generate/tables.py `headline`);
- a sentence: the best passage, quoted (a question that wants an account, or a figure a sentence states);
- none: "no table row gives this figure" (the answerer says it found none), or an abstention.
"Present" counts figures and sentences. "Correct" is a first line holding the gold answer's number: a
number in it equal to the gold's within half a percent (1,577 for "$1577.00"; (1,577) too; 5,466.3 for
"$5466.00" does not count). A gold answer without a number is left out of "correct" (its denominator is
the questions whose gold has one). "Figures right/wrong" counts the figure first lines that hold the gold
number and those that state another: a wrong figure misleads where "no row gives this figure" does not.
Run on all three dev sets: OfficeQA's and MMLongBench's numeric golds say how often a first line is a
wrong figure on documents that are not filings.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from common import DEV_SET_HELP, dev_sets, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pagesight.core.periods import is_year  # noqa: E402
from pagesight.core.settings import Settings  # noqa: E402
from pagesight.generate.extractive import NO_FIGURE, NO_FIGURE_ANY  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402
from pagesight.retrieve.metrics import mean  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
_NUMBER = re.compile(r"\(?-?\$?\s?(\d[\d,]*(?:\.\d+)?)\)?")


def figures(text: str) -> list[tuple[str, float]]:
    """Each number of a text, as written and as a value."""
    return [(m.group(1), float(m.group(1).replace(",", ""))) for m in _NUMBER.finditer(text)]


def numbers(text: str) -> list[float]:
    return [value for _, value in figures(text)]


def holds(line: str, gold: str) -> bool | None:
    """Whether the line holds the gold answer's (first) number, a year left out where the gold has another
    ("... in FY 2023 ($1.8 bn)" wants 1.8, which a line's column "2023" does not hold); None when the gold
    holds none."""
    wanted = figures(gold)
    if not wanted:
        return None
    target = next((value for written, value in wanted if not is_year(written)), wanted[0][1])
    return any(abs(n - target) <= 0.005 * max(abs(target), 1e-9) for n in numbers(line.split(" [")[0]))


def kind_of(answer) -> str:
    first = answer.text.splitlines()[0] if answer.text else ""
    if answer.abstained or first in (NO_FIGURE, NO_FIGURE_ANY):
        return "none"
    return "sentence" if first.startswith('"') else "figure"


def run_set(name: str, data: Path, questions_path: Path) -> dict:
    from pagesight import PageSight

    settings = Settings(_env_file=None, data_dir=data, profile="lite", answerer="extractive")
    raw = [json.loads(line) for line in questions_path.read_text().splitlines() if line.strip()]
    gold = {str(r.get("financebench_id", r.get("id", i))): str(r.get("answer", "")) for i, r in enumerate(raw)}
    rows = []
    with PageSight(settings=settings) as sight:
        for q in read_questions(questions_path):
            if not q.relevant or not gold.get(q.id):
                continue
            answer = sight.ask(q.text)
            first = answer.text.splitlines()[0] if answer.text else ""
            rows.append({"id": q.id, "question": q.text[:200], "gold": gold[q.id][:200], "first_line": first,
                         "kind": kind_of(answer), "correct": holds(first, gold[q.id]),
                         "first_cited_gold": bool(answer.citations) and (
                             Path(answer.citations[0].file_name).stem, answer.citations[0].page) in q.relevant})
            print(f"{name}: {len(rows)}", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    numeric = [r for r in rows if r["correct"] is not None]
    return {"questions": len(rows), "present": mean([r["kind"] != "none" for r in rows]),
            "figure": mean([r["kind"] == "figure" for r in rows]),
            "sentence": mean([r["kind"] == "sentence" for r in rows]),
            "numeric_gold": len(numeric), "correct": mean([bool(r["correct"]) for r in numeric]) if numeric else None,
            "figure_right": sum(r["kind"] == "figure" and bool(r["correct"]) for r in numeric),
            "figure_wrong": sum(r["kind"] == "figure" and r["correct"] is False for r in numeric),
            "correct_of_all": sum(bool(r["correct"]) for r in numeric) / len(rows) if rows else None,
            "first_cited_gold": mean([r["first_cited_gold"] for r in rows]), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "firstline.json")
    args = parser.parse_args()
    machine = machine_name()
    results = {name: run_set(name, data, questions) for name, data, questions in dev_sets(args.set)}
    print(f"\nThe extractive answer's first line (lite; {machine})")
    print(f"{'set':<13} {'questions':>9} {'present':>8} {'figure':>7} {'sentence':>9} {'numeric gold':>13} "
          f"{'correct':>8} {'of all':>7} {'figures right/wrong':>20} {'1st cite gold':>14}")
    for name, r in results.items():
        print(f"{name:<13} {r['questions']:>9} {r['present']:>8.3f} {r['figure']:>7.3f} {r['sentence']:>9.3f} "
              f"{r['numeric_gold']:>13} {r['correct'] or 0:>8.3f} {r['correct_of_all'] or 0:>7.3f} "
              f"{str(r['figure_right']) + '/' + str(r['figure_wrong']):>20} "
              f"{r['first_cited_gold']:>14.3f}")
    write_results(args.out, machine, {"sets": results})


if __name__ == "__main__":
    main()
