"""OCR by the system's Tesseract: its TSV read into lines and blocks in page units, a line cut where a
gap no sentence has separates two columns, and a missing program reported, not raised."""

import pytest

from pagesight.ingest.ocr import OcrUnavailable, _blocks, tesseract_blocks

HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def row(block, line, word, left, text, top=100, width=40, height=20):
    return f"5\t1\t{block}\t1\t{line}\t{word}\t{left}\t{top}\t{width}\t{height}\t95\t{text}"


def test_words_become_lines_and_blocks_in_page_units():
    tsv = "\n".join([HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t1700\t2200\t-1\t",
                     row(1, 1, 1, 100, "Harbour"), row(1, 1, 2, 150, "log"),
                     row(1, 2, 1, 100, "Dues", top=130), row(1, 2, 2, 150, "rose", top=130),
                     row(2, 1, 1, 100, "Page", top=400), row(2, 1, 2, 150, "two", top=400)])
    blocks = _blocks(tsv, 0.5)  # 144 dpi: half a point a pixel
    assert [[ln.text for ln in b.lines] for b in blocks] == [["Harbour log", "Dues rose"], ["Page two"]]
    assert blocks[0].lines[0].box == (50.0, 50.0, 95.0, 60.0)
    assert blocks[0].box == (50.0, 50.0, 95.0, 75.0)


def test_a_line_across_two_columns_is_cut_at_the_gutter():
    tsv = "\n".join([HEADER, row(1, 1, 1, 100, "the"), row(1, 1, 2, 150, "harbour"),
                     row(1, 1, 3, 800, "the"), row(1, 1, 4, 850, "lamp")])  # a gutter of 30 word heights
    (block,) = _blocks(tsv, 1.0)
    assert [ln.text for ln in block.lines] == ["the harbour", "the lamp"]


def test_without_tesseract_the_page_is_reported_unreadable(monkeypatch, tmp_path):
    import pymupdf

    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on it
    doc = pymupdf.open()
    page = doc.new_page()
    with pytest.raises(OcrUnavailable, match="not installed"):
        tesseract_blocks(page, 144, "eng", 30, 1)


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
