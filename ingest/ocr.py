"""OCR by Tesseract: the page rendered in grey at the OCR resolution and read by Tesseract in this process
(tesserocr, with the system's language data) or, where that library or the languages' data cannot be
had, by the `tesseract` program on a pipe; its words read back with their boxes (TSV) and grouped into
lines and blocks for layout.py, in page units.

Measured on this project's scanned pages (bench/ocr.py, bench/ingest.py): Tesseract in the process reads
a page in about two thirds of the time the program takes (no process and no model to start a page, and
a newer Tesseract), with the same words; the program reads one in 40-50% of the time PyMuPDF's built-in
OCR takes. One Tesseract thread (the library is built without OpenMP; the program runs with
OMP_THREAD_LIMIT=1): the pages of a document are spread over the extraction workers instead, and
threads inside each would only fight them. A page that never finishes is cut off by the time given,
and in the worst case by the extraction worker's watchdog (worker.py), which names the page.

A scan fed in turned is read standing (`read_upright`). One lying on its side is seen before it is read:
Tesseract finds a page's layout (its words' boxes) first when it reads, so asking for the layout first
costs nothing more, and a page whose words stand on end, and which the orientation check says lies on
its side, is turned before it is read, not read twice (a page of tables with a column of sideways
headings can have most words on end and stand: the check says so, and it is read as it is). An
upside-down page shows only in its reading (its words' low confidence): it is read twice.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..core.errors import IngestError
from ..core.text import LIGATURES
from ..core.types import union
from .layout import Block, Line

__all__ = ["OcrUnavailable", "Scan", "installed_languages", "ocr_languages_of", "read_upright", "tesseract_blocks"]

GAP = 1.2  # a space between words wider than this many word heights is no word space (a space is ~0.3)
# A page that may not stand upright (bench/ocr.py --turns, rasterised pages of the corpus and of OfficeQA
# turned every way): upside-down pages read at a mean word confidence of 17-32, standing ones at 67-96
# (25 for one the corpus has that Tesseract cannot read either way; OfficeQA's real scans 52-96); on a
# page on its side 0.86-1.00 of the long words' characters are in boxes taller than wide, 0.00-0.18 else.
TURNED = 40
SIDEWAYS = 0.5
MIN_WORDS = 3  # fewer long words (or text lines) than this: too little to judge a page by
# The share of a page's ink outside its text lines' x-height band that rises above it (`rising`:
# capitals, ascenders, figures, against descenders): on the corpus's born-digital pages rasterised
# (bench/ocr.py --turns) 0.58-0.90 standing, 0.10-0.40 upside down. At or under this, the orientation
# check is asked before the page is read; a page it misses is read, then checked, as before; a standing
# page wrongly suspected costs one check.
UPSIDE_DOWN = 1 / 3
# Where systems keep Tesseract's language data (TESSDATA_PREFIX first, as Tesseract itself reads it).
TESSDATA = ["/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata", "/usr/local/share/tessdata",
            "/opt/homebrew/share/tessdata", "/opt/local/share/tessdata"]


AUTO, SPARSE = 3, 11  # Tesseract's page segmentation modes: the page's layout analysed; sparse text


class OcrUnavailable(Exception):
    """Tesseract cannot run here (not installed, or a language missing): the page goes without OCR text."""


def tesseract_blocks(page, dpi: float, languages: str, timeout_s: float, number: int,
                     engine: str = "auto") -> list[Block]:
    """The words Tesseract reads on a PyMuPDF page rendered at `dpi`, as blocks of lines (page units, as
    the page is displayed). `engine`: "library" (in this process), "program", or "auto": the library
    when it can read `languages`, the program otherwise."""
    return _read(Scan.of(_render(page, dpi), dpi), languages, timeout_s, number, engine).blocks


def read_upright(page, dpi: float, languages: str, timeout_s: float, number: int,
                 rendered=None, sparse: bool = False) -> tuple[list[Block], int]:
    """The page's words as `tesseract_blocks` reads them, unless the page lies on its side or upside down
    (a scan fed in turned): then Tesseract's orientation detection says how far to turn it, and the
    page is read turned (instead, when its layout already shows it on its side; again, when only its
    reading shows it); the turned reading is kept when it reads as a standing page does.
    Returns the blocks and the turn, degrees clockwise (0: as it was); with a turn, the blocks are in
    the frame of the page turned by it (the caller turns the page to match). `rendered`: the page as
    the caller already rendered it in grey at `dpi` (a PyMuPDF pixmap), not to render it twice. `sparse`:
    find as much text as can be found, in no particular layout (Tesseract's page segmentation mode 11):
    for a picture whose layout the page analysis misses (a photo's crop of underlined lines read nothing)."""
    started = time.monotonic()

    def time_left() -> float:  # every reading shares the page's time
        return timeout_s - (time.monotonic() - started)

    scan = Scan.of(rendered if rendered is not None else _render(page, dpi), dpi)
    turn: int | None = None  # the orientation check's answer, once asked

    def turn_first(layout) -> bool:
        nonlocal turn
        if _on_side(layout):
            turn = _orientation(scan)
            return turn in (90, 270)  # on its side by its words' boxes and by the check both: turn, then read
        if _upside_down(layout, scan):
            turn = _orientation(scan)
            return turn == 180  # upside down by its lines' ink and by the check both
        return False

    psm = SPARSE if sparse else AUTO
    first = _read(scan, languages, timeout_s, number, unless=turn_first, psm=psm)
    if first is not None and first.stands():
        return first.blocks, 0
    turn = _orientation(scan) if turn is None else turn
    if turn and time_left() > 0:
        turned = _read(scan.turned(turn), languages, time_left(), number, psm=psm)
        if turned.stands() and turned.confidence >= TURNED:
            return turned.blocks, turn
    if first is None:  # turned first, it did not read as a standing page: read it as it lies
        if time_left() <= 0:
            raise IngestError(f"page {number}: OCR did not finish within {timeout_s:g} s")
        first = _read(scan, languages, time_left(), number, psm=psm)
    return first.blocks, 0


@dataclass(frozen=True)
class Scan:
    """A page rendered in grey for Tesseract: a byte a pixel, rows `stride` bytes apart, at `dpi`."""

    samples: bytes
    width: int
    height: int
    stride: int
    dpi: float

    @classmethod
    def of(cls, pixmap, dpi: float) -> Scan:
        """A PyMuPDF pixmap of the page rendered in grey, without alpha, at `dpi`."""
        if pixmap.n != 1:
            raise ValueError(f"OCR reads a grey rendering, not one of {pixmap.n} channels")
        return cls(pixmap.samples, pixmap.width, pixmap.height, pixmap.stride, dpi)

    @property
    def pixels(self) -> np.ndarray:
        """Height x width, without the rows' padding (a view, no copy)."""
        return np.frombuffer(self.samples, np.uint8).reshape(self.height, self.stride)[:, : self.width]

    def turned(self, degrees: int) -> Scan:
        """The same pixels turned `degrees` (a multiple of 90) clockwise: as rendering the page turned
        by as much gives them, without rendering (decoding a scan's image) again."""
        turned = np.ascontiguousarray(np.rot90(self.pixels, k=-(degrees // 90) % 4))
        height, width = turned.shape
        return Scan(turned.tobytes(), width, height, width, self.dpi)

    def pgm(self) -> bytes:
        """As a binary PGM file: uncompressed, nothing to encode or decode on either side."""
        return f"P5\n{self.width} {self.height}\n255\n".encode() + self.pixels.tobytes()


@dataclass(frozen=True)
class _Reading:
    """A page's words, and how it read: the mean confidence of its words (0-100, by characters; -1 with
    none), and the share of its long words' characters in boxes taller than wide (on a page lying on
    its side, Tesseract reads the lines as vertical text: every word stands on end)."""

    blocks: list[Block]
    confidence: float
    tall: float
    long_words: int

    def stands(self) -> bool:
        if self.long_words < MIN_WORDS:  # too little text to judge
            return True
        return self.tall < SIDEWAYS and self.confidence >= TURNED


def _read(scan: Scan, languages: str, timeout_s: float, number: int, engine: str = "auto",
          unless: Callable[[object], bool] | None = None, psm: int = 3) -> _Reading | None:
    """The scan read; None instead when `unless`, given the layout Tesseract in the process finds before
    it reads (a tesserocr page iterator, or None with nothing found), says not to read."""
    reader = _library(languages, psm) if engine in ("auto", "library") else None
    if reader is None and engine == "library":
        raise OcrUnavailable(f"tesserocr or the language data for '{languages}' is not installed")
    if reader is not None:
        tsv = reader.read(scan, timeout_s, number, unless)
        if tsv is None:
            return None
    else:
        tsv = _program(scan, languages, timeout_s, number, psm)
    words = _words(tsv)
    return _Reading(_blocks(words, 72 / scan.dpi), *_measures(words))


def _render(page, dpi: float):
    import pymupdf

    zoom = dpi / 72
    return page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY, alpha=False)


def _orientation(scan: Scan) -> int:
    """How far to turn the page clockwise to stand it up, by Tesseract's orientation and script
    detection (tesserocr with the `osd` data); 0 when it cannot tell."""
    if (detector := _detector()) is None:
        return 0
    with detector.lock:
        detector.api.SetImageBytes(scan.samples, scan.width, scan.height, 1, scan.stride)
        detector.api.SetSourceResolution(round(scan.dpi))
        found = detector.api.DetectOrientationScript()
        detector.api.Clear()
    return (360 - int(found["orient_deg"])) % 360 if found else 0


class _Tesseract:
    """One Tesseract in this process (a set of languages, or orientation detection), kept for the
    process's life (loading the model costs more than reading a small page); one page at a time."""

    def __init__(self, api):
        self.api, self.lock = api, threading.Lock()

    def read(self, scan: Scan, timeout_s: float, number: int,
             unless: Callable[[object], bool] | None = None) -> str | None:
        """The scan's TSV; None when `unless`, given the page's layout, says not to read it (the layout is
        what Tesseract finds first when it reads: asked for first, it is not found twice)."""
        with self.lock:
            api = self.api  # Tesseract reads the scan's bytes without a copy: the scan outlives the reading
            api.SetImageBytes(scan.samples, scan.width, scan.height, 1, scan.stride)
            api.SetSourceResolution(round(scan.dpi))
            if unless is not None and unless(api.AnalyseLayout()):
                api.Clear()
                return None
            started = time.monotonic()
            if not api.Recognize(timeout=max(1, round(timeout_s * 1000))):
                api.Clear()
                if time.monotonic() - started >= 0.9 * timeout_s:
                    raise IngestError(f"page {number}: OCR did not finish within {timeout_s:g} s")
                raise OcrUnavailable("Tesseract could not read the page")
            tsv = api.GetTSVText(0)
            api.Clear()
        return tsv


@functools.cache
def _library(languages: str, psm: int = 3) -> _Tesseract | None:
    """Tesseract in this process, or None when the library or the languages' data cannot be had here."""
    data = tessdata(languages)
    if data is None:
        return None
    try:
        import tesserocr
    except ImportError:
        return None
    try:
        return _Tesseract(tesserocr.PyTessBaseAPI(path=f"{data}/", lang=languages, psm=psm))
    except RuntimeError:  # a language file it cannot load
        return None


@functools.cache
def _detector() -> _Tesseract | None:
    """Tesseract's orientation and script detection, or None without tesserocr or the `osd` data."""
    data = tessdata("osd")
    if data is None:
        return None
    try:
        import tesserocr
    except ImportError:
        return None
    try:
        return _Tesseract(tesserocr.PyTessBaseAPI(path=f"{data}/", lang="osd", psm=tesserocr.PSM.OSD_ONLY))
    except RuntimeError:
        return None


def _on_side(layout) -> bool:
    """Whether the words Tesseract's layout analysis found on a page (not yet read) stand on end, as on a
    page lying on its side: `_Reading.stands`'s test by boxes alone (a long word's box is at least twice
    as long one way as the other; a short one's says little)."""
    if layout is None:  # nothing found on the page
        return False
    from tesserocr import RIL, iterate_level

    on_end = []
    for word in iterate_level(layout, RIL.WORD):
        if box := word.BoundingBox(RIL.WORD):
            width, height = box[2] - box[0], box[3] - box[1]
            if max(width, height) >= 2 * min(width, height):
                on_end.append(height > width)
    return len(on_end) >= MIN_WORDS and sum(on_end) / len(on_end) >= SIDEWAYS


def _upside_down(layout, scan: Scan) -> bool:
    """Whether the text lines Tesseract's layout analysis found (not yet read) look upside down."""
    share, lines = rising(layout, scan)
    return lines >= MIN_WORDS and share <= UPSIDE_DOWN


def rising(layout, scan: Scan) -> tuple[float, int]:
    """The share of the ink of a page's text lines outside their x-height bands that rises above them,
    and how many lines were measured (0.5 with none). In print more of a line's ink rises above its
    x-height band (capitals, ascenders, figures) than falls below it (descenders); turned over, the
    other way round. The band: the rows of a line's box holding at least half as many dark pixels as
    its darkest row. `layout`: a tesserocr page iterator over the scan, or None."""
    if layout is None:
        return 0.5, 0
    from tesserocr import RIL, iterate_level

    pixels, above, below, lines = scan.pixels, 0, 0, 0
    layout.Begin()  # `_on_side` may have walked the same iterator to its end
    for line in iterate_level(layout, RIL.TEXTLINE):
        if not (box := line.BoundingBox(RIL.TEXTLINE)):
            continue
        left, top, right, bottom = box
        if right - left < 2 * (bottom - top) or bottom - top < 8:  # a line of text, not a mark or a column
            continue
        ink = (pixels[top:bottom, left:right] < 128).sum(axis=1)  # dark pixels, row by row
        band = np.flatnonzero(ink >= ink.max() / 2)
        if band.size:
            above, below, lines = above + ink[: band[0]].sum(), below + ink[band[-1] + 1:].sum(), lines + 1
    return (float(above / (above + below)) if above + below else 0.5), lines


def _measures(words: list[_Word]) -> tuple[float, float, int]:
    """The mean word confidence (by characters; -1 without words), the share of long words' characters
    in boxes taller than wide, and how many long words (four characters or more) there are."""
    chars = sum(len(w.text) for w in words)
    confidence = sum(w.confidence * len(w.text) for w in words) / chars if chars else -1.0
    long = [w for w in words if len(w.text) >= 4]
    long_chars = sum(len(w.text) for w in long)
    on_end = sum(len(w.text) for w in long if w.height > w.width)
    return confidence, (on_end / long_chars if long_chars else 0.0), len(long)


def installed_languages() -> list[str]:
    """The languages Tesseract can read here (its language data found), orientation's osd left out."""
    places = [os.environ.get("TESSDATA_PREFIX", "")] + [p for pattern in TESSDATA for p in sorted(glob.glob(pattern))]
    found = {f.stem for place in filter(None, places) for f in Path(place).glob("*.traineddata")}
    return sorted(found - {"osd"})


def ocr_languages_of(value: str) -> str:
    """What OCR is asked to read in, checked: "auto", or language codes joined by "+" ("fra+eng") whose
    data is installed here; ValueError saying what is wrong and what is installed."""
    from ..core.language import parse_languages

    value = value.strip()
    if value == "auto":
        return value
    wanted = parse_languages(value)
    if tessdata("+".join(wanted)) is None:
        have = installed_languages()
        missing = [lang for lang in wanted if lang not in have]
        raise ValueError(f"OCR cannot read {', '.join(missing) or value} here: its Tesseract language data is not "
                         f"installed (installed: {', '.join(have) or 'none'}; on Debian: apt-get install "
                         f"{' '.join('tesseract-ocr-' + m for m in missing)})")
    return "+".join(wanted)


def tessdata(languages: str) -> Path | None:
    """The first folder of language data holding every one of `languages` ("eng+fra")."""
    wanted = [lang for lang in languages.split("+") if lang]
    places = [os.environ.get("TESSDATA_PREFIX", "")] + [p for pattern in TESSDATA for p in sorted(glob.glob(pattern))]
    for place in filter(None, places):
        if wanted and all((Path(place) / f"{lang}.traineddata").is_file() for lang in wanted):
            return Path(place)
    return None


def _program(scan: Scan, languages: str, timeout_s: float, number: int, psm: int = 3) -> str:
    """The page read by the `tesseract` program, its TSV on a pipe."""
    program = shutil.which("tesseract")
    if program is None:
        raise OcrUnavailable("the tesseract program is not installed")
    command = [program, "stdin", "stdout", "-l", languages, "--dpi", str(round(scan.dpi)), "--psm", str(psm), "tsv"]
    try:
        done = subprocess.run(command, input=scan.pgm(), capture_output=True, timeout=timeout_s,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    except subprocess.TimeoutExpired:
        raise IngestError(f"page {number}: OCR did not finish within {timeout_s:g} s") from None
    if done.returncode != 0:
        raise OcrUnavailable(done.stderr.decode(errors="replace").strip().splitlines()[-1:] or "tesseract failed")
    return done.stdout.decode("utf-8", errors="replace")


class _Word(NamedTuple):
    line: tuple[int, int, int]  # Tesseract's block, paragraph and line numbers
    left: float
    top: float
    width: float
    height: float
    confidence: float
    text: str


def _words(tsv: str) -> list[_Word]:
    """The words of Tesseract's TSV (a row an element, level 5 a word; the program's output has a header
    row, the library's none), in pixels."""
    words = []
    for row in tsv.splitlines():
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        block, paragraph, line = (int(c) for c in cells[2:5])
        left, top, width, height, confidence = (float(c) for c in cells[6:11])
        words.append(_Word((block, paragraph, line), left, top, width, height, confidence, cells[11].strip()))
    return words


def _blocks(words: list[_Word], scale: float) -> list[Block]:
    """Tesseract's words (numbered by block, paragraph and line) as blocks of lines, `scale` page units a pixel."""
    lines: dict[tuple[int, int, int], list[tuple[tuple[float, float, float, float], str]]] = defaultdict(list)
    for w in words:
        box = (w.left * scale, w.top * scale, (w.left + w.width) * scale, (w.top + w.height) * scale)
        lines[w.line].append((box, w.text))
    by_block: dict[int, list[Line]] = defaultdict(list)
    for (block, _, _), line_words in sorted(lines.items()):
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
    return [Line(union(b for b, _ in piece), " ".join(t for _, t in piece).translate(LIGATURES)) for piece in pieces]
