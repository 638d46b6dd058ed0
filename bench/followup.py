"""Follow-up questions: how well a follow-up finds its pages with and without being resolved against the
conversation first, on two-turn pairs built from the dev sets.

    python bench/followup.py --set financebench=DATA_DIR:QUESTIONS --set officeqa=DATA_DIR:QUESTIONS \
        [--out bench/results/followup.json]

A pair is made from one dev question and its gold pages. The follow-up is that question with its
subject taken out as a person would leave it out after a first question: the company's name becomes
"the company" (FinanceBench), the year the question is about becomes "that year" (both sets); a question
where nothing was taken out is no pair. The first question names that subject, in a fixed template
("What was 3M's total revenue in FY2018?", "What were the total federal receipts in 1940?"), and is
asked for real (lite profile, extractive answerer) so that its cited documents are what a conversation
would carry.

For each pair, R@5 and hit@5 of the follow-up's gold pages: the original question (the ceiling), the
follow-up alone (no context), the follow-up resolved by rule (what the product searches), and the same
with the documents the first answer cited as its scope (PAGESIGHT_FOLLOWUP_SCOPE, off: it does not
pay). Also the answer latency (search and answer, p50) of the first questions and of the follow-ups.
No setting is tuned here: the rules have none chosen on these sets.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from common import DEV_SET_HELP, dev_sets, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.core.types import Turn  # noqa: E402
from pagesight.retrieve.evaluate import Question, read_questions  # noqa: E402
from pagesight.retrieve.metrics import mean, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODES = ("original", "alone", "rules, no scope", "rules, with the cited documents as scope")


def pair(question: Question, kind: str) -> tuple[str, str] | None:
    """(first question, follow-up) for a dev question, or None when it names no subject to take out."""
    text = question.text
    if kind == "financebench":
        company = question.label("company") or ""
        year = re.search(r"(?<!\d)((?:19|20)\d\d)(?!\d)", question.label("doc_name") or "")
        year = year.group(1) if year else ""
        follow = text
        if company:
            follow = re.sub(rf"\b{re.escape(company)}'s\b", "the company's", follow, flags=re.IGNORECASE)
            follow = re.sub(rf"\b{re.escape(company)}\b", "the company", follow, flags=re.IGNORECASE)
        if year:
            follow = re.sub(rf"\bthe (?:FY\s?'?)?{year}\b", "that year's", follow)
            follow = re.sub(rf"\b(?:FY\s?'?)?{year}\b|\bFY\s?'?{year[2:]}\b", "that year", follow)
        if follow == text or not company:
            return None
        first = f"What was {company}'s total revenue in FY{year}?" if year else f"What was {company}'s total revenue?"
        return first, follow
    years = sorted(set(re.findall(r"\b(1[89]\d\d|20\d\d)\b", text)))
    if len(years) != 1:
        return None
    follow = re.sub(rf"\b(?:(?:the\s+)?(?:calendar|fiscal)\s+year\s+(?:of\s+)?)?{years[0]}\b", "that year", text)
    return f"What were the total federal receipts in {years[0]}?", follow


def recall(hits, gold: frozenset) -> tuple[float, bool]:
    found = {(Path(h.file_name).stem, h.page) for h in hits[:5]}
    return len(found & gold) / len(gold), bool(found & gold)


def run_set(name: str, data: Path, questions_path: Path, k: int) -> dict:
    from pagesight import PageSight
    from pagesight.api.pagesight import scoped

    settings = Settings(_env_file=None, data_dir=data, profile="lite", answerer="extractive")
    questions = read_questions(questions_path)
    rows = []
    with PageSight(settings=settings) as sight:
        sight.search("warm up", 5)
        for q in questions:
            made = pair(q, name)
            if made is None or not q.relevant:
                continue
            first, follow = made
            started = time.perf_counter()
            first_answer = sight.ask(first)
            first_ms = 1000 * (time.perf_counter() - started)
            turn = Turn(first, tuple(dict.fromkeys(c.doc_id for c in first_answer.citations)))
            resolved = sight.resolve(follow, [turn])
            scores = {
                "original": recall(sight.search(q.text, k).hits, q.relevant),
                "alone": recall(sight.search(follow, k).hits, q.relevant),
                "rules, no scope": recall(sight.search(resolved.question, k).hits, q.relevant),
                "rules, with the cited documents as scope": recall(
                    sight.search(resolved.question, k, scoped(None, resolved.documents)).hits, q.relevant),
            }
            started = time.perf_counter()
            sight.ask(follow, history=[turn])
            follow_ms = 1000 * (time.perf_counter() - started)
            rows.append({"id": q.id, "first": first, "follow_up": follow, "resolved": resolved.question,
                         "carried_documents": len(resolved.documents or ()), "first_ms": first_ms,
                         "follow_up_ms": follow_ms,
                         **{m: {"recall": r, "hit": h} for m, (r, h) in scores.items()}})
            print(f"{name}: {len(rows)} pairs", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    summary = {m: {"R@5": mean([r[m]["recall"] for r in rows]), "hit@5": mean([r[m]["hit"] for r in rows])}
               for m in MODES}
    return {"pairs": len(rows), "summary": summary,
            "latency_ms": {"first_p50": percentile([r["first_ms"] for r in rows], 50),
                           "follow_up_p50": percentile([r["follow_up_ms"] for r in rows], 50)},
            "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "followup.json")
    args = parser.parse_args()
    machine = machine_name()
    results = {}
    for name, data, questions in dev_sets(args.set):
        results[name] = run_set(name, data, questions, args.k)
    print(f"\nFollow-up R@5 / hit@5, two-turn pairs from the dev sets (lite, {machine})")
    print(f"{'set':<13} {'pairs':>5} " + " ".join(f"{m:>22}" for m in MODES) + f" {'p50 first':>10} {'p50 follow':>11}")
    for name, r in results.items():
        cells = " ".join(f"{r['summary'][m]['R@5']:>13.3f} / {r['summary'][m]['hit@5']:.3f}" for m in MODES)
        print(f"{name:<13} {r['pairs']:>5} {cells} {r['latency_ms']['first_p50']:>8.0f}ms "
              f"{r['latency_ms']['follow_up_p50']:>9.0f}ms")
    write_results(args.out, machine, {"sets": results})


if __name__ == "__main__":
    main()
