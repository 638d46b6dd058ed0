"""A picture asked as a question (a screenshot, a phone photo of a page, a cropped chart), read as an ingested
scan is read: in an extraction worker (a hostile picture can take down only that child), with the same
limits on pixels, Tesseract's orientation check, and OCR in the configured languages.

What differs from a document's image: one still frame only, no side past `max_side_px`, and the picture is
brought to a long side of `picture_side` pixels before OCR (a crop of small text is upscaled up to 3x; a
12-megapixel photo is brought down), at the OCR resolution. Its page image, thumbnail and crops are written
to a temporary folder that is removed before this returns: nothing of a question is kept.
"""

from __future__ import annotations

import io
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.errors import BadPicture, IngestError
from ..core.types import Page
from .detect import sniff
from .extract import ExtractOptions
from .pool import ExtractionPool

__all__ = ["PICTURE_TYPES", "Read", "picture_type", "read_picture", "still"]

PICTURE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/tiff")
STILL_PIXELS = 40_000_000  # the largest picture decoded in the caller's process for an encoder (120 MB in RGB)


@dataclass(frozen=True)
class Read:
    page: Page  # its words as OCR read them (text, blocks with boxes in the picture's frame)
    seconds: float
    data: bytes = b""  # the picture as it was given (a worker has read it: one still frame, within the limits)
    thumbnail: bytes = b""  # the picture as it was read (grey, levelled), small, JPEG


def picture_type(data: bytes, max_bytes: int) -> str:
    """The picture's media type, judged by its bytes; BadPicture when it is empty, too large, or no
    picture PageSight reads (a GIF is refused by name: it is most often an animation)."""
    if not data:
        raise BadPicture("the picture is empty (0 bytes)")
    if len(data) > max_bytes:
        raise BadPicture(f"the picture is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:g} MB")
    if data[:6] in (b"GIF87a", b"GIF89a"):
        raise BadPicture("a GIF is not read as a question (often an animation): send a PNG, JPEG or WebP still")
    media_type = sniff(data[:1024])
    if media_type not in PICTURE_TYPES:
        raise BadPicture("not a picture: send a PNG, JPEG, WebP or TIFF image (judged by its content)")
    return media_type


def read_picture(data: bytes, pool: ExtractionPool, options: ExtractOptions, *, max_bytes: int,
                 picture_side: int, max_side_px: int, lane: str = "pictures") -> Read:
    """The picture's words, read by OCR in one of `pool`'s workers (`lane`: pictures take their turn among
    the uploads' lanes). BadPicture (a 4xx) for anything wrong with the picture itself."""
    media_type = picture_type(data, max_bytes)
    options = replace(options, picture_side=picture_side, max_side_px=max_side_px, max_pages=1)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pagesight-picture-") as folder:
        path = Path(folder) / "picture"
        path.write_bytes(data)
        out = Path(folder) / "read"
        out.mkdir()
        try:
            extracted = pool.submit(path, media_type, out, options, lane=lane).result()
        except IngestError as e:
            raise BadPicture(f"the picture cannot be read: {e.reason}") from e
        page = extracted.pages[0]
        thumbnail = next((p.read_bytes() for p in out.rglob(page.thumbnail)), b"")
    return Read(page, time.monotonic() - started, data, thumbnail)


def still(data: bytes, side: int):  # -> PIL.Image.Image | None
    """The picture, as a PIL image in colour, upright by its EXIF orientation and no larger than `side` on its
    long side: what an encoder of pictures embeds; None for one over STILL_PIXELS. Only for a picture a
    worker has read (`read_picture` checked its frames and pixels there)."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (side, side))  # a JPEG decodes at a fraction of its size when that is enough
            if img.width * img.height > STILL_PIXELS:
                return None  # not decoded in this process: searched by its words alone
            img = ImageOps.exif_transpose(img).convert("RGB")
    except Image.DecompressionBombError:
        return None
    img.thumbnail((side, side))
    return img
