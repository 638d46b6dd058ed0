"""One reading of the years a question names, for the retriever's named documents and the answerers'
abstention alike."""

from pagesight.core.periods import is_year, quarters_named, title_quarters, years_named
from pagesight.generate.support import KeyTerms, key_terms
from pagesight.retrieve.scope import question_years


def test_years_in_the_forms_questions_write_them_and_not_figures_that_look_like_years():
    assert years_named("capex in FY2018 and FY19, CY 2020, and in 1940? Also 1940 again.") == [2018, 2020, 1940, 2019]
    assert years_named("$2019.5 million, 12,2019 units, 120190, 2019.5") == []
    assert is_year("FY2019") and is_year("FY19") and is_year("1940") and not is_year("Q2") and not is_year("$2019")


def test_a_quarter_glued_to_its_year_names_the_year_and_is_no_name():
    """FinanceBench writes "Q22023", "Q2'2023", "FY2023Q1": the year, not a name the pages must hold."""
    assert years_named("the biggest drop in Q22023 year over year") == [2023]
    assert years_named("As of Q2'2023, and Q3-2022, Q4 FY2021, FY2020Q1, 2019Q3") == [2023, 2022, 2021, 2020, 2019]
    assert years_named("margins in Q2'23 and Q1 FY22") == [2023, 2022]
    assert years_named("Q2 of 120190 units, Q3 2.5") == []
    for word in ("Q22023", "Q2'2023", "FY2023Q1", "2023Q2", "Q2'23"):
        assert is_year(word), word
    assert not is_year("Q2") and not is_year("Q223x") and not is_year("3M")
    assert key_terms("For Pfizer, which region had the biggest drop in Q22023 year over year revenues?") == (
        KeyTerms(years=("2023",), names=("Pfizer",)))
    assert key_terms("As of Q2'2023, is Pfizer spinning off any large business segments?").names == ("Pfizer",)


def test_the_retriever_and_the_answerers_read_the_same_years():
    for question in ("What was 3M's FY2018 capex?", "Spending in calendar year 1940 and FY41",
                     "Revenue of $2019.5 million in 2019?", "Growth of 2019.5 units in 2018",
                     "Q2 2023 revenue of Pfizer", "As of FY2023Q1, what was Costco's guidance?",
                     "Drop in Q22023 for Pfizer", "Q2'23 and Q1 FY22 margins"):
        assert set(int(y) for y in key_terms(question).years) == question_years(question), question


def test_quarters_as_questions_and_file_names_write_them():
    assert quarters_named("as of Q2 of FY2023, Q22023, Q4'22, the third quarter of 1940") == {2, 4, 3}
    assert quarters_named("Form 10-Q, Q10, Q123, 3Q") == set()
    assert title_quarters("AMCOR 2023Q2 10Q") == {2} and title_quarters("q3 2021 report") == {3}
    assert title_quarters("treasury bulletin 1940 04") == set() and title_quarters("faq2 10Q") == set()
