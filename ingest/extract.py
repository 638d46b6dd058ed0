"""One file into pages: rendered images, visible text with block boxes, figure crops, OCR.

This runs inside the extraction worker process (worker.py): MuPDF and the image decoders meet
hostile bytes here, so it writes nothing but files under `out_dir` and may be killed at any time.
"""

from __future__ import annotations

import io
import logging
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..core.errors import (
    CorruptDocument,
    EmptyFile,
    EncryptedDocument,
    IngestError,
    PageTooLarge,
    TooManyPages,
    UnsupportedFileType,
)
from ..core.language import detect
from ..core.settings import Settings
from ..core.text import LIGATURES
from ..core.types import Box, Page, Region, union
from .layout import Block, Line, arrange
from .ocr import OcrUnavailable, read_upright

__all__ = ["ExtractOptions", "Extracted", "Source", "extract", "fit_dpi", "is_grey", "looks_blank", "require_mupdf",
           "span_visible", "text_is_usable"]

log = logging.getLogger(__name__)

# MuPDF's per-character flags (fz_stext_char.flags): text neither filled nor stroked is invisible.
_FILLED, _STROKED = 16, 32
# Luminance steps (0-255) below which a reader cannot tell text from its background, and how
# far anti-aliased glyph pixels may drift from the text's own colour.
_MIN_CONTRAST = 32
_INK_TOLERANCE = 48
JPEG_QUALITY = 90  # page images: text stays sharp at the render resolution
# A scan is rendered once, at the OCR resolution, for its image too, when that rendering is at most this
# large (tabloid at 200 dpi is 7.5 Mpixels): beyond, the colour rendering held beside the page image
# would raise the worker's peak memory (a 36-Mpixel page of the corpus: +60 MB) for a tenth of a second.
RENDER_ONCE_PIXELS = 10_000_000
# PIL's Image.Resampling.BILINEAR (antialiased when it shrinks), without importing PIL here: 30 ms a letter
# page from 200 to 144 dpi, where rendering again at 144 dpi took 8-940 ms and LANCZOS twice BILINEAR's time.
_SMALLER = 2


@dataclass(frozen=True)
class ExtractOptions:
    """What extraction needs of the settings (their defaults live in `Settings` alone), plus a
    password; plain data, sent to the worker process."""

    render_dpi: int
    min_render_dpi: int
    page_image_format: str
    thumbnail_px: int
    ocr_languages: str
    ocr_dpi: int
    ocr_min_chars: int
    page_timeout_s: float
    figure_min_area: float
    max_figures_per_page: int
    max_pages: int
    max_page_pixels: int
    max_image_pixels: int
    max_page_content_mb: float
    max_document_content_mb: float
    password: str | None = None
    # A picture asked as a question (ingest/picture.py), not a document: one frame, no side longer than
    # `max_side_px`, its long side brought to `picture_side` pixels (at most 3x up), read at the OCR resolution.
    picture_side: int = 0
    max_side_px: int = 0

    @classmethod
    def from_settings(cls, settings: Settings, password: str | None = None,
                      languages: str | None = None) -> ExtractOptions:
        """`languages`: what OCR reads this ingest's scans in ("fra+eng"), over the settings' choice."""
        names = cls.__dataclass_fields__.keys() - {"password", "picture_side", "max_side_px"}
        options = cls(**{n: getattr(settings, n) for n in names}, password=password)
        return replace(options, ocr_languages=languages) if languages else options


class Languages:
    """The languages of one document's pages, as they are read: what each page's text shows (`note`), and
    so what OCR reads its scans in (`for_ocr`). `chosen`: the user's choice ("fra+eng"), else "auto":
    English until a page shows another language, then that language with English (a scan's own first
    reading in English tells, and it is read again: `second_reading`)."""

    def __init__(self, chosen: str):
        self.chosen = None if chosen == "auto" else chosen
        self.seen: dict[str, int] = {}

    def note(self, language: str | None) -> None:
        if language:
            self.seen[language] = self.seen.get(language, 0) + 1

    @property
    def main(self) -> str | None:
        return max(self.seen, key=self.seen.__getitem__) if self.seen else None

    def for_ocr(self) -> str:
        if self.chosen:
            return self.chosen
        main = self.main
        return "eng" if main in (None, "eng") or not _installed(main) else f"{main}+eng"

    def second_reading(self, text: str) -> str | None:
        """After a first reading in English of a document's first page read, the languages to read it
        again in, when its text is of another language OCR has installed; None to keep it."""
        if self.chosen or self.seen:
            return None
        found = detect(text)
        return f"{found}+eng" if found not in (None, "eng") and _installed(found) else None


def _installed(language: str) -> bool:
    from .ocr import tessdata

    return tessdata(language) is not None


@dataclass
class Extracted:
    media_type: str
    pages: list[Page]
    repaired: bool = False
    warnings: list[str] = field(default_factory=list)


MIN_MUPDF = (1, 28, 0)  # CVE-2026-3308 is fixed from MuPDF 1.28.0 on


def require_mupdf(version: str) -> None:
    """Refuse to parse untrusted files with a MuPDF that has known holes."""
    parts = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    if parts < MIN_MUPDF:
        raise IngestError(
            f"MuPDF {version} is older than {'.'.join(map(str, MIN_MUPDF))} (CVE-2026-3308); "
            "upgrade PyMuPDF: pip install -U 'pymupdf>=1.28'"
        )


class Source:
    """An opened file, as pages to extract: a PDF, or an image (each frame a page). `close()` when done."""

    def __init__(self, path: Path, media_type: str, options: ExtractOptions):
        import pymupdf

        require_mupdf(pymupdf.VersionFitz)
        self.path, self.media_type, self.options = path, media_type, options
        if media_type == "application/pdf":
            self.doc, self.repaired = _open_pdf(path, options)
            self.native = False
        elif media_type.startswith("image/"):
            self.doc, self.repaired = _images_as_pdf(path, options), False
            self.native = True
        else:
            raise UnsupportedFileType(f"cannot read {media_type}", path)
        self.warnings: list[str] = []
        self.languages = Languages(options.ocr_languages)
        self._content: dict[int, int] = {}  # a content stream's xref -> its decompressed bytes (as far as counted)
        self.content_read = 0  # decompressed content bytes of the pages read so far (a shared stream per page)
        if self.repaired:
            self.warnings.append(
                "the PDF is damaged (truncated or malformed); MuPDF repaired it and pages may be missing")
        count = self.doc.page_count
        if count == 0 or count > options.max_pages:
            self.close()
            if count == 0:
                raise CorruptDocument("the document has no pages", path)
            raise TooManyPages(f"{count} pages; the limit is {options.max_pages}", path)

    @property
    def page_count(self) -> int:
        return self.doc.page_count

    def page(self, number: int, out_dir: Path, warnings: list[str]) -> Page:
        """Page `number` (1-based): its image, thumbnail and crops written into `out_dir`."""
        import pymupdf

        out_dir.mkdir(parents=True, exist_ok=True)
        page = self.doc[number - 1]  # kept in a variable: MuPDF frees temporaries it still needs
        if not self.native:
            self._check_content(page, number)
        try:
            return _extract_page(page, number, out_dir, self.options, self.native, warnings, self.languages)
        except pymupdf.mupdf.FzErrorLimit as e:
            raise PageTooLarge(f"page {number} is beyond MuPDF's limits: {e}", self.path) from e
        except pymupdf.mupdf.FzErrorBase as e:
            if "malloc" in str(e):
                raise MemoryError(str(e)) from e  # the worker reports it with its memory cap
            raise CorruptDocument(f"page {number} cannot be read: {e}", self.path) from e

    def _check_content(self, page, number: int) -> None:
        """Refuse a page whose drawing instructions decompress beyond the limits: a few kilobytes of
        compressed stream can hold a gigabyte of them, which every page sharing it reads again (a 1.3 MB
        PDF of 2,000 such pages took 11 s a page). Counted before MuPDF reads them, with a bound."""
        page_limit = int(self.options.max_page_content_mb * 2**20)
        size = 0
        for xref in [*page.get_contents(), *(x[0] for x in page.get_xobjects())]:
            if xref not in self._content:
                self._content[xref] = _decompressed_size(self.doc, xref, page_limit + 1)
            size += self._content[xref]
            if size > page_limit:
                raise PageTooLarge(f"page {number}'s drawing instructions decompress to more than "
                                   f"{self.options.max_page_content_mb:g} MB (PAGESIGHT_MAX_PAGE_CONTENT_MB): a "
                                   "decompression bomb", self.path)
        self.content_read += size
        if self.content_read > self.options.max_document_content_mb * 2**20:
            raise PageTooLarge(f"by page {number} the document's drawing instructions decompress to more than "
                               f"{self.options.max_document_content_mb:g} MB (PAGESIGHT_MAX_DOCUMENT_CONTENT_MB), "
                               "pages sharing one stream each reading it again", self.path)

    def close(self) -> None:
        self.doc.close()


def _decompressed_size(doc, xref: int, limit: int) -> int:
    """How many bytes a stream decompresses to, counted up to `limit` (past it, `limit`), without holding
    them. Flate (the filter of nearly every content stream) is inflated here in bounded steps; a stream
    without a filter is its length; other filters are left to the time budgets (0)."""
    import zlib

    try:
        kind, value = doc.xref_get_key(xref, "Filter")
        raw = doc.xref_stream_raw(xref) or b"" if kind == "null" or value in ("/FlateDecode", "[/FlateDecode]") else b""
    except (ValueError, RuntimeError):  # a damaged reference: MuPDF skips it when it draws the page
        return 0
    if kind == "null":
        return len(raw)
    inflate, data, size = zlib.decompressobj(), raw, 0
    try:
        while data and size < limit:
            size += len(inflate.decompress(data, 1 << 20))
            data = inflate.unconsumed_tail
    except zlib.error:
        return size  # damaged: MuPDF reads what it can, and so much is all there is
    return min(size, limit)


def extract(path: Path, media_type: str, out_dir: Path, options: ExtractOptions) -> Extracted:
    """Read `path` (of the sniffed `media_type`) and write its page images and crops into `out_dir`:
    every page, one after another, in this process."""
    source = Source(path, media_type, options)
    result = Extracted(media_type=media_type, pages=[], repaired=source.repaired, warnings=list(source.warnings))
    try:
        for number in range(1, source.page_count + 1):
            result.pages.append(source.page(number, out_dir, result.warnings))
    finally:
        source.close()
    return result


def _open_pdf(path: Path, options: ExtractOptions):
    import pymupdf

    try:
        doc = pymupdf.open(path, filetype="pdf")
    except pymupdf.EmptyFileError as e:
        raise EmptyFile("the file is empty", path) from e
    except (pymupdf.FileDataError, RuntimeError, ValueError) as e:
        raise CorruptDocument(f"not a readable PDF ({e})", path) from e
    if not doc.is_pdf:
        doc.close()
        raise CorruptDocument("the content is not a PDF", path)
    # Read needs_pass once, before authenticating: reading it afterwards empties later text.
    if doc.needs_pass:
        if not options.password:
            doc.close()
            raise EncryptedDocument("the PDF is encrypted; give its password (--password) to ingest it", path)
        if doc.authenticate(options.password) == 0:
            doc.close()
            raise EncryptedDocument("the PDF is encrypted and the password given is wrong", path)
    return doc, bool(doc.is_repaired)


def _images_as_pdf(path: Path, options: ExtractOptions):
    """An image file as a PDF with one page per frame, so that images and PDFs share one page path."""
    import pymupdf
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # we check sizes ourselves, before decoding
    pdf = pymupdf.open()
    try:
        with Image.open(path) as img:
            n_frames = getattr(img, "n_frames", 1)
            if options.picture_side and n_frames > 1:
                raise TooManyPages(f"the picture has {n_frames} frames (an animation or a multi-page image); "
                                   "send one still picture", path)
            if n_frames > options.max_pages:
                raise TooManyPages(f"{n_frames} frames; the limit is {options.max_pages} pages", path)
            for number, frame in enumerate(ImageSequence.Iterator(img), start=1):
                w, h = frame.size
                if w * h > options.max_image_pixels:
                    raise PageTooLarge(
                        f"frame {number} is {w} x {h} pixels ({w * h / 1e6:.0f} Mpixels); "
                        f"the limit is {options.max_image_pixels / 1e6:.0f} Mpixels",
                        path,
                    )
                if options.max_side_px and max(w, h) > options.max_side_px:
                    raise PageTooLarge(f"the picture is {w} x {h} pixels; no side may be longer than "
                                       f"{options.max_side_px:,} pixels", path)
                rgb = _to_rgb(ImageOps.exif_transpose(frame))
                dpi = None  # none written: the page is sized as for any image
                if options.picture_side:  # read as if scanned at the OCR resolution, its text upscaled if small
                    scale = min(3.0, options.picture_side / max(rgb.size))
                    if abs(scale - 1) > 0.05:
                        rgb = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
                                         Image.Resampling.LANCZOS if scale > 1 else Image.Resampling.BILINEAR)
                    rgb, dpi = _even(rgb), (options.ocr_dpi, options.ocr_dpi)
                elif w * h > options.max_page_pixels:
                    scale = math.sqrt(options.max_page_pixels / (w * h))
                    rgb = rgb.resize((max(1, int(w * scale)), max(1, int(h * scale))))
                buf = io.BytesIO()
                rgb.save(buf, "PNG", compress_level=1, **({"dpi": dpi} if dpi else {}))
                with pymupdf.open(stream=buf.getvalue(), filetype="png") as one:
                    with pymupdf.open("pdf", one.convert_to_pdf()) as page_pdf:
                        pdf.insert_pdf(page_pdf)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        pdf.close()
        raise CorruptDocument(f"the image cannot be decoded ({e})", path) from e
    except Exception:
        pdf.close()
        raise
    return pdf


def _even(rgb):
    """A picture in grey with its lighting evened out, then level (`_level`): each pixel over its
    neighbourhood's paper, so that a photo darker on one side is read as a page lit evenly (Tesseract
    thresholds a page at one level: on a photo darker at one end, that end went black and read nothing)."""
    from PIL import Image, ImageFilter

    grey = rgb.convert("L")
    small = grey.reduce(8) if min(grey.size) >= 64 else grey
    # A closing (the brightest nearby, then the darkest of those): ink thinner than the window is gone, and
    # the edge of a page lying on a darker table stays where it is (a blur alone drew a dark halo round it).
    paper = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.MinFilter(5)).filter(
        ImageFilter.GaussianBlur(1)).resize(grey.size, Image.Resampling.BILINEAR)
    evened = np.asarray(grey, dtype=np.float32) * 255 / np.maximum(np.asarray(paper, dtype=np.float32), 1)
    return _level(Image.fromarray(np.clip(evened, 0, 255).astype(np.uint8)))


SPARSE_BELOW = 8  # a picture read in fewer words than this is read again as sparse text
SKEWS = np.arange(-8, 8.25, 0.25)  # the angles a photo's lines are tried at, in degrees


def _level(grey):
    """A picture turned so that its lines of text run level: a photo held a few degrees off has lines that,
    across a wide crop, climb into the next one, and Tesseract then reads none of them. The angle is the
    one at which the rows of ink are most uneven (lines and the gaps between them), found on a copy at most
    1,000 pixels wide; under a quarter of a degree, the picture stays as it is."""
    from PIL import Image

    small = grey.copy()
    small.thumbnail((1000, 1000))
    ink = Image.fromarray(np.where(np.asarray(small) < 160, 255, 0).astype(np.uint8))
    if not np.asarray(ink).any():
        return grey

    def unevenness(angle: float) -> float:
        return float(np.var(np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32)
                            .sum(axis=1)))

    angle = max(SKEWS, key=unevenness)
    if abs(angle) < 0.25:
        return grey
    return grey.rotate(float(angle), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def _to_rgb(img):
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        span = max(arr.max() - arr.min(), 1)
        return Image.fromarray(((arr - arr.min()) * 255 / span).astype(np.uint8)).convert("RGB")
    return img.convert("RGB")


def fit_dpi(width_pt: float, height_pt: float, dpi: float, max_pixels: int) -> float:
    """The largest dpi <= `dpi` at which a page of this size renders within `max_pixels`."""

    def pixels(d: float) -> int:  # MuPDF rounds the pixmap outwards: allow a pixel each way
        return (math.ceil(width_pt * d / 72) + 1) * (math.ceil(height_pt * d / 72) + 1)

    if pixels(dpi) <= max_pixels:
        return dpi
    fitted = dpi * math.sqrt(max_pixels / pixels(dpi))
    while fitted > 0 and pixels(fitted) > max_pixels:
        fitted *= 0.999
    return fitted


def _extract_page(page, number: int, out_dir: Path, options: ExtractOptions, native: bool, warnings: list[str],
                  languages: Languages | None = None) -> Page:
    import pymupdf

    rect, rotation = page.rect, page.rotation
    images = page.get_image_info()  # embedded images' sizes and boxes, read without decoding them
    for info in images:
        w, h = info.get("width", 0), info.get("height", 0)
        if w * h > options.max_image_pixels:
            raise PageTooLarge(
                f"page {number} holds a {w} x {h} pixel image ({w * h / 1e6:.0f} Mpixels; "
                f"the limit is {options.max_image_pixels / 1e6:.0f}): a decompression bomb or an extreme scan"
            )
    if native:
        # An image page renders at its own resolution: one pixel of the file is one pixel of the page.
        width_px = images[0]["width"] if images else rect.width
        dpi = 72 * width_px / rect.width
    else:
        dpi = fit_dpi(rect.width, rect.height, options.render_dpi, options.max_page_pixels)
        if dpi < options.min_render_dpi:
            raise PageTooLarge(
                f"page {number} is {rect.width / 72:.0f} x {rect.height / 72:.0f} inches; even at "
                f"{options.min_render_dpi} dpi it would exceed {options.max_page_pixels / 1e6:.0f} Mpixels"
            )
        if dpi < options.render_dpi:
            warnings.append(f"page {number} is very large; rendered at {dpi:.0f} dpi")

    zoom = dpi / 72
    ocr_dpi = fit_dpi(rect.width, rect.height, options.ocr_dpi, options.max_page_pixels)
    scanned = None
    ocr_pixels = (ocr_dpi / 72) ** 2 * rect.width * rect.height
    layer = not native and bool(page.get_fonts())  # no font, no text layer: nothing visible to read there
    if not native and not layer and ocr_dpi >= dpi and ocr_pixels <= RENDER_ONCE_PIXELS:
        # No text layer: OCR reads the page. One rendering at the OCR resolution serves it
        # and, made smaller, the page image (a scan's image is decoded once: bench/ingest.py).
        scanned = page.get_pixmap(matrix=pymupdf.Matrix(ocr_dpi / 72, ocr_dpi / 72), alpha=False)
        size = (page.rect * pymupdf.Matrix(zoom, zoom)).irect  # what rendering at `dpi` would give
        image = _image(scanned)
        if ocr_dpi > dpi:
            # Made smaller by PIL: MuPDF's scaling constructor, Pixmap(pixmap, w, h), never frees what it
            # makes (PyMuPDF 1.28: ~5.7 MB a letter page, until the worker hit its memory cap).
            image = image.resize((size.width, size.height), _SMALLER)
        scanned = pymupdf.Pixmap(pymupdf.csGRAY, scanned)  # OCR reads grey: the colour rendering goes now
    else:
        image = _render(page, zoom)
    scale = image.width / rect.width  # pixels per page unit

    blocks, hidden_chars = _visible_blocks(page, image, scale) if layer else ([], 0)
    text_source = "layer"
    if not text_is_usable(" ".join(b.text for b in blocks), options.ocr_min_chars) and not looks_blank(image):
        languages = languages or Languages(options.ocr_languages)
        ocr_blocks = _ocr_blocks(page, options, ocr_dpi, number, warnings, scanned, languages)
        if ocr_blocks is not None:
            blocks, text_source = ocr_blocks, "ocr"
            if page.rotation != rotation:  # the scan lay on its side or upside down: shown as it was read
                rect, image = page.rect, image.rotate(rotation - page.rotation, expand=True)  # clockwise
    text = "\n\n".join(b.text for b in blocks)
    if text_source == "layer" and not text.strip():
        text_source = "none"
    language = detect(text) or ""
    if languages is not None:
        languages.note(language)

    stem = f"p{number:04d}"
    figures = []
    for k, box in enumerate(_figure_boxes(page, images, options), start=1):
        x0, y0, x1, y1 = (round(v * scale) for v in box)
        crop_name = _save(image.crop((x0, y0, x1, y1)), out_dir, f"{stem}-f{k:02d}", options.page_image_format)
        figures.append(Region(kind="figure", box=box, image=crop_name))

    thumb_name = f"{stem}-thumb.jpg"
    image_name = _save(image, out_dir, stem, options.page_image_format)
    thumb = image.copy()
    thumb.thumbnail((options.thumbnail_px, options.thumbnail_px))
    thumb.save(out_dir / thumb_name, "JPEG", quality=80)

    return Page(
        number=number,
        width=rect.width,
        height=rect.height,
        image_width=image.width,
        image_height=image.height,
        image=image_name,
        thumbnail=thumb_name,
        text=text,
        text_source=text_source,
        language=language,
        hidden_text_chars=hidden_chars,
        label=_label(page),
        regions=[*blocks, *figures],
    )


def _label(page) -> str:
    """The page's label in the file (its /PageLabels: "iv", "27"), "" without one or when the file's
    labels cannot be read."""
    try:
        return (page.get_label() or "").strip()[:20]
    except Exception:  # a malformed label tree names no page: the page is numbered as the file counts it
        return ""


def _save(image, out_dir: Path, stem: str, image_format: str) -> str:
    """A page image or a figure crop in the chosen format; its file name. JPEG is encoded in a seventh of
    PNG's time (PNG was 45% of a page's work, and figure crops 17% more); PNG keeps exact pixels, an
    image in shades of grey as one, in half the time and bytes."""
    if image_format == "jpeg":
        image.save(out_dir / f"{stem}.jpg", "JPEG", quality=JPEG_QUALITY)
        return f"{stem}.jpg"
    (image.convert("L") if is_grey(image) else image).save(out_dir / f"{stem}.png", "PNG", compress_level=1)
    return f"{stem}.png"


def _luminance(rgb: int) -> float:
    r, g, b = (rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255
    return 0.299 * r + 0.587 * g + 0.114 * b


def span_visible(span: dict, page_box: Box, gray: np.ndarray, scale: float) -> bool:
    """Whether a reader of the rendered page can see this text span.

    Hidden: invisible render mode (3 Tr) or full transparency, text off the page, text under one
    point high, and text whose colour matches what is drawn under it (white on white).
    `gray` is the rendered page as luminance, `scale` pixels per page unit.
    """
    if not span["char_flags"] & (_FILLED | _STROKED) or span.get("alpha", 255) == 0:
        return False
    x0, y0, x1, y1 = span["bbox"]
    px0, py0, px1, py1 = page_box
    if x1 <= px0 or x0 >= px1 or y1 <= py0 or y0 >= py1:
        return False
    if span["size"] < 1.0:
        return False
    h, w = gray.shape
    c0, c1 = max(0, int(x0 * scale)), min(w, math.ceil(x1 * scale))
    r0, r1 = max(0, int(y0 * scale)), min(h, math.ceil(y1 * scale))
    region = gray[r0:r1, c0:c1]
    if region.size == 0:
        return False
    # Visible when the text's colour shows up in its box (the glyphs reached the page) and
    # something else does too (a background it stands out from). White on white fails the
    # second test, text painted over by an image the first.
    distance = np.abs(region.astype(np.int16) - int(_luminance(span["color"])))
    return int(distance.min()) <= _INK_TOLERANCE and int(distance.max()) >= _MIN_CONTRAST


def is_grey(image) -> bool:
    """Whether every pixel of an RGB image has equal red, green and blue (grey), so "L" holds it exactly."""
    from PIL import ImageChops

    red, green, blue = image.split()
    return ImageChops.difference(red, green).getbbox() is None and ImageChops.difference(green, blue).getbbox() is None


def looks_blank(image) -> bool:
    """A page with (next to) nothing printed on it: under 0.03% of its pixels, at a quarter of its
    resolution, stand out from the paper. Such a page is not OCRed: Tesseract would spend a good part
    of a second on each and find nothing (a 40-page blank scan took 7.6 s)."""
    gray = np.asarray(image.convert("L").reduce(4), dtype=np.int16)
    if gray.size == 0:
        return True
    ink = np.abs(gray - int(np.median(gray))) > 48
    return float(ink.mean()) < 0.0003


def text_is_usable(text: str, min_chars: int) -> bool:
    """A text layer worth indexing: enough characters, and not mostly unmapped glyphs."""
    chars = [c for c in text if not c.isspace()]
    if len(chars) < min_chars:
        return False
    garbage = sum(1 for c in chars if c == "\ufffd" or "\ue000" <= c <= "\uf8ff" or ord(c) < 32)
    return garbage / len(chars) < 0.3


def _visible_blocks(page, image, scale: float) -> tuple[list[Region], int]:
    """The text a reader sees, as regions in reading order (layout.py), and how many characters are hidden."""
    import pymupdf

    # No clipping to the page: text outside it is counted as hidden, not silently dropped. Blocks come in
    # the file's own order; layout.arrange puts them in reading order.
    flags = pymupdf.TEXT_PRESERVE_LIGATURES | pymupdf.TEXT_PRESERVE_WHITESPACE
    data = page.get_text("dict", flags=flags, sort=False, clip=pymupdf.INFINITE_RECT())
    gray = np.asarray(image.convert("L"))
    page_box = tuple(page.rect)
    rotation = page.rotation_matrix
    blocks: list[Block] = []
    hidden = 0
    for block in data["blocks"]:
        lines = []
        for line in block.get("lines", []):
            words, boxes = [], []
            for span in line["spans"]:
                if not span["text"].strip():
                    words.append(span["text"])
                    continue
                span["bbox"] = _display_box(span["bbox"], rotation)
                if span_visible(span, page_box, gray, scale):
                    words.append(span["text"])
                    boxes.append(span["bbox"])
                else:
                    hidden += len(span["text"].strip())
            text = "".join(words).strip()
            if text and boxes:
                lines.append(Line(union(boxes), text.translate(LIGATURES)))
        if lines:
            blocks.append(Block(union(ln.box for ln in lines), lines))
    return arrange(blocks, page.rect.width), hidden


def _render(page, zoom: float):
    import pymupdf

    return _image(page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False))


def _image(pixmap):
    from PIL import Image

    return Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)


def _ocr_blocks(page, options: ExtractOptions, dpi: float, number: int, warnings: list[str],
                rendered=None, languages: Languages | None = None) -> list[Region] | None:
    """The page read by Tesseract (ocr.py) at `dpi` (from `rendered`, the page rendered at that
    resolution, if given), its blocks and lines arranged as a text layer's are (layout.py). A scan that
    lies on its side or upside down is read turned upright, and the page is turned to match (its
    rotation, in memory: its boxes and figures are then those of the standing page; the caller turns
    its image)."""
    languages = languages or Languages(options.ocr_languages)
    reading = languages.for_ocr()
    started = time.monotonic()
    try:
        blocks, turn = read_upright(page, max(dpi, 1), reading, 0.9 * options.page_timeout_s, number, rendered)
        if options.picture_side and sum(len(line.text.split()) for b in blocks for line in b.lines) < SPARSE_BELOW:
            # A picture whose layout Tesseract's page analysis missed: its text looked for anywhere.
            left = 0.9 * options.page_timeout_s - (time.monotonic() - started)
            if left > 0:
                sparse, sparse_turn = read_upright(page, max(dpi, 1), reading, left, number, rendered, sparse=True)
                if len(" ".join(line.text for b in sparse for line in b.lines)) > len(
                        " ".join(line.text for b in blocks for line in b.lines)):
                    blocks, turn = sparse, sparse_turn
        again = languages.second_reading(" ".join(line.text for b in blocks for line in b.lines))
        left = 0.9 * options.page_timeout_s - (time.monotonic() - started)
        if again and left > 0:  # the document's first scan, read in English, shows another language
            try:
                blocks, turn = read_upright(page, max(dpi, 1), again, left, number, rendered)
                reading = again
            except IngestError:  # out of time: the English reading stands
                warnings.append(f"page {number}: no time left to read it again in {again}")
    except OcrUnavailable as e:
        message = f"page {number}: OCR failed ({e}); is tesseract with languages '{reading}' installed?"
        if message not in warnings:
            warnings.append(message)
        return None
    if turn:
        page.set_rotation((page.rotation + turn) % 360)
        warnings.append(f"page {number} was scanned turned; turned {turn} degrees clockwise to read it")
    return arrange(blocks, page.rect.width)


def _figure_boxes(page, images: list[dict], options: ExtractOptions) -> list[Box]:
    """Embedded images and clusters of vector drawings big enough to be figures (charts, diagrams).

    An image covering (nearly) the whole page is the page itself (a scan), not a figure of it.
    """
    import pymupdf

    rect = page.rect
    rotation = page.rotation_matrix
    page_area = rect.width * rect.height
    low, high = options.figure_min_area * page_area, 0.9 * page_area
    candidates: list[pymupdf.Rect] = []
    for info in images:
        box = pymupdf.Rect(_display_box(info["bbox"], rotation)) & rect
        if low <= box.get_area() <= high:
            candidates.append(box)
    try:
        clusters = page.cluster_drawings()
    except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase):
        clusters = []
    for box in clusters:
        box = pymupdf.Rect(_display_box(box, rotation)) & rect
        if low <= box.get_area() <= high and min(box.width, box.height) >= 36:
            candidates.append(box)
    candidates.sort(key=lambda r: r.get_area(), reverse=True)
    kept: list[pymupdf.Rect] = []
    for box in candidates:
        if any((box & k).get_area() >= 0.7 * box.get_area() for k in kept):
            continue  # mostly inside a bigger figure already kept (an image framed by drawings)
        kept.append(box)
        if len(kept) == options.max_figures_per_page:
            break
    kept.sort(key=lambda r: (round(r.y0), r.x0))
    return [_round_box(tuple(k)) for k in kept]


def _display_box(box, rotation) -> Box:
    """MuPDF reports boxes on the unrotated page; a reader (and the rendered image) sees it rotated."""
    import pymupdf

    r = pymupdf.Rect(box) * rotation
    r.normalize()
    return _round_box(tuple(r))


def _round_box(box) -> Box:
    return tuple(round(float(v), 2) for v in box)  # type: ignore[return-value]
