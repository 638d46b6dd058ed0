"""The extractive answerer on real filings: FinanceBench's six shortest filings (56 pages, 12
questions) in the lite profile, citations checked against the gold pages. Skipped without the devset."""

import pytest

from pagesight.api.pagesight import Models, PageSight
from pagesight.index.encoders import Bm25Encoder
from pagesight.index.profiles import Encoders
from pagesight.retrieve import read_questions
from tests.conftest import make_settings

FILINGS = ["FOOTLOCKER_2022_8K_dated-2022-05-20", "PEPSICO_2023_8K_dated-2023-05-05", "AMCOR_2022_8K_dated-2022-07-01",
           "ULTABEAUTY_2023Q4_EARNINGS", "AMCOR_2023Q4_EARNINGS", "MGMRESORTS_2022Q4_EARNINGS"]


@pytest.fixture(scope="module")
def filings(financebench, tmp_path_factory, text_encoder):
    settings = make_settings(tmp_path_factory.mktemp("fb") / "data", answerer="extractive")
    models = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder()))
    with PageSight(settings=settings, models=models) as sight:
        outcomes = sight.ingest([financebench / "pdfs" / f"{name}.pdf" for name in FILINGS])
        assert [o.status for o in outcomes] == ["ingested"] * len(FILINGS)
        questions = [q for q in read_questions(financebench / "questions_local_subset.jsonl")
                     if {doc for doc, _ in q.relevant} <= set(FILINGS)]
        yield sight, questions


def test_extractive_quotes_come_from_the_gold_page_on_real_filings(filings):
    sight, questions = filings
    assert len(questions) == 12
    report = sight.evaluate_answers(questions, k=3)
    # Measured 0.67 and 0.50 (README): a gold page among the three read for 8 of 12 questions, and
    # a quote from it for 6. The floors leave one question of slack each way.
    assert report.gold_in_pages >= 7 / 12, report
    assert report.any_citation_gold >= 5 / 12, report
