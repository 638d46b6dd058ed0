"""Reading order and table rows, from line boxes (pure), from a generated two-column PDF, and from the
same page scanned (OCR)."""

import io

import pymupdf
from PIL import Image

from pagesight.ingest.extract import extract
from pagesight.ingest.layout import Block, Line, arrange
from tests.conftest import extract_options

LEFT = ["The harbour opened in 1820 after a long dispute.", "Its first master kept a careful log of ships.",
        "He counted every hull that passed the cape."]
RIGHT = ["The lamp was rebuilt in 1889 after the storm.", "A new lens came from Paris that winter.",
         "It could be seen twenty miles out at sea."]


def block(*lines: tuple[tuple, str]) -> Block:
    found = [Line(box, text) for box, text in lines]
    return Block((min(b[0] for b, _ in lines), min(b[1] for b, _ in lines), max(b[2] for b, _ in lines),
                  max(b[3] for b, _ in lines)), found)


def test_two_columns_are_read_one_after_the_other():
    left = block(*[((50, 100 + 14 * i, 280, 112 + 14 * i), t) for i, t in enumerate(LEFT)])
    right = block(*[((320, 100 + 14 * i, 560, 112 + 14 * i), t) for i, t in enumerate(RIGHT)])
    title = block(((50, 60, 560, 80), "Harbour history, a page set in two columns across the width"))
    regions = arrange([right, title, left], page_width=612)
    assert [r.text.splitlines()[0] for r in regions] == ["Harbour history, a page set in two columns across the width",
                                                         LEFT[0], RIGHT[0]]


def test_a_table_row_is_one_line_with_its_column_headers():
    rows = block(((300, 100, 340, 112), "2019"), ((400, 100, 440, 112), "2018"),
                 ((50, 120, 200, 132), "Revenue"), ((305, 120, 340, 132), "42.1"), ((405, 120, 440, 132), "39.0"),
                 ((50, 140, 200, 152), "Operating income"), ((305, 140, 340, 152), "(3.5)"),
                 ((405, 140, 440, 152), "—"))
    (region,) = arrange([rows], page_width=612)
    assert region.text.splitlines() == ["2019 | 2018", "Revenue | 2019: 42.1 | 2018: 39.0",
                                        "Operating income | 2019: (3.5) | 2018: —"]


def test_a_table_split_into_a_block_per_cell_becomes_rows_but_prose_does_not():
    cells = [block(((50, 120, 200, 132), "Net revenue")), block(((305, 120, 340, 132), "1,577")),
             block(((405, 120, 440, 132), "1,373")), block(((300, 100, 340, 112), "2018")),
             block(((400, 100, 440, 112), "2017"))]
    text = "\n".join(r.text for r in arrange(cells, page_width=612))
    assert "Net revenue | 2018: 1,577 | 2017: 1,373" in text
    headings = [block(((50, 300, 250, 312), "Introduction")), block(((320, 300, 560, 312), "continues the story"))]
    assert [r.text for r in arrange(headings, page_width=612)] == ["Introduction", "continues the story"]


def two_column_pdf(path):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_textbox(pymupdf.Rect(50, 60, 560, 90), "Harbour history set in two columns", fontsize=14)
    page.insert_textbox(pymupdf.Rect(50, 110, 290, 400), " ".join(LEFT), fontsize=12)
    page.insert_textbox(pymupdf.Rect(320, 110, 560, 400), " ".join(RIGHT), fontsize=12)
    doc.save(path)
    return path


def scan_of(pdf, path):
    with pymupdf.open(pdf) as doc:
        png = doc[0].get_pixmap(dpi=200).tobytes("png")
    out = pymupdf.open()
    page = out.new_page(width=612, height=792)
    page.insert_image(page.rect, stream=png)
    out.save(path)
    return path


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_generated_two_column_page_reads_column_by_column(tmp_path):
    result = extract(two_column_pdf(tmp_path / "two.pdf"), "application/pdf", tmp_path / "out", extract_options())
    text = flat(result.pages[0].text)
    assert flat(" ".join(LEFT)) in text and flat(" ".join(RIGHT)) in text
    assert text.index(LEFT[-1][:20]) < text.index(RIGHT[0][:20])


def test_the_same_page_scanned_reads_column_by_column_too(tmp_path):
    scan = scan_of(two_column_pdf(tmp_path / "two.pdf"), tmp_path / "scan.pdf")
    page = extract(scan, "application/pdf", tmp_path / "out", extract_options()).pages[0]
    assert page.text_source == "ocr"
    text = flat(page.text).lower()
    for sentence in ("careful log of ships", "every hull that passed", "new lens came from paris"):
        assert sentence in text, text
    assert text.index("every hull") < text.index("lamp was rebuilt")  # the left column ends before the right begins
    assert Image.open(io.BytesIO((tmp_path / "out" / page.image).read_bytes())).width > 0
