"""OCR by the system's Tesseract: the page rendered in grey at the OCR resolution, piped to the
`tesseract` program, its words read back with their boxes (TSV) and grouped into lines and blocks for
layout.py, in page units.

Measured on this project's scanned pages (bench/ocr.py, bench/ingest.py): the system's Tesseract reads a
page in 40-50% of the time PyMuPDF's built-in OCR takes on the same page and resolution, with the same
text. One Tesseract thread (OMP_THREAD_LIMIT=1): the pages of a document are spread over the extraction
workers instead, and threads inside each would only fight them.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from collections import defaultdict

from ..core.errors import IngestError
from ..core.types import union
from .layout import Block, Line

__all__ = ["OcrUnavailable", "tesseract_blocks"]

GAP = 1.2  # a space between words wider than this many word heights is no word space (a space is ~0.3)


class OcrUnavailable(Exception):
    """Tesseract cannot run here (not installed, or a language missing): the page goes without OCR text."""


def tesseract_blocks(page, dpi: float, languages: str, timeout_s: float, number: int) -> list[Block]:
    """The words Tesseract reads on a PyMuPDF page rendered at `dpi`, as blocks of lines (page units, as
    the page is displayed)."""
    import pymupdf

    program = shutil.which("tesseract")
    if program is None:
        raise OcrUnavailable("the tesseract program is not installed")
    zoom = dpi / 72
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY, alpha=False)
    image = pixmap.tobytes("pgm")  # uncompressed: nothing to encode or decode on either side
    command = [program, "stdin", "stdout", "-l", languages, "--dpi", str(round(dpi)), "--psm", "3", "tsv"]
    try:
        done = subprocess.run(command, input=image, capture_output=True, timeout=timeout_s,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    except subprocess.TimeoutExpired:
        raise IngestError(f"page {number}: OCR did not finish within {timeout_s:g} s") from None
    if done.returncode != 0:
        raise OcrUnavailable(done.stderr.decode(errors="replace").strip().splitlines()[-1:] or "tesseract failed")
    return _blocks(done.stdout.decode("utf-8", errors="replace"), 1 / zoom)


def _blocks(tsv: str, scale: float) -> list[Block]:
    """Tesseract's TSV (a row a word, numbered by block, paragraph and line) as blocks of lines."""
    words: dict[tuple[int, int, int], list[tuple[tuple[float, float, float, float], str]]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        left, top, width, height = (float(row[k]) for k in ("left", "top", "width", "height"))
        box = (left * scale, top * scale, (left + width) * scale, (top + height) * scale)
        words[(int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))].append((box, text))
    by_block: dict[int, list[Line]] = defaultdict(list)
    for (block, _, _), line_words in sorted(words.items()):
        by_block[block].extend(_pieces(line_words))
    return [Block(union(ln.box for ln in lines), lines) for _, lines in sorted(by_block.items())]


def _pieces(words: list[tuple[tuple[float, float, float, float], str]]) -> list[Line]:
    """A line as Tesseract reads it may run across a gap no sentence has (two columns, a table's cells):
    cut there, so that layout.py sees the columns and cells a text layer would give it."""
    words = sorted(words, key=lambda w: w[0][0])
    height = sorted(b[3] - b[1] for b, _ in words)[len(words) // 2]
    pieces, current = [], [words[0]]
    for word in words[1:]:
        if word[0][0] - current[-1][0][2] > GAP * height:
            pieces.append(current)
            current = []
        current.append(word)
    pieces.append(current)
    return [Line(union(b for b, _ in piece), " ".join(t for _, t in piece)) for piece in pieces]
