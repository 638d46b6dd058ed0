"""The pages a question names by number (retrieve/pages.py), and the step that reads them."""

import pytest

from pagesight.retrieve.pages import MAX_RANGE, pages_named


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
