"""OCR accuracy against speed: how well, and how fast, Tesseract (through PyMuPDF) reads pages at each
resolution, on pages whose true text is known.

    python bench/ocr.py [--dpis 100,144,200,300] [--engines tesseract,program,mupdf] [--pages 24] [--out ...]

Born-digital pages of ../shared/corpus (those with at least 400 characters of text layer) are
rasterised at 300 dpi into image-only PDF pages, as a scanner would give them; each is then OCRed at
each resolution by each engine, one Tesseract thread: "tesseract", as ingestion does it (Tesseract in
the process, tesserocr, on the page rendered in grey, ingest/ocr.py), "program", the system's
`tesseract` program on the same image (ingestion's way before, and its way where the library cannot
be had), and "mupdf", PyMuPDF's built-in OCR (`get_textpage_ocr(full=True)`), used before that.
Two error rates against the page's own text layer: the word error, order-free (1 - the F1 of the two
pages' words as multisets: what retrieval and answers see, whatever the reading order), and the
character error rate (edit distance over the text layer's length, white space collapsed), which also
counts reading order (Tesseract reads across columns the text layer keeps apart, so it stays high
however well the characters are read). Figures are medians over the pages; seconds are per page.
PyMuPDF exposes Tesseract's language and resolution, not its
page-segmentation mode, so resolution is the setting measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)
from common import write_results  # noqa: E402

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


def word_error(text: str, truth: str) -> float:
    """1 - F1 of the words (lower-cased, punctuation kept) as multisets: order does not count."""
    from collections import Counter

    got, want = Counter(text.lower().split()), Counter(truth.lower().split())
    common = sum((got & want).values())
    return 1.0 - 2 * common / max(1, sum(got.values()) + sum(want.values()))


def read(page, engine: str, dpi: int) -> str:
    """A page's OCR text by one engine: its lines, in the order the engine gives them."""
    if engine == "mupdf":
        return page.get_text(textpage=page.get_textpage_ocr(language="eng", dpi=dpi, full=True))
    from pagesight.ingest.ocr import tesseract_blocks

    blocks = tesseract_blocks(page, dpi, "eng", 600, 1, engine="library" if engine == "tesseract" else "program")
    return "\n".join(line.text for block in blocks for line in block.lines)


def sample_pages(corpus: Path, n: int, pages: tuple[int, ...] = (0, 1)) -> list[tuple[str, int, str, bytes]]:
    """(file, page, its text layer, the page as a 300-dpi image-only PDF) for up to n pages, the
    `pages` (0-based) of each file."""
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
            for index in (i for i in pages if i < doc.page_count):
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
    parser.add_argument("--engines", default="tesseract,program,mupdf")
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--source", choices=["corpus", "officeqa"], default="corpus",
                        help="officeqa: pages 11 and 31 of the dev set's born-digital bulletins (dense tables)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.source == "officeqa":
        pages = sample_pages(args.corpus.parent / "devset" / "officeqa" / "documents", args.pages, (10, 30))
    else:
        pages = sample_pages(args.corpus, args.pages)
    args.out = args.out or ROOT / "bench" / "results" / ("ocr.json" if args.source == "corpus" else "ocr-officeqa.json")
    machine = machine_name("one thread")
    rows = []
    for engine in args.engines.split(","):
        for dpi in (int(d) for d in args.dpis.split(",")):
            rates, words, seconds = [], [], []
            for _, _, truth, pdf in pages:
                with pymupdf.open("pdf", pdf) as doc:
                    started = time.perf_counter()
                    text = normalised(read(doc[0], engine, dpi))
                    seconds.append(time.perf_counter() - started)
                rates.append(edit_distance(text, truth) / len(truth))
                words.append(word_error(text, truth))
            rows.append({"engine": engine, "dpi": dpi, "pages": len(pages),
                         "word_error_median": statistics.median(words), "word_error_mean": statistics.mean(words),
                         "cer_median": statistics.median(rates), "cer_mean": statistics.mean(rates),
                         "s_per_page_median": statistics.median(seconds), "s_per_page_mean": statistics.mean(seconds)})
            print(json.dumps(rows[-1]), flush=True)
    print(f"\nOCR at each resolution, {len(pages)} born-digital pages ({args.source}), rasterised at 300 dpi "
          f"({machine})")
    print(f"{'engine':>10} {'dpi':>5} {'word err median':>16} {'word err mean':>14} {'CER median':>11} "
          f"{'s/page median':>14} {'s/page mean':>12}")
    for r in rows:
        print(f"{r['engine']:>10} {r['dpi']:>5} {r['word_error_median']:>16.3f} {r['word_error_mean']:>14.3f} "
              f"{r['cer_median']:>11.3f} {r['s_per_page_median']:>14.2f} {r['s_per_page_mean']:>12.2f}")
    write_results(args.out, machine, {"source": args.source, "pages": [(f, p) for f, p, _, _ in pages], "rows": rows})


if __name__ == "__main__":
    main()
