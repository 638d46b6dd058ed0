"""Extraction of generated documents: pages, text, OCR, figures, rotation, hidden text, limits."""

import io
import math

import numpy as np
import pymupdf
import pytest
from PIL import Image, ImageDraw

from pagesight.core.errors import (
    CorruptDocument,
    EncryptedDocument,
    IngestError,
    PageTooLarge,
    TooManyPages,
)
from pagesight.ingest.extract import extract, fit_dpi, looks_blank, require_mupdf, span_visible, text_is_usable
from tests import docs
from tests.conftest import extract_options


def _overlap(a, b) -> float:
    """Intersection over union of two boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


@pytest.fixture(scope="module")
def extracted(report, tmp_path_factory):
    out = tmp_path_factory.mktemp("extracted")
    return extract(report, "application/pdf", out, extract_options()), out


def test_every_page_is_rendered_with_a_thumbnail(extracted):
    result, out = extracted
    assert [p.number for p in result.pages] == [1, 2, 3, 4, 5, 6]
    for page in result.pages:
        with Image.open(out / page.image) as img:
            assert img.size == (page.image_width, page.image_height)
            # 144 dpi: two pixels per point
            assert abs(img.width - 2 * page.width) <= 1 and abs(img.height - 2 * page.height) <= 1
        with Image.open(out / page.thumbnail) as thumb:
            assert max(thumb.size) == 256


def test_page_images_are_jpeg_by_default_or_exact_png(tmp_path, report):
    """JPEG (fast) by default; PNG keeps the rendered pixels exactly, a grey page as one grey channel."""
    import numpy as np
    import pymupdf

    jpeg = extract(report, "application/pdf", tmp_path / "jpeg", extract_options())
    assert all(p.image.endswith(".jpg") for p in jpeg.pages)
    png = extract(report, "application/pdf", tmp_path / "png", extract_options(page_image_format="png"))
    with pymupdf.open(report) as doc:
        for page, source in zip(png.pages, doc, strict=True):
            rendered = source.get_pixmap(matrix=pymupdf.Matrix(2, 2), alpha=False)
            truth = np.frombuffer(rendered.samples, np.uint8).reshape(rendered.height, rendered.width, 3)
            with Image.open(tmp_path / "png" / page.image) as img:
                pixels = np.asarray(img.convert("RGB"))
                if page.text_source == "ocr":  # rendered once at the OCR resolution, then made smaller by PIL
                    assert pixels.shape == truth.shape and np.abs(pixels.astype(np.int16) - truth).mean() < 3
                    continue
                assert np.array_equal(pixels, truth), page.number
                assert img.mode == ("L" if (truth.max(axis=2) == truth.min(axis=2)).all() else "RGB")
            with Image.open(tmp_path / "jpeg" / page.image.replace(".png", ".jpg")) as img:
                close = np.abs(np.asarray(img.convert("RGB"), np.int16) - truth).mean()
                assert close < 3, (page.number, close)  # quality 90: a few levels on average


def test_text_layer_with_block_boxes(extracted):
    page = extracted[0].pages[0]
    assert page.text_source == "layer"
    assert docs.FACT_TEXT in page.text.replace("\n", " ")
    block = next(b for b in page.blocks if "4217 ships" in b.text)
    # insert_textbox put the fact in (72, 100, 540, 200): the block lies inside it
    x0, y0, x1, y1 = block.box
    assert 71 <= x0 and 99 <= y0 and x1 <= 541 and y1 <= 201


def test_text_a_reader_cannot_see_is_not_indexed_but_counted(extracted):
    page = extracted[0].pages[0]
    for hidden in (docs.INJECTION, docs.WHITE_TEXT, docs.OFFPAGE_TEXT):
        assert hidden not in page.text
        assert all(hidden not in b.text for b in page.blocks)
    assert page.hidden_text_chars == len(docs.INJECTION) + len(docs.WHITE_TEXT) + len(docs.OFFPAGE_TEXT)


def test_table_text_is_extracted(extracted):
    page = extracted[0].pages[1]
    for a, b in docs.TABLE_ROWS:
        assert a in page.text and b in page.text


def test_embedded_image_and_vector_chart_become_figures_with_their_boxes(extracted):
    result, out = extracted
    photo_page, chart_page = result.pages[2], result.pages[3]
    assert len(photo_page.figures) == 1 and _overlap(photo_page.figures[0].box, docs.PHOTO_RECT) > 0.95
    assert len(chart_page.figures) == 1 and _overlap(chart_page.figures[0].box, docs.CHART_RECT) > 0.9
    with Image.open(out / photo_page.figures[0].image) as crop:
        # the crop shows the photo: its mean colour is the photo's blue-dominated mix, not white paper
        mean = np.asarray(crop).reshape(-1, 3).mean(axis=0)
        assert mean[2] > 100 and mean.mean() < 200


def test_scanned_page_is_ocred_and_says_so(extracted):
    page = extracted[0].pages[4]
    assert page.text_source == "ocr"
    words = page.text.lower().split()
    for word in ("submarine", "cable", "atlantic", "1858"):
        assert word in words
    assert not page.figures  # the scan is the page, not a figure on it


def test_rotated_page_boxes_are_in_displayed_coordinates(extracted):
    page = extracted[0].pages[5]
    assert (page.width, page.height) == (792, 612)  # landscape once the /Rotate is applied
    block = next(b for b in page.blocks if "Penguins" in b.text)
    x0, y0, x1, y1 = block.box
    assert y1 - y0 > x1 - x0  # the line now runs down the page
    assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height


def test_encrypted_pdf_needs_the_password(tmp_path):
    path = docs.encrypted_pdf(tmp_path / "locked.pdf", "secret")
    with pytest.raises(EncryptedDocument, match="encrypted; give its password"):
        extract(path, "application/pdf", tmp_path / "a", extract_options())
    with pytest.raises(EncryptedDocument, match="password given is wrong"):
        extract(path, "application/pdf", tmp_path / "b", extract_options(password="nope"))
    result = extract(path, "application/pdf", tmp_path / "c", extract_options(password="secret"))
    assert "merger plan" in result.pages[0].text


def test_truncated_pdf_is_reported_as_repaired(tmp_path, report):
    data = report.read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: int(len(data) * 0.9)])
    result = extract(path, "application/pdf", tmp_path / "out", extract_options())
    assert result.repaired
    assert any("repaired" in w for w in result.warnings)


def test_junk_with_a_pdf_header_is_corrupt(tmp_path):
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(CorruptDocument):
        extract(path, "application/pdf", tmp_path / "out", extract_options())


def test_page_count_limit(tmp_path):
    path = docs.simple_pdf(tmp_path / "long.pdf", ["line"], pages=5)
    with pytest.raises(TooManyPages, match="5 pages; the limit is 3"):
        extract(path, "application/pdf", tmp_path / "out", extract_options(max_pages=3))


def test_huge_page_is_rendered_at_a_lower_dpi_within_the_pixel_budget(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=7200, height=7200)  # 100 x 100 inches
    page.insert_text((100, 100), "A very large poster page with a headline", fontsize=120)
    doc.save(tmp_path / "poster.pdf")
    options = extract_options(max_page_pixels=4_000_000)
    result = extract(tmp_path / "poster.pdf", "application/pdf", tmp_path / "out", options)
    page = result.pages[0]
    assert page.image_width * page.image_height <= 4_000_000
    assert any("rendered at" in w for w in result.warnings)


def test_page_too_large_even_at_minimum_dpi(tmp_path):
    doc = pymupdf.open()
    doc.new_page(width=14400, height=14400)  # 200 x 200 inches: PDF's largest page
    doc.save(tmp_path / "giant.pdf")
    options = extract_options(max_page_pixels=1_000_000, min_render_dpi=10)
    with pytest.raises(PageTooLarge, match="200 x 200 inches"):
        extract(tmp_path / "giant.pdf", "application/pdf", tmp_path / "out", options)


def test_embedded_image_over_the_pixel_limit_is_refused_before_decoding(tmp_path, report):
    options = extract_options(max_image_pixels=100_000)  # the photo is 600 x 400 = 240,000
    with pytest.raises(PageTooLarge, match="600 x 400 pixel image"):
        extract(report, "application/pdf", tmp_path / "out", options)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_image_files_are_one_page_documents_with_ocr(tmp_path, fmt):
    path = docs.image_file(tmp_path / f"note.{fmt.lower()}", fmt, ["Invoice number 77812", "Total due 450 dollars"])
    result = extract(path, f"image/{fmt.lower()}", tmp_path / "out", extract_options())
    assert len(result.pages) == 1
    page = result.pages[0]
    assert page.text_source == "ocr"
    assert "77812" in page.text and "Invoice" in page.text
    assert (page.image_width, page.image_height) == (1600, 600)  # rendered at the file's own resolution


def test_multiframe_tiff_gives_one_page_per_frame(tmp_path):
    path = docs.multiframe_tiff(tmp_path / "fax.tiff", [["First page about apples"], ["Second page about pears"]])
    result = extract(path, "image/tiff", tmp_path / "out", extract_options())
    assert [p.number for p in result.pages] == [1, 2]
    assert "apples" in result.pages[0].text and "pears" in result.pages[1].text


def test_image_over_the_pixel_limit_is_refused(tmp_path):
    path = docs.image_file(tmp_path / "big.png", "PNG", ["x"])
    with pytest.raises(PageTooLarge, match="1600 x 600 pixels"):
        extract(path, "image/png", tmp_path / "out", extract_options(max_image_pixels=500_000))


def test_truncated_image_is_corrupt(tmp_path):
    data = docs.png_bytes(docs.photo())
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptDocument, match="cannot be decoded"):
        extract(path, "image/png", tmp_path / "out", extract_options())


# ---- the pure parts --------------------------------------------------------------------------

def _span(**kw):
    span = {"char_flags": 16, "alpha": 255, "bbox": (10, 10, 50, 20), "size": 10, "color": 0x000000}
    span.update(kw)
    return span


def _page_with_ink(color=0):
    gray = np.full((100, 100), 255, dtype=np.uint8)
    gray[12:18, 12:48] = color  # glyphs drawn inside the span's box
    return gray


def test_span_visibility_rules():
    box = (0, 0, 100, 100)
    ink = _page_with_ink()
    assert span_visible(_span(), box, ink, 1.0)
    assert not span_visible(_span(char_flags=0), box, ink, 1.0)  # 3 Tr: neither filled nor stroked
    assert not span_visible(_span(alpha=0), box, ink, 1.0)
    assert not span_visible(_span(bbox=(10, 120, 50, 130)), box, ink, 1.0)  # below the page
    assert not span_visible(_span(size=0.5), box, ink, 1.0)
    blank = np.full((100, 100), 255, dtype=np.uint8)
    assert not span_visible(_span(color=0xFFFFFF), box, blank, 1.0)  # white on white: nothing painted
    assert not span_visible(_span(), box, blank, 1.0)  # covered: the glyphs did not reach the page


def test_bold_text_whose_ink_fills_most_of_its_box_is_visible():
    gray = np.full((100, 100), 255, dtype=np.uint8)
    gray[10:20, 10:45] = 0  # 35 of 40 columns inked
    assert span_visible(_span(), (0, 0, 100, 100), gray, 1.0)


def test_light_grey_text_on_white_is_too_faint_to_read():
    gray = np.full((100, 100), 255, dtype=np.uint8)
    gray[12:18, 12:48] = 240
    assert not span_visible(_span(color=0xF0F0F0), (0, 0, 100, 100), gray, 1.0)


def test_white_text_on_a_dark_band_is_visible():
    gray = np.full((100, 100), 20, dtype=np.uint8)
    gray[12:18, 12:48] = 255
    assert span_visible(_span(color=0xFFFFFF), (0, 0, 100, 100), gray, 1.0)


def test_text_usability():
    assert text_is_usable("A perfectly ordinary sentence of text.", 24)
    assert not text_is_usable("Too short", 24)
    assert not text_is_usable("\ufffd" * 40 + "abc", 24)  # unmapped glyphs


def test_fit_dpi_keeps_small_pages_and_shrinks_big_ones():
    assert fit_dpi(612, 792, 144, 25_000_000) == 144
    dpi = fit_dpi(18000, 36000, 144, 25_000_000)
    assert 0.99 * 25_000_000 <= (18000 * dpi / 72) * (36000 * dpi / 72) <= 25_000_000
    assert (math.ceil(18000 * dpi / 72) + 1) * (math.ceil(36000 * dpi / 72) + 1) <= 25_000_000


def test_mupdf_floor():
    import pymupdf

    require_mupdf(pymupdf.VersionFitz)  # what is installed passes
    require_mupdf("1.28.0")
    for old in ("1.27.9", "1.26.7", "1.9.2"):
        with pytest.raises(IngestError, match=f"MuPDF {old} is older than 1.28.0 .*CVE-2026-3308"):
            require_mupdf(old)


def scanned_pdf(path, pages: list[list[str]]):
    """A scan: each page one raster image (text drawn into it, or nothing), no text layer."""
    doc = pymupdf.open()
    for lines in pages:
        image = Image.new("L", (1224, 1584), 250)
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(lines):
            draw.text((120, 160 + 60 * i), line, fill=20, font_size=36)
        buf = io.BytesIO()
        image.save(buf, "PNG")
        page = doc.new_page(width=612, height=792)
        page.insert_image(page.rect, stream=buf.getvalue())
    doc.save(path)
    return path


def test_blank_scanned_pages_are_not_ocred_and_printed_ones_are(tmp_path):
    path = scanned_pdf(tmp_path / "scan.pdf", [[], ["The harbour master logged forty ships in May."], []])
    result = extract(path, "application/pdf", tmp_path / "out", extract_options())
    assert [p.text_source for p in result.pages] == ["none", "ocr", "none"]
    assert "harbour master" in result.pages[1].text and result.pages[0].text == ""
    assert looks_blank(Image.new("RGB", (400, 500), "white"))
    assert not looks_blank(Image.open(tmp_path / "out" / result.pages[1].image))


def test_a_scans_image_read_once_for_ocr_is_the_page_as_rendered(tmp_path):
    """A page with no text layer is rendered once, at the OCR resolution, for OCR and its image both:
    its image is the size, and shows what, rendering at the page resolution shows."""
    path = scanned_pdf(tmp_path / "scan.pdf", [["The keeper counted 57 ships in the harbour."]])
    result = extract(path, "application/pdf", tmp_path / "out", extract_options())
    (page,) = result.pages
    assert "counted 57 ships" in page.text and page.text_source == "ocr"
    with pymupdf.open(path) as doc:
        zoom = extract_options().render_dpi / 72
        pix = doc[0].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        direct = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    with Image.open(tmp_path / "out" / page.image) as shown:
        assert shown.size == direct.size == (page.image_width, page.image_height)
        assert np.abs(np.asarray(shown.convert("L"), int) - np.asarray(direct.convert("L"), int)).mean() < 4


def test_drawing_instructions_that_decompress_past_the_limit_are_refused_before_they_are_read(tmp_path):
    import time

    from pagesight.core.errors import PageTooLarge

    bomb = docs.amplified_pdf(tmp_path / "bomb.pdf", pages=3, content_mb=40)
    assert bomb.stat().st_size < 200_000  # 40 MB of instructions a page in a small file
    started = time.monotonic()
    with pytest.raises(PageTooLarge, match=r"page 1's drawing instructions decompress to more than 32 MB"):
        extract(bomb, "application/pdf", tmp_path / "a", extract_options())
    assert time.monotonic() - started < 5  # counted with a bound, never drawn
    shared = docs.amplified_pdf(tmp_path / "shared.pdf", pages=6, content_mb=5)  # each page alone is fine
    with pytest.raises(PageTooLarge, match=r"by page 5 the document's drawing instructions decompress to more"):
        extract(shared, "application/pdf", tmp_path / "b", extract_options(max_document_content_mb=24))
    assert len(extract(shared, "application/pdf", tmp_path / "c", extract_options()).pages) == 6
