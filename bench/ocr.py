"""OCR accuracy against speed: how well, and how fast, Tesseract (through PyMuPDF) reads pages at each
resolution, on pages whose true text is known.

    python bench/ocr.py [--dpis 100,144,200,300] [--pages 24] [--out bench/results/ocr.json]

Born-digital pages of ../shared/corpus (those with at least 400 characters of text layer) are
rasterised at 300 dpi into image-only PDF pages, as a scanner would give them; each is then OCRed at
each resolution as ingestion does it (`get_textpage_ocr(full=True, dpi=...)`, one Tesseract thread).
The character error rate is the edit distance between the OCR text and the page's own text layer
(both with white space collapsed), over the length of the latter; the figure is the median over the
pages, and the seconds are per page. PyMuPDF exposes Tesseract's language and resolution, not its
page-segmentation mode, so resolution is the setting measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from ingest import EXCLUDED, SCANNED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def normalised(text: str) -> str:
    return " ".join(text.split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, a row of the table at a time in numpy."""
    if len(a) < len(b):
        a, b = b, a
    previous = np.arange(len(b) + 1)
    codes = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    for i, ch in enumerate(a, start=1):
        substitution = previous[:-1] + (codes != ord(ch))
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(previous[1:] + 1, substitution)
        np.minimum.accumulate(current - np.arange(len(current)), out=current)  # insertions, left to right
        current += np.arange(len(current))
        previous = current
    return int(previous[-1])


def sample_pages(corpus: Path, n: int) -> list[tuple[str, int, str, bytes]]:
    """(file, page, its text layer, the page as a 300-dpi image-only PDF) for up to n pages."""
    import pymupdf

    found = []
    for path in sorted(corpus.glob("*.pdf")):
        if path.name in SCANNED or path.name in EXCLUDED:
            continue
        try:
            doc = pymupdf.open(path)
        except Exception:  # noqa: BLE001 (a hostile file of the corpus)
            continue
        with doc:
            if doc.needs_pass:
                continue
            for index in range(min(doc.page_count, 2)):
                page = doc[index]
                text = normalised(page.get_text())
                if len(text) < 400 or page.rect.width * page.rect.height > 1000 * 1000:
                    continue
                image = page.get_pixmap(dpi=300).tobytes("png")
                scan = pymupdf.open()
                blank = scan.new_page(width=page.rect.width, height=page.rect.height)
                blank.insert_image(blank.rect, stream=image)
                found.append((path.name, index + 1, text, scan.tobytes()))
                if len(found) == n:
                    return found
    return found


def main() -> None:
    import pymupdf

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--dpis", default="100,144,200,300")
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ocr.json")
    args = parser.parse_args()
    pages = sample_pages(args.corpus, args.pages)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, one thread"
    rows = []
    for dpi in (int(d) for d in args.dpis.split(",")):
        rates, seconds = [], []
        for _, _, truth, pdf in pages:
            with pymupdf.open("pdf", pdf) as doc:
                page = doc[0]
                started = time.perf_counter()
                textpage = page.get_textpage_ocr(language="eng", dpi=dpi, full=True)
                text = normalised(page.get_text(textpage=textpage))
                seconds.append(time.perf_counter() - started)
            rates.append(edit_distance(text, truth) / len(truth))
        rows.append({"dpi": dpi, "pages": len(pages), "cer_median": statistics.median(rates),
                     "cer_mean": statistics.mean(rates), "s_per_page_median": statistics.median(seconds),
                     "s_per_page_mean": statistics.mean(seconds)})
        print(json.dumps(rows[-1]), flush=True)
    print(f"\nOCR at each resolution, {len(pages)} born-digital pages rasterised at 300 dpi ({machine})")
    print(f"{'dpi':>5} {'CER median':>11} {'CER mean':>9} {'s/page median':>14} {'s/page mean':>12}")
    for r in rows:
        print(f"{r['dpi']:>5} {r['cer_median']:>11.3f} {r['cer_mean']:>9.3f} {r['s_per_page_median']:>14.2f} "
              f"{r['s_per_page_mean']:>12.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "date": time.strftime("%Y-%m-%d"),
                                    "pages": [(f, p) for f, p, _, _ in pages], "rows": rows}, indent=2) + "\n")
    print(f"\nwritten to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
