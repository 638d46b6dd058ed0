"""One reading of the years a question names, for the retriever's named documents and the answerers'
abstention alike."""

from pagesight.core.periods import is_year, years_named
from pagesight.generate.support import key_terms
from pagesight.retrieve.scope import question_years


def test_years_in_the_forms_questions_write_them_and_not_figures_that_look_like_years():
    assert years_named("capex in FY2018 and FY19, CY 2020, and in 1940? Also 1940 again.") == [2018, 2020, 1940, 2019]
    assert years_named("$2019.5 million, 12,2019 units, 120190, 2019.5") == []
    assert is_year("FY2019") and is_year("FY19") and is_year("1940") and not is_year("Q2") and not is_year("$2019")


def test_the_retriever_and_the_answerers_read_the_same_years():
    for question in ("What was 3M's FY2018 capex?", "Spending in calendar year 1940 and FY41",
                     "Revenue of $2019.5 million in 2019?", "Growth of 2019.5 units in 2018",
                     "Q2 2023 revenue of Pfizer", "As of FY2023Q1, what was Costco's guidance?"):
        assert set(int(y) for y in key_terms(question).years) == question_years(question), question
