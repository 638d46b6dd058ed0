"""Passages: blocks packed in reading order up to a word limit, boxes the union of their blocks."""

from pagesight.core.types import Page, Region, title_of
from pagesight.index.passages import passages


def page(*blocks: tuple[str, tuple]) -> Page:
    return Page(number=1, width=612, height=792, image_width=10, image_height=10, image="p.png", thumbnail="t.png",
                regions=[Region(kind="text", box=box, text=text) for text, box in blocks]
                + [Region(kind="figure", box=(0, 0, 5, 5))])


def test_neighbouring_blocks_share_a_passage_until_the_limit():
    found = passages(page(("a b c", (10, 10, 50, 20)), ("d e", (12, 22, 80, 30)), ("f g h i", (10, 40, 60, 50)),
                          ("   ", (0, 0, 1, 1))), max_words=5)
    assert [(p.text, p.box) for p in found] == [("a b c\nd e", (10, 10, 80, 30)), ("f g h i", (10, 40, 60, 50))]
    assert all(p.kind == "text" for p in found)


def test_a_long_block_is_cut_into_overlapping_windows_with_its_own_box():
    words = " ".join(f"w{i}" for i in range(10))
    found = passages(page(("head", (0, 0, 9, 9)), (words, (1, 2, 3, 4)), ("tail", (5, 5, 6, 6))), max_words=4)
    assert [p.text for p in found] == ["head", "w0 w1 w2 w3", "w3 w4 w5 w6", "w6 w7 w8 w9", "tail"]
    assert {p.box for p in found[1:4]} == {(1, 2, 3, 4)}


def test_a_page_without_text_has_no_passages():
    assert passages(page()) == []


def test_document_titles_come_from_file_names():
    assert title_of("3M_2018_10K.pdf") == "3M 2018 10K"
    assert title_of("AMCOR_2022_8K_dated-2022-07-01.pdf") == "AMCOR 2022 8K dated 2022 07 01"
    assert title_of("report.pdf") == "report"
