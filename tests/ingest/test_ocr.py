"""OCR by Tesseract: its TSV read into lines and blocks in page units, a line cut where a gap no sentence
has separates two columns, Tesseract in the process and the program reading a scan alike, a page that
does not finish in its time named, and a missing Tesseract reported, not raised."""

import pytest

from pagesight.core.errors import IngestError
from pagesight.ingest import ocr
from pagesight.ingest.ocr import OcrUnavailable, _blocks, _words, tesseract_blocks

HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def row(block, line, word, left, text, top=100, width=40, height=20):
    return f"5\t1\t{block}\t1\t{line}\t{word}\t{left}\t{top}\t{width}\t{height}\t95\t{text}"


def test_words_become_lines_and_blocks_in_page_units():
    tsv = "\n".join([HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t1700\t2200\t-1\t",
                     row(1, 1, 1, 100, "Harbour"), row(1, 1, 2, 150, "log"),
                     row(1, 2, 1, 100, "Dues", top=130), row(1, 2, 2, 150, "rose", top=130),
                     row(2, 1, 1, 100, "Page", top=400), row(2, 1, 2, 150, "two", top=400)])
    blocks = _blocks(_words(tsv), 0.5)  # 144 dpi: half a point a pixel
    assert [[ln.text for ln in b.lines] for b in blocks] == [["Harbour log", "Dues rose"], ["Page two"]]
    assert blocks[0].lines[0].box == (50.0, 50.0, 95.0, 60.0)
    assert blocks[0].box == (50.0, 50.0, 95.0, 75.0)


def test_a_line_across_two_columns_is_cut_at_the_gutter():
    tsv = "\n".join([HEADER, row(1, 1, 1, 100, "the"), row(1, 1, 2, 150, "harbour"),
                     row(1, 1, 3, 800, "the"), row(1, 1, 4, 850, "lamp")])  # a gutter of 30 word heights
    (block,) = _blocks(_words(tsv), 1.0)
    assert [ln.text for ln in block.lines] == ["the harbour", "the lamp"]


@pytest.fixture
def no_library(monkeypatch):
    """No Tesseract language data the library can find (so no Tesseract in the process)."""
    ocr._library.cache_clear()
    monkeypatch.setattr(ocr, "tessdata", lambda languages: None)
    yield
    ocr._library.cache_clear()


def test_without_tesseract_the_page_is_reported_unreadable(monkeypatch, tmp_path, no_library):
    import pymupdf

    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract program on it either
    doc = pymupdf.open()
    page = doc.new_page()
    with pytest.raises(OcrUnavailable, match="not installed"):
        tesseract_blocks(page, 144, "eng", 30, 1)


def scanned_page(tmp_path, lines):
    import pymupdf

    from tests import docs
    from tests.ingest.test_layout import scan_of

    scan = scan_of(docs.simple_pdf(tmp_path / "note.pdf", lines), tmp_path / "scan.pdf")
    return pymupdf.open(scan)[0]


LINES = ["The harbour dues rose in 1820.", "Revenue was 42.1 million dollars in 2019."]


def text_of(blocks) -> str:
    return " ".join(line.text for block in blocks for line in block.lines)


def test_tesseract_in_the_process_reads_a_scan_as_the_program_does(monkeypatch, tmp_path):
    page = scanned_page(tmp_path, LINES)
    program = text_of(tesseract_blocks(page, 200, "eng", 60, 1, engine="program"))
    library = text_of(tesseract_blocks(page, 200, "eng", 60, 1, engine="library"))
    assert "harbour dues rose in 1820" in library and "42.1 million" in library
    assert library.split() == program.split()
    monkeypatch.setenv("PATH", str(tmp_path))  # no program: the process's own Tesseract reads it
    assert text_of(tesseract_blocks(page, 200, "eng", 60, 1)) == library


@pytest.mark.parametrize("engine", ["library", "program"])
def test_a_page_that_does_not_finish_in_its_time_is_named(tmp_path, engine):
    page = scanned_page(tmp_path, LINES * 20)
    with pytest.raises(IngestError, match="page 7: OCR did not finish within 0.001 s"):
        tesseract_blocks(page, 200, "eng", 0.001, 7, engine=engine)
    assert "harbour" in text_of(tesseract_blocks(page, 200, "eng", 60, 7, engine=engine))  # and the next one reads


def test_a_language_tesseract_lacks_leaves_the_page_without_text_and_says_why(tmp_path):
    from pagesight.ingest.extract import extract
    from tests import docs
    from tests.conftest import extract_options
    from tests.ingest.test_layout import scan_of

    scan = scan_of(docs.simple_pdf(tmp_path / "note.pdf", ["The harbour dues rose in 1820."]), tmp_path / "scan.pdf")
    result = extract(scan, "application/pdf", tmp_path / "out", extract_options(ocr_languages="xyz"))
    assert result.pages[0].text == "" and result.pages[0].text_source == "none"
    assert any("page 1: OCR failed" in w and "'xyz'" in w for w in result.warnings), result.warnings
    read = extract(scan, "application/pdf", tmp_path / "out2", extract_options())
    assert "harbour dues rose in 1820" in read.pages[0].text and read.pages[0].text_source == "ocr"


def turned_scan(tmp_path, lines, degrees: int):
    """`lines` printed, rasterised and fed in turned `degrees` clockwise, as a scanner given the sheet
    upside down or on its side would store it."""
    import pymupdf
    from PIL import Image

    from tests import docs

    with pymupdf.open(docs.simple_pdf(tmp_path / "sheet.pdf", lines)) as doc:
        pix = doc[0].get_pixmap(dpi=200)
    image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples).rotate(-degrees, expand=True)
    out = pymupdf.open()
    page = out.new_page(width=image.width * 72 / 200, height=image.height * 72 / 200)
    page.insert_image(page.rect, stream=_png(image))
    out.save(tmp_path / f"turned-{degrees}.pdf")
    return tmp_path / f"turned-{degrees}.pdf"


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


SHEET = ["The harbour dues rose sharply in 1820 after the storm.", "Revenue was 42.1 million dollars in 2019.",
         "The lighthouse keeper recorded every passing vessel.", "Customs officers inspected the cargo twice."]


@pytest.mark.parametrize("degrees", [180, 90, 270])
def test_a_scan_fed_in_turned_is_read_and_shown_upright(tmp_path, degrees):
    from pagesight.ingest.extract import extract
    from tests.conftest import extract_options

    result = extract(turned_scan(tmp_path, SHEET, degrees), "application/pdf", tmp_path / "out", extract_options())
    (page,) = result.pages
    text = " ".join(page.text.split())
    assert "harbour dues rose sharply in 1820" in text and "42.1 million dollars" in text
    assert text.index("harbour") < text.index("Revenue") < text.index("lighthouse") < text.index("Customs")
    assert (page.width, page.height) == (612, 792) and page.image_height > page.image_width  # standing again
    first = next(line for region in page.regions for line in region.text.splitlines() if "harbour" in line)
    top = min(r.box[1] for r in page.regions if first in r.text)
    assert top < 150, "the first line's box is at the top of the standing page"  # printed at y=72
    assert any(f"page 1 was scanned turned; turned {(360 - degrees) % 360} degrees" in w for w in result.warnings)
    import pymupdf  # the page image stands too: read as it is shown, its first line is the sheet's first

    with pymupdf.open(tmp_path / "out" / page.image) as shown:
        assert text_of(tesseract_blocks(shown[0], 200, "eng", 60, 1)).startswith("The harbour dues rose sharply")


def test_a_page_whose_layout_lies_on_its_side_is_turned_before_it_is_read(tmp_path, monkeypatch):
    import pymupdf

    page = pymupdf.open(turned_scan(tmp_path, SHEET, 90))[0]
    readings = []
    real_read = ocr._read
    monkeypatch.setattr(ocr, "_read", lambda *a, **k: readings.append(real_read(*a, **k)) or readings[-1])
    blocks, turn = ocr.read_upright(page, 200, "eng", 60, 1)
    assert turn == 270 and "harbour dues rose sharply in 1820" in text_of(blocks)
    assert readings[0] is None and len(readings) == 2  # not read as it lay: only its layout was looked at


@pytest.mark.parametrize("degrees", [0, 180])
def test_a_page_whose_lines_stand_on_their_heads_is_turned_before_it_is_read(tmp_path, monkeypatch, degrees):
    import pymupdf

    page = pymupdf.open(turned_scan(tmp_path, SHEET, degrees))[0]
    readings, checks = [], []
    real_read, real_check = ocr._read, ocr._orientation
    monkeypatch.setattr(ocr, "_read", lambda *a, **k: readings.append(real_read(*a, **k)) or readings[-1])
    monkeypatch.setattr(ocr, "_orientation", lambda scan: checks.append(real_check(scan)) or checks[-1])
    blocks, turn = ocr.read_upright(page, 200, "eng", 60, 1)
    assert turn == degrees and "harbour dues rose sharply in 1820" in text_of(blocks)
    if degrees:  # looked at, checked, read once turned: not read upside down first
        assert readings[0] is None and len(readings) == 2 and checks == [180]
    else:  # a standing page is read once, without the check
        assert len(readings) == 1 and readings[0].stands() and checks == []


def test_a_page_whose_layout_lies_on_its_side_but_will_not_turn_is_read_as_it_lies(tmp_path, monkeypatch):
    import pymupdf

    page = pymupdf.open(turned_scan(tmp_path, SHEET, 90))[0]
    monkeypatch.setattr(ocr, "_orientation", lambda scan: 0)  # the orientation check cannot tell
    blocks, turn = ocr.read_upright(page, 200, "eng", 60, 1)
    assert turn == 0 and blocks  # the words as they lie, not nothing


def test_a_page_turned_first_that_does_not_read_standing_is_read_as_it_lies(tmp_path, monkeypatch):
    import pymupdf

    page = pymupdf.open(turned_scan(tmp_path, SHEET, 90))[0]
    monkeypatch.setattr(ocr, "_orientation", lambda scan: 90)  # the wrong way: turned by it, it stands on its head
    readings = []
    real_read = ocr._read
    monkeypatch.setattr(ocr, "_read", lambda *a, **k: readings.append(real_read(*a, **k)) or readings[-1])
    blocks, turn = ocr.read_upright(page, 200, "eng", 60, 1)
    assert turn == 0 and len(readings) == 3 and readings[0] is None  # looked at, read turned, read as it lay
    assert not readings[1].stands() and text_of(blocks) == text_of(readings[2].blocks) != ""


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_scan_turned_in_memory_is_the_page_rendered_turned(tmp_path, degrees):
    import numpy as np

    page = scanned_page(tmp_path, LINES)
    turned = ocr.Scan.of(ocr._render(page, 200), 200).turned(degrees)
    page.set_rotation(degrees)
    rendered = ocr.Scan.of(ocr._render(page, 200), 200)
    assert (turned.width, turned.height) == (rendered.width, rendered.height)
    assert np.abs(turned.pixels.astype(int) - rendered.pixels.astype(int)).mean() < 2


def test_a_standing_scan_is_not_turned(tmp_path):
    from pagesight.ingest.extract import extract
    from tests.conftest import extract_options

    result = extract(turned_scan(tmp_path, SHEET, 0), "application/pdf", tmp_path / "out", extract_options())
    assert "harbour dues rose sharply" in result.pages[0].text
    assert not any("turned" in w for w in result.warnings), result.warnings


@pytest.fixture
def clock(monkeypatch):
    """ocr.py's clock, whose seconds a test can make pass at once (`skip`) instead of sleeping through them."""
    import time
    from types import SimpleNamespace

    skipped = [0.0]
    monkeypatch.setattr(ocr, "time", SimpleNamespace(monotonic=lambda: time.monotonic() + skipped[0]))
    return SimpleNamespace(skip=lambda seconds: skipped.__setitem__(0, skipped[0] + seconds))


def test_the_second_reading_of_a_turned_page_gets_only_the_time_left(tmp_path, monkeypatch, clock):
    import pymupdf

    page = pymupdf.open(turned_scan(tmp_path, SHEET, 180))[0]
    reads = []
    real_read = ocr._read
    monkeypatch.setattr(ocr, "_read", lambda *a, **k: reads.append(a[2]) or real_read(*a, **k))
    monkeypatch.setattr(ocr, "_upside_down", lambda *a: False)  # its lines do not give it away: read, then checked
    monkeypatch.setattr(ocr, "_orientation", lambda *a: clock.skip(3.1) or 180)  # a slow orientation check
    blocks, turn = ocr.read_upright(page, 200, "eng", 3.0, 1)
    assert turn == 0 and len(reads) == 1  # no time left for a second reading: the page as it lay
    assert page.rotation == 0
    blocks, turn = ocr.read_upright(page, 200, "eng", 60, 1)
    assert turn == 180 and len(reads) == 3 and reads[2] < 60  # the second reading gets what is left


def test_a_page_on_its_side_with_no_time_left_to_read_is_named(tmp_path, monkeypatch, clock):
    import pymupdf

    page = pymupdf.open(turned_scan(tmp_path, SHEET, 90))[0]
    monkeypatch.setattr(ocr, "_orientation", lambda scan: clock.skip(3.1) or 90)  # says turn, but too late
    with pytest.raises(IngestError, match="page 4: OCR did not finish within 3 s"):
        ocr.read_upright(page, 200, "eng", 3.0, 4)
