"""OCR accuracy against speed: how well, and how fast, Tesseract (through PyMuPDF) reads pages at each
resolution, on pages whose true text is known.

    python bench/ocr.py [--dpis 100,144,200,300] [--engines tesseract,program,mupdf] [--pages 24]
        [--source corpus|officeqa] [--out ...]
    python bench/ocr.py --turns [--pages 12] [--out bench/results/ocr-turns.json]

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

--turns: scans fed in turned. The same kind of pages (of the corpus and of OfficeQA's bulletins, so
standing by construction), each turned 0, 90, 180 and 270 degrees, read as they lie
(`tesseract_blocks`) and as ingestion reads them (`read_upright`: turned upright first when its
layout, before reading, or its reading says the page lies on its side or upside down, and the
orientation check agrees): the share stood up again, pages turned that
stood, the word error of each reading, seconds a page; and, for the settings in ingest/ocr.py, the
mean word confidence and the share of long words standing on end of each reading as the page lay,
and the share of its text lines' ink rising above their x-height bands (`rising`, UPSIDE_DOWN). Then
the corpus's own scans as stored: each page's rising share and the turn ingestion gives it.
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
    parser.add_argument("--turns", action="store_true", help="scans fed in turned (above)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.turns:
        return turns(args)
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


def turns(args) -> None:
    import pymupdf

    from pagesight.ingest.ocr import Scan, _read, _render, read_upright, rising

    def rising_share(scan: Scan) -> float:
        """The share of the ink of the scan's text lines that rises above their x-height bands, on the
        layout Tesseract finds before it reads (what ingest/ocr.py's UPSIDE_DOWN is compared with):
        ingestion's own look at the layout, told not to read on."""
        shares = []
        _read(scan, "eng", 600, 1, engine="library",
              unless=lambda layout: shares.append(rising(layout, scan)[0]) or True)
        return shares[0]

    pages = [("corpus", *page) for page in sample_pages(args.corpus, args.pages)]
    pages += [("officeqa", *page) for page in
              sample_pages(args.corpus.parent / "devset" / "officeqa" / "documents", args.pages, (10, 30))]
    dpi, rows = 200, []
    for source, name, number, truth, pdf in pages:
        for degrees in (0, 90, 180, 270):
            with pymupdf.open("pdf", pdf) as doc:
                page = doc[0]
                page.set_rotation(degrees)  # fed in turned: shown and read turned
                started = time.perf_counter()
                scan = Scan.of(_render(page, dpi), dpi)
                lying = _read(scan, "eng", 600, 1)
                lying_s = time.perf_counter() - started
                share = rising_share(scan)
                started = time.perf_counter()
                blocks, turn = read_upright(page, dpi, "eng", 600, 1)
                upright_s = time.perf_counter() - started
            read = normalised("\n".join(line.text for block in blocks for line in block.lines))
            as_lying = normalised("\n".join(line.text for block in lying.blocks for line in block.lines))
            rows.append({"source": source, "file": name, "page": number, "turned": degrees, "turn": turn,
                         "standing_again": (degrees + turn) % 360 == 0, "confidence": round(lying.confidence, 1),
                         "tall": round(lying.tall, 2), "long_words": lying.long_words, "rising": round(share, 2),
                         "word_error_lying": word_error(as_lying, truth), "word_error": word_error(read, truth),
                         "s_lying": lying_s, "s_upright": upright_s})
            print(json.dumps(rows[-1]), flush=True)
    # The corpus's own scans, as stored: the share of their lines' ink rising, and the turn ingestion
    # gives each (its two upside-down pages, nemotron's 2 and cardinal's 3, among them).
    scans = []
    for name in SCANNED:
        with pymupdf.open(args.corpus / name) as doc:
            for page in doc:
                started = time.perf_counter()
                rendered = _render(page, dpi)
                turn = read_upright(page, dpi, "eng", 600, page.number + 1, rendered=rendered)[1]
                s_upright = time.perf_counter() - started
                scans.append({"file": name, "page": page.number + 1, "turn": turn,
                              "rising": round(rising_share(Scan.of(rendered, dpi)), 2), "s_upright": s_upright})
                print(json.dumps(scans[-1]), flush=True)
    machine = machine_name("one thread")
    print(f"\nscans fed in turned, {len(pages)} pages at {dpi} dpi ({machine})")
    print(f"{'source':<9} {'turned':>6} {'stood up':>8} {'word err lying':>15} {'word err read':>14} "
          f"{'s lying':>8} {'s read':>7} {'confidence':>12} {'tall':>10} {'rising':>10}")
    summary = []
    for source in ("corpus", "officeqa"):
        for degrees in (0, 90, 180, 270):
            group = [r for r in rows if r["source"] == source and r["turned"] == degrees]
            if not group:
                continue
            judged = [r for r in group if r["long_words"] >= 3]
            row = {"source": source, "turned": degrees, "pages": len(group),
                   "standing_again": statistics.mean(r["standing_again"] for r in group),
                   "word_error_lying": statistics.median(r["word_error_lying"] for r in group),
                   "word_error": statistics.median(r["word_error"] for r in group),
                   "s_lying": statistics.mean(r["s_lying"] for r in group),
                   "s_upright": statistics.mean(r["s_upright"] for r in group),
                   "confidence_range": [min(r["confidence"] for r in judged), max(r["confidence"] for r in judged)],
                   "tall_range": [min(r["tall"] for r in judged), max(r["tall"] for r in judged)],
                   "rising_range": [min(r["rising"] for r in group), max(r["rising"] for r in group)]}
            summary.append(row)
            print(f"{source:<9} {degrees:>6} {row['standing_again']:>8.2f} {row['word_error_lying']:>15.3f} "
                  f"{row['word_error']:>14.3f} {row['s_lying']:>8.2f} {row['s_upright']:>7.2f} "
                  f"{row['confidence_range'][0]:>5.0f}-{row['confidence_range'][1]:<5.0f} "
                  f"{row['tall_range'][0]:>4.2f}-{row['tall_range'][1]:<4.2f} "
                  f"{row['rising_range'][0]:>4.2f}-{row['rising_range'][1]:<4.2f}")
    standing = [r["rising"] for r in scans if r["turn"] != 180]
    print(f"the corpus's scans ({len(scans)} pages): rising {min(standing):.2f}-{max(standing):.2f} on pages not "
          f"turned over; turned over: " + ", ".join(f"{r['file']} p{r['page']} {r['rising']:.2f}"
                                                    for r in scans if r["turn"] == 180))
    write_results(args.out or ROOT / "bench" / "results" / "ocr-turns.json", machine,
                  {"dpi": dpi, "summary": summary, "rows": rows, "scans": scans})


if __name__ == "__main__":
    main()
