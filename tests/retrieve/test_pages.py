"""The pages a question names by number (retrieve/pages.py), and the step that reads them."""

import pytest

from pagesight.core.types import Page, Region
from pagesight.retrieve.pages import MAX_RANGE, pages_named, printed_number, printed_offset


@pytest.mark.parametrize(("question", "pages"), [
    ("What is the word written in the orange box on page 17?", (17,)),
    ("How many figures are in this paper from Page 3 to Page 10?", tuple(range(3, 11))),
    ("How many images are there in Pages 100-110 of the slides?", tuple(range(100, 111))),
    ("the number of cars in the figures on page 2 and the number of bars in the figures on page 4", (2, 4)),
    ("In the figure on slide 14, how many more locations are there?", (14,)),
    ("See pp. 4-5 and p. 9.", (4, 5, 9)),
    ("Which pages 2 and 6 show a chart?", (2, 6)),
    ("Que montre le tableau à la page 12 ?", (12,)),
    ("Combien de figures entre les pages 3 à 5 et la diapositive 8 ?", (3, 4, 5, 8)),
    ("In the table at page 28, which signal has the least frequency?", (28,)),
    # no page named: a number elsewhere, a percentage, a word that only looks like one
    ("What was revenue in 2019, page after page of growth?", ()),
    ("How many homepages list 12 items?", ()),
    ("What share of the 10-page survey said 5%?", ()),
    ("How many pages 10-K filings run to, and what is on page 4a?", ()),  # a form's name, a page's label
])
def test_the_pages_a_question_names(question, pages):
    assert pages_named(question) == pages


def test_a_long_range_is_cut_and_a_backward_one_is_two_pages():
    assert pages_named("How many figures are provided in Pages 400-640?") == tuple(range(400, 400 + MAX_RANGE))
    assert pages_named("pages 9-3") == (9, 3)
    assert pages_named("page 0") == ()


def page(number: int, *texts: tuple[str, float], label: str = "") -> Page:
    """A page of 800 units' height holding these texts, each a block whose top is at that share of it."""
    return Page(number=number, width=600, height=800, image_width=600, image_height=800, image="p.png",
                thumbnail="t.jpg", label=label,
                regions=[Region(kind="text", box=(50, top * 800, 550, top * 800 + 12), text=text)
                         for text, top in texts])


@pytest.mark.parametrize(("texts", "number"), [
    ([("27", 0.01), ("4K UHD Display User Manual", 0.01)], 27),  # a header: the number alone
    ([("3.8 Frequency Table", 0.04), ("Chapter 3: Important Information | 28", 0.01)], 28),  # a running head
    ([("Annual report 2019", 0.5), ("Page 5 of 12", 0.96)], 5),
    ([("- 9 -", 0.95)], 9),
    ([("12 | Annual report", 0.95)], 12),
    ([("17", 0.5)], None),  # a number mid-page is a table's or a list's, not the page's
    ([("6/3/2020", 0.02), ("https://example.org/search", 0.97), ("2/2", 0.97)], None),  # a web page's print
    ([("Revenue grew 12 percent", 0.96)], None),
])
def test_the_number_a_page_prints_as_its_own(texts, number):
    assert printed_number(page(3, *texts)) == number


def test_a_page_label_in_the_file_decides_before_the_printed_text():
    assert printed_number(page(30, ("27", 0.97), label="28")) == 28
    assert printed_number(page(2, ("27", 0.97), label="ii")) is None  # front matter, numbered in roman
    assert printed_number(page(2, ("27", 0.97), label="²")) is None  # a file's label is anything it says


def test_the_offset_is_the_one_the_neighbours_agree_on():
    report = [page(26, ("Chapter 3 | 25", 0.01)), page(27, ("26", 0.97)), page(28, ("27", 0.97)),
              page(29, ("Chapter 3 | 28", 0.01)), page(30, ("A table", 0.5))]
    assert printed_offset(report) == 1
    assert printed_offset([page(5, ("5", 0.97)), page(6, ("6", 0.97))]) == 0  # numbered as the file counts
    assert printed_offset([page(28, ("27", 0.97))]) == 0  # one page is no agreement
    years = [page(n, ("2019", 0.97)) for n in range(10, 14)]  # a year in every footer: the offsets differ
    assert printed_offset(years) == 0
    assert printed_offset([page(4, ("3", 0.97)), page(5, ("4", 0.97)), page(6, ("9", 0.97))]) == 1  # two of three
    assert printed_offset([page(4, ("3", 0.97)), page(5, ("4", 0.97)), page(6, ("9", 0.97)), page(7, ("1", 0.97))]) == 0
