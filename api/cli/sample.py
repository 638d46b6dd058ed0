"""A sample document the project makes itself, so the demo needs nothing downloaded.

Four pages that exercise the pipeline: text, a ruled table, a vector bar chart, and a scanned page
with no text layer (found only through OCR).
"""

from __future__ import annotations

import io
from pathlib import Path

__all__ = ["SAMPLE_QUESTION", "text_image", "write_sample_pdf"]

SAMPLE_QUESTION = "When was the telegraph cable laid across the Atlantic?"

_INTRO = (
    "Lighthouses guided ships along dangerous coasts for centuries. The Bell Rock lighthouse, "
    "finished in 1810 off the coast of Scotland, is the oldest surviving sea-washed lighthouse. "
    "Its keepers trimmed the lamps every night and logged every passing ship."
)
_SCAN = [
    "The first transatlantic telegraph",
    "cable was laid in 1858 between",
    "Ireland and Newfoundland.",
    "It failed after three weeks.",
]


def text_image(lines: list[str], size: tuple[int, int] = (1600, 600), font_px: int = 48):
    """A white image with black lines of text, clean enough for Tesseract."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=font_px)
    y = 60
    for line in lines:
        draw.text((60, y), line, fill="black", font=font)
        y += int(font_px * 1.3)
    return img


def write_sample_pdf(path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 80), "A short history of sea signals", fontsize=20)
    page.insert_textbox(pymupdf.Rect(72, 110, 540, 300), _INTRO, fontsize=12)

    page = doc.new_page()
    page.insert_text((72, 80), "Table 1: ships logged at Bell Rock", fontsize=14)
    rows = [("Year", "Ships"), ("1811", "2,140"), ("1812", "2,385"), ("1813", "2,610")]
    for i, (year, ships) in enumerate(rows):
        y = 110 + i * 26
        page.draw_line((72, y), (372, y))
        page.insert_text((80, y + 18), year, fontsize=12)
        page.insert_text((230, y + 18), ships, fontsize=12)
    page.draw_line((72, 110 + len(rows) * 26), (372, 110 + len(rows) * 26))

    page = doc.new_page()
    page.insert_text((72, 80), "Figure 1: ships logged per year, as a bar chart", fontsize=12)
    page.draw_line((100, 450), (500, 450))
    page.draw_line((100, 150), (100, 450))
    for i, height in enumerate((180, 210, 240)):
        x = 140 + i * 110
        page.draw_rect(pymupdf.Rect(x, 450 - height, x + 60, 450), color=(0, 0, 0), fill=(0.2, 0.4, 0.8))

    scan = text_image(_SCAN, size=(1700, 2200), font_px=64)
    buf = io.BytesIO()
    scan.save(buf, "PNG")
    page = doc.new_page()
    page.insert_image(page.rect, stream=buf.getvalue())  # a scan: pixels only, no text layer

    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path, no_new_id=True)  # no random file id: the sample is the same bytes each time, one document
    return path
