"""Questions that name a financial statement ("using the cash flow statement", "from the balance sheet"):
the weight of the retriever's ranking of the named documents' pages headed by that statement
(`heading_weight`, retrieve/retriever.py), swept on two dev sets.

    python bench/headings.py --set financebench=DATA_DIR:QUESTIONS --set officeqa=DATA_DIR:QUESTIONS \
        [--out bench/results/headings.json]

Each question is asked as `pagesight ask` asks it (the fused search, the answer's pages, the check that
the pages bear on the question, the extractive answerer's picks). Reported per set and half ("tune":
questions of even position, "test": odd, and all): R@1 and R@5 of the fused search, a gold page among
the pages read, the first quote on a gold page, any quote on one, the share answered. The weight is
chosen on "tune" by the sum over both sets of first-quote-gold and any-quote-gold (the middle of tied
weights) and reported on "test". Also: how many questions of each set name a statement, and for how
many of those a gold page is headed by a statement the question names (the rule's premise).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from common import DEV_SET_HELP, chosen_on_tune, dev_sets, halves, write_results  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.generate.support import missing_terms  # noqa: E402
from pagesight.retrieve.evaluate import read_questions  # noqa: E402
from pagesight.retrieve.metrics import mean  # noqa: E402
from pagesight.retrieve.statements import page_statements, statements_named  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEARCH_WEIGHTS = [0.0, 0.5, 1.0, 2.0]  # heading_weight


def gold(hit, relevant) -> bool:
    return (Path(hit.file_name).stem, hit.page) in relevant


def run(data: Path, questions_path: Path) -> dict:
    """Per weight, per question: a gold page in the fused ranking's first 1 and 5, among the pages read,
    and under the answer's quotes. The collection is opened once; each weight searches it with the same
    models and store."""
    from pagesight import PageSight

    questions = read_questions(questions_path)
    out: dict = {"search": {}, "named": 0, "premise": 0}
    with PageSight(settings=Settings(_env_file=None, data_dir=data, profile="lite")) as opened:
        answerer, titles = opened.models.answerer("extractive", opened.store.schema), opened.titles()
        documents = {Path(d.file_name).stem: d.id for d in opened.documents()}
        for q in questions:  # the premise: is a gold page headed by the statement the question names?
            if named := statements_named(q.text):
                out["named"] += 1
                pages = [opened.page(documents[stem], n) for stem, n in q.relevant if stem in documents]
                out["premise"] += any(page_statements(p) & named for p in pages if p is not None)
        for weight in SEARCH_WEIGHTS:
            settings = opened.settings.model_copy(update={"heading_weight": weight})
            sight = PageSight(settings=settings, models=opened.models, store=opened.store)
            rows = []
            for i, q in enumerate(questions):
                found = sight.search(q.text, 5)  # its first pages are a search for fewer (retriever.py)
                hits = found.hits
                evidence = sight.evidence(replace(found, hits=hits[:settings.answer_pages]))
                refused = bool(missing_terms(q.text, evidence, titles))
                chosen = [] if refused else answerer.pick(answerer.rank(q.text, evidence))
                on_gold = [gold(c.evidence.hit, q.relevant) for c in chosen]
                rows.append({"r1": any(gold(h, q.relevant) for h in hits[:1]),
                             "r5": any(gold(h, q.relevant) for h in hits[:5]),
                             "read": any(gold(e.hit, q.relevant) for e in evidence),
                             "first": bool(on_gold and on_gold[0]), "any": any(on_gold), "answered": bool(chosen)})
                print(f"{data.name} {weight}: {i + 1}", end="\r", file=sys.stderr, flush=True)
            out["search"][weight] = rows
    print(file=sys.stderr)
    return out


def figures(rows: list[dict]) -> dict:
    return {"r1": mean(r["r1"] for r in rows), "r5": mean(r["r5"] for r in rows),
            "read_gold": mean(r["read"] for r in rows), "first_gold": mean(r["first"] for r in rows),
            "any_gold": mean(r["any"] for r in rows),
            "answered": mean(r["answered"] for r in rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help=DEV_SET_HELP)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "headings.json")
    args = parser.parse_args()
    sets = {name: run(data, questions) for name, data, questions in dev_sets(args.set)}
    search_default = Settings(_env_file=None).heading_weight

    def table(weight: float, part: str) -> dict:
        return {name: figures(halves(s["search"][weight])[part]) for name, s in sets.items()}

    chosen, tied = chosen_on_tune(
        SEARCH_WEIGHTS, lambda w: sum(f["first_gold"] + f["any_gold"] for f in table(w, "tune").values()))
    results = [{"heading_weight": w, "part": part, "set": name, **f}
               for w in SEARCH_WEIGHTS for part in ("tune", "test", "all") for name, f in table(w, part).items()]
    machine = machine_name("one thread")
    print(f"\nstatement headings, lite profile ({machine})")
    for name, s in sets.items():
        print(f"{name}: {s['named']} questions name a statement; for {s['premise']} of them a gold page is "
              "headed by it")
    print(f"{'weight':>6} {'set':<13} {'part':<5} {'R@1':>6} {'R@5':>6} {'read gold':>9} {'first gold':>10} "
          f"{'any gold':>9} {'answered':>9}")
    for r in results:
        print(f"{r['heading_weight']:>6} {r['set']:<13} {r['part']:<5} {r['r1']:>6.3f} {r['r5']:>6.3f} "
              f"{r['read_gold']:>9.3f} {r['first_gold']:>10.3f} {r['any_gold']:>9.3f} {r['answered']:>9.3f}")
    print(f"heading_weight chosen on 'tune': {chosen} (tied: {tied}; the default is {search_default})")
    premise = {name: {"named": s["named"], "premise": s["premise"]} for name, s in sets.items()}
    write_results(args.out, machine, {"weights": SEARCH_WEIGHTS, "chosen": chosen, "tied": tied, "premise": premise,
                                      "results": results})


if __name__ == "__main__":
    main()
