"""Citations: markers checked against the pages given, named citations mapped, boxes found."""

import logging

from pagesight.core.types import Hit, Page, Region
from pagesight.generate.citations import resolve_citations
from pagesight.generate.prompt import Evidence


def evidence(marker: int, file_name: str, page: int, regions=(), region=None):
    hit = Hit(doc_id=f"doc{marker}", file_name=file_name, page=page, score=1.0, region=region,
              image_path=f"/img/{marker}.png")
    data = Page(number=page, width=612, height=792, image_width=10, image_height=10, image="p.png",
                thumbnail="t.png", regions=list(regions))
    return Evidence(marker, hit, data, None)


TABLE = Region(kind="text", box=(72, 100, 372, 220), text="Region Revenue\nNorth 1200\nSouth 3400")
TITLE = Region(kind="text", box=(72, 60, 400, 80), text="Annual report of the lighthouse company")
PAGES = [evidence(1, "report.pdf", 2, [TITLE, TABLE]), evidence(2, "memo.pdf", 1,
         region=Region(kind="text", box=(1, 2, 3, 4), text="dues"))]


def test_valid_markers_are_kept_and_become_citations_in_order_of_use():
    text, citations, dropped = resolve_citations("Dues rose [2]. North revenue was 1200 [1].", PAGES)
    assert text == "Dues rose [2]. North revenue was 1200 [1]."
    assert [(c.marker, c.doc_id, c.file_name, c.page) for c in citations] == [
        (2, "doc2", "memo.pdf", 1), (1, "doc1", "report.pdf", 2)]
    assert citations[1].box == TABLE.box  # the region sharing the claim's words ("north", "revenue", "1200")
    assert citations[0].box == (1, 2, 3, 4)  # no region shares two words: the hit's own region
    assert citations[1].image_path == "/img/1.png" and dropped == []


def test_citations_to_pages_not_given_are_dropped_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="pagesight.generate.citations"):
        text, citations, dropped = resolve_citations(
            "North was 1200 [1, 7]. Made up [9]. Also [annual.pdf, page 3] and [memo.pdf, p. 1].", PAGES)
    assert text == "North was 1200 [1]. Made up. Also and [2]."
    assert dropped == ["[7]", "[9]", "[annual.pdf, page 3]"]  # in the order they come
    assert [c.marker for c in citations] == [1, 2]
    assert "[annual.pdf, page 3]" in caplog.text and "[9]" in caplog.text


def test_named_citations_of_given_pages_become_their_markers():
    text, citations, _ = resolve_citations("Revenue by region [Report.PDF, page 2].", PAGES)
    assert text == "Revenue by region [1]." and [c.page for c in citations] == [2]


def test_an_answer_without_markers_has_no_citations():
    assert resolve_citations("The pages do not say.", PAGES) == ("The pages do not say.", [], [])
