"""Ingestion speed and memory: the real-world corpus, born-digital and scanned files apart, the
FinanceBench dev set's 43 filings and the OfficeQA dev set's bulletins.

    python bench/ingest.py [--groups born-digital,scanned,financebench,officeqa] [--profile lite|tiny]
        [--keep DIR] [--out bench/results/ingest.json]
    python bench/ingest.py --groups born-digital,scanned --runtimes openvino,onnx --runs 3 --out FILE

Each group runs in a fresh process so its peak memory is its own: "parent" is the process holding
the text model and the store, "worker" the largest of the extraction children (render, text, OCR;
one per core). The text model is loaded before the clock starts (a server loads it once); its
runtime is recorded. "optimise" is the index build `pagesight ingest` runs when it ends, timed
apart. With --keep, each group's collection stays in DIR/<group> (to evaluate it afterwards).

For the other groups, one core's floor is measured in the same run (open, render at 144 dpi, PNG,
text with positions: the least any ingest does), and the ingest's pages/s is given as a share of it.
For the scanned group, the ceiling the OCR alone sets is measured too: Tesseract on each of its
pages, one at a time, as ingestion calls it (ingest/ocr.py, one thread, the OCR resolution), and
cores / its mean seconds a page: no ingest of those pages can beat that on this machine.

With --runtimes (text runtimes, PAGESIGHT_TEXT_RUNTIME) and --runs, the runtimes take turns, run after
run, so that a machine slowing down or speeding up weighs on each alike; every run is a row, and the
median pages/s of each runtime and group is printed and written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine as machine_name  # bench/ is the script's folder
from common import peak_rss_mb, render_floor, write_results

ROOT = Path(__file__).resolve().parents[1]

# From the corpus README: pages without a text layer (OCR does the reading).
SCANNED = [
    "docling__ocr_test.pdf", "docling__ocr_test_rotated_90.pdf", "docling__ocr_test_rotated_270.pdf",
    "docling__sample_with_rotation_mismatch.pdf", "docling__nemotron_multipage.pdf",
    "ocrmypdf__c02-22.pdf", "ocrmypdf__multipage.pdf", "ocrmypdf__linn.pdf", "ocrmypdf__skew.pdf",
    "ocrmypdf__rotated_skew.pdf", "ocrmypdf__cardinal.pdf", "ocrmypdf__graph.pdf", "ocrmypdf__lichtenstein.pdf",
    "ocrmypdf__francais.pdf", "ocrmypdf__ccitt.pdf", "ocrmypdf__jbig2.pdf", "ocrmypdf__epson.pdf",
    "pdfplumber__pr-136-example.pdf",
]
# Hostile or edge-case files measure refusals, not ingestion speed: left out of both groups.
EXCLUDED = [
    "pdfplumber__empty.pdf", "ocrmypdf__invalid.pdf", "ocrmypdf__hugemono.pdf", "ocrmypdf__poster.pdf",
    "ocrmypdf__enormous.pdf", "ocrmypdf__2400dpi.pdf", "pdfplumber__password-example.pdf",
    "docling__2206.01062_pg3.pdf", "pdfplumber__malformed-from-issue-932.pdf", "ocrmypdf__no_contents.pdf",
    "ocrmypdf__vector.pdf", "ocrmypdf__type3_font_nomapping.pdf",
]


def groups(corpus: Path) -> dict[str, list[Path]]:
    files = sorted(corpus.glob("*.pdf"))
    scanned = [f for f in files if f.name in SCANNED]
    born_digital = [f for f in files if f.name not in SCANNED and f.name not in EXCLUDED]
    financebench = sorted((corpus.parent / "devset" / "financebench" / "pdfs").glob("*.pdf"))
    officeqa = sorted((corpus.parent / "devset" / "officeqa" / "documents").glob("*.pdf"))
    return {"born-digital": born_digital, "scanned": scanned, "financebench": financebench, "officeqa": officeqa}


def run_group(files: list[Path], keep: Path | None, profile: str = "lite") -> dict:
    """Ingest `files` into a fresh collection; this runs in its own process."""
    from pagesight import PageSight
    from pagesight.core.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        # the tiny models (the full profile's classes, random and small: what the path costs) are built
        # once, outside the clock, in a folder kept between runs
        models = {"models_dir": Path(tempfile.gettempdir()) / "pagesight-bench-models"} if profile == "tiny" else {}
        settings = Settings(_env_file=None, data_dir=keep or Path(tmp), profile=profile, **models)
        with PageSight(settings=settings) as sight:
            runtime = sight.models.encoders.text.spec.runtime  # loaded before the clock starts: a server loads it once
            started = time.perf_counter()
            outcomes = sight.ingest(files, optimize=False)
            seconds = time.perf_counter() - started
            sight.optimize()
            optimise_s = time.perf_counter() - started - seconds
            worker_mb = sight.models.extraction.peak_rss_mb
            workers = sight.models.extraction.size
    pages = sum(o.pages for o in outcomes if o.status == "ingested")
    return {
        "profile": profile,
        "text_runtime": runtime,
        "workers": workers,
        "files": len(files),
        "ingested": sum(o.status == "ingested" for o in outcomes),
        "failed": [(Path(o.path).name, o.reason) for o in outcomes if o.status == "failed"],
        "pages": pages,
        "seconds": round(seconds, 2),
        "pages_per_second": round(pages / seconds, 3),
        "optimise_s": round(optimise_s, 2),
        # /proc's VmHWM: getrusage would carry the parent's peak across fork and exec
        "peak_rss_parent_mb": round(peak_rss_mb()),
        "peak_rss_worker_mb": round(worker_mb),
    }


def ocr_ceiling(files: list[Path]) -> dict:
    """Tesseract alone on every page of `files`, one page at a time: seconds a page, and the pages a
    second all the cores could read if they did nothing else."""
    import pymupdf

    from pagesight.core.settings import Settings
    from pagesight.ingest.extract import Languages, fit_dpi
    from pagesight.ingest.ocr import tesseract_blocks

    settings = Settings(_env_file=None, profile="lite")
    seconds = []
    for file in files:
        with pymupdf.open(file) as doc:
            for page in doc:
                dpi = fit_dpi(page.rect.width, page.rect.height, settings.ocr_dpi, settings.max_page_pixels)
                started = time.perf_counter()
                tesseract_blocks(page, dpi, Languages(settings.ocr_languages).for_ocr(), 600, page.number + 1)
                seconds.append(time.perf_counter() - started)
    mean = sum(seconds) / len(seconds)
    return {"ocr_pages": len(seconds), "ocr_s_per_page": round(mean, 2),
            "ocr_ceiling_pages_per_second": round((os.cpu_count() or 1) / mean, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--groups", default="born-digital,scanned,financebench")
    parser.add_argument("--keep", type=Path, help="keep each group's collection in KEEP/<group>")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ingest.json")
    parser.add_argument("--profile", default="lite", choices=("lite", "tiny"),
                        help="tiny: the full profile's model classes, random and small (the path's cost)")
    parser.add_argument("--runtimes", help="text runtimes to take turns, e.g. openvino,onnx")
    parser.add_argument("--runs", type=int, default=1, help="with --runtimes: runs of each")
    parser.add_argument("--group", help=argparse.SUPPRESS)  # internal: run one group in this process
    args = parser.parse_args()

    if args.group:
        keep = args.keep / args.group if args.keep else None
        json.dump(run_group(groups(args.corpus)[args.group], keep, args.profile), sys.stdout)
        return
    if not args.corpus.is_dir():
        sys.exit(f"no corpus at {args.corpus}")

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}

    def measure(name: str, runtime: str | None) -> dict:
        command = [sys.executable, __file__, "--corpus", str(args.corpus), "--group", name, "--profile", args.profile]
        run = subprocess.run(command + (["--keep", str(args.keep)] if args.keep else []), capture_output=True,
                             text=True, check=True, env=env | ({"PAGESIGHT_TEXT_RUNTIME": runtime} if runtime else {}))
        result = json.loads(run.stdout.strip().splitlines()[-1])
        if name == "scanned":
            result |= ocr_ceiling(groups(args.corpus)[name])
        else:
            floor = render_floor(groups(args.corpus)[name])
            result |= {"floor_pages": floor["pages"], "floor_pages_per_second": floor["pages_per_s"],
                       "of_floor": round(result["pages_per_second"] / floor["pages_per_s"], 2)}
        return result

    machine = machine_name()
    print(f"ingest benchmark, {args.profile} profile ({machine})")
    print(f"{'group':<13} {'files':>5} {'pages':>5} {'seconds':>8} {'pages/s':>8} {'optimise s':>10} "
          f"{'parent MB':>9} {'worker MB':>9} {'workers':>7} {'text runtime':>12}")
    if not args.runtimes:
        results = {name: measure(name, None) for name in args.groups.split(",")}
        for name, r in results.items():
            _print_row(name, r)
        write_results(args.out, machine, {"results": results})
        return
    rows = []
    for run in range(1, args.runs + 1):
        for runtime in args.runtimes.split(","):
            for name in args.groups.split(","):
                rows.append({"run": run, "group": name} | measure(name, runtime))
                _print_row(name, rows[-1])
    medians = {runtime: {name: statistics.median(r["pages_per_second"] for r in rows
                                                 if r["text_runtime"] == runtime and r["group"] == name)
                         for name in args.groups.split(",")} for runtime in args.runtimes.split(",")}
    for runtime, by_group in medians.items():
        print(f"median pages/s, {runtime}: " + ", ".join(f"{name} {value}" for name, value in by_group.items()))
    write_results(args.out, machine, {"rows": rows, "median_pages_per_second": medians})


def _print_row(name: str, r: dict) -> None:
    print(f"{name:<13} {r['files']:>5} {r['pages']:>5} {r['seconds']:>8} {r['pages_per_second']:>8} "
          f"{r['optimise_s']:>10} {r['peak_rss_parent_mb']:>9} {r['peak_rss_worker_mb']:>9} "
          f"{r['workers']:>7} {r['text_runtime']:>12}")
    for file, reason in r["failed"]:
        print(f"  failed: {file}: {reason}")
    if "floor_pages_per_second" in r:
        print(f"  one core's floor (open, render 144 dpi, PNG, text with positions): {r['floor_pages_per_second']} "
              f"pages/s; this ingest reached {r['of_floor']} of it")
    if "ocr_s_per_page" in r:
        print(f"  Tesseract alone: {r['ocr_s_per_page']} s a page over {r['ocr_pages']} pages, so at most "
              f"{r['ocr_ceiling_pages_per_second']} pages/s on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
