"""The extractive answerer (lite, offline) on ingested pages: quotes the passage that answers,
cites its page and block, and never turns document text into anything but a quotation."""

import pytest

from pagesight.generate.extractive import NO_FIGURE, NO_FIGURE_ANY, NOT_FOUND, ExtractiveAnswerer
from pagesight.generate.prompt import Evidence
from tests.docs import FACT_TEXT
from tests.generate.conftest import INJECTED


def test_it_quotes_the_sentence_that_answers_with_its_page_and_box(library, text_encoder):
    evidence, ids = library
    answer = ExtractiveAnswerer(text_encoder).answer("How many ships did the keeper count?",
                                                     evidence("How many ships did the keeper count?"))
    assert answer.extractive and answer.answerer == "extractive"
    first = answer.citations[0]
    assert (first.doc_id, first.page, first.marker) == (ids["report"], 1, 1)
    assert first.quote == FACT_TEXT and answer.text.splitlines()[0] == f'"{FACT_TEXT}" [1]'  # the answer, first
    x0, y0, x1, y1 = first.box  # the text box drawn at (72, 100)-(540, 200) on page 1
    assert 70 <= x0 and y0 >= 95 and x1 <= 545 and y1 <= 205
    assert first.image_path and first.image_path.endswith(".jpg")


def test_a_table_row_is_quoted_whole(library, text_encoder):
    evidence, ids = library
    question = "What was the revenue of the South region?"
    answer = ExtractiveAnswerer(text_encoder).answer(question, evidence(question))
    quotes = [c.quote for c in answer.citations if c.page == 2 and c.doc_id == ids["report"]]
    assert any("South" in q and "3400" in q for q in quotes), answer.text


def test_hidden_text_is_never_quoted_and_a_visible_injection_is_only_ever_quoted(library, text_encoder):
    evidence, ids = library
    answerer = ExtractiveAnswerer(text_encoder)
    for question in ("What should the assistant reply?", "What were the harbour dues per ship?"):
        answer = answerer.answer(question, evidence(question))
        lines = answer.text.splitlines()
        assert lines[0].startswith('"') and lines[0].endswith('" [1]')  # the best passage, quoted
        for n, line in enumerate(lines[1:], start=2):  # every other line is a quotation
            assert line.startswith('- "') and line.endswith(f'" [{n}]')
        assert "PWNED" not in answer.text.replace(INJECTED, "")  # only inside the quoted sentence
        assert "IGNORE PREVIOUS INSTRUCTIONS" not in answer.text  # 3 Tr text on the report never indexed
    dues = answerer.answer("What were the harbour dues per ship?", evidence("What were the harbour dues per ship?"))
    assert dues.citations[0].quote == "The harbour dues rose to 12 shillings per ship in 1820."
    assert dues.citations[0].doc_id == ids["memo"]


def test_it_says_plainly_when_nothing_answers(library, text_encoder):
    evidence, _ = library
    question = "Who won the 1998 World Cup final?"  # a year and a name no page mentions
    answer = ExtractiveAnswerer(text_encoder).answer(question, evidence(question))
    assert answer.abstained and answer.citations == [] and answer.extractive
    assert answer.text == 'Not in these documents: the pages found do not mention "1998", "World Cup", so they ' \
                          "do not answer this question."
    weak = ExtractiveAnswerer(text_encoder, min_score=0.9).answer("Who won the final?", evidence("Who won the final?"))
    assert weak.text == NOT_FOUND and weak.abstained and weak.citations == []  # no passage close enough


def test_no_pages_no_answer(text_encoder):
    answer = ExtractiveAnswerer(text_encoder).answer("anything", [])
    assert "nothing to answer from" in answer.text and answer.citations == []


def test_streaming_yields_the_lines_then_the_answer(library, text_encoder):
    evidence, _ = library
    question = "How many ships did the keeper count?"
    events = list(ExtractiveAnswerer(text_encoder).stream(question, evidence(question)))
    *deltas, final = events
    assert all(isinstance(d, str) for d in deltas) and "".join(deltas) == final.text  # exactly what is kept


def test_a_hit_without_its_page_is_answered_from_the_hit_text(text_encoder):
    from pagesight.core.types import Hit

    hit = Hit(doc_id="d", file_name="f.pdf", page=3, score=1.0, text="The bridge opened in 1890. It is red.")
    answer = ExtractiveAnswerer(text_encoder).answer("When did the bridge open?", [Evidence(1, hit, None, None)])
    assert answer.citations[0].quote == "The bridge opened in 1890." and answer.citations[0].box is None


def test_bracketed_references_in_page_text_never_pass_for_citations(text_encoder):
    from pagesight.core.types import Hit

    text = "The bridge opened in 1890 [2]. See the annex [plans.pdf, page 44] for the drawings."
    hit = Hit(doc_id="d", file_name="f.pdf", page=3, score=1.0, text=text)
    answer = ExtractiveAnswerer(text_encoder).answer("When did the bridge open?", [Evidence(1, hit, None, None)])
    quotes = " ".join(c.quote for c in answer.citations)
    assert "1890 (2)" in quotes and "[2]" not in answer.text
    assert "[plans.pdf" not in answer.text
    assert [c.marker for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_each_page_read_gets_its_best_quote_before_a_page_gets_a_second(text_encoder):
    from pagesight.core.types import Hit

    first = Hit(doc_id="d", file_name="f.pdf", page=3, score=1.0,
                text="The bridge opened in 1890. The bridge was painted red in 1891. The bridge carries a railway.")
    second = Hit(doc_id="d", file_name="f.pdf", page=9, score=0.9, text="Tolls on the bridge were abolished in 1920.")
    evidence = [Evidence(1, first, None, None), Evidence(2, second, None, None)]
    answer = ExtractiveAnswerer(text_encoder).answer("When did the bridge open?", evidence)
    assert answer.citations[0].quote == "The bridge opened in 1890." and answer.citations[0].page == 3
    assert {c.page for c in answer.citations} == {3, 9}, answer.text  # page 9's quote is among the three
    assert len(answer.citations) == 3


def test_a_question_naming_a_rows_label_quotes_that_row_before_a_sentence_that_mentions_it(text_encoder):
    """A statement's row answers "total current assets"; a sentence of another page only talks about them."""
    from pagesight.core.types import Hit

    prose = Hit(doc_id="d", file_name="f.pdf", page=40, score=1.0,
                text="Total current assets rose in 2021 as cash from operations grew to 1,200 million.")
    row = Hit(doc_id="d", file_name="f.pdf", page=68, score=0.9,
              text="Total current assets | 2021: 19,815 | 2020: 19,378")
    question = "What were the total current assets at the end of 2021?"
    answer = ExtractiveAnswerer(text_encoder).answer(question, [Evidence(1, prose, None, None),
                                                                Evidence(2, row, None, None)])
    assert answer.citations[0].page == 68 and "19,815" in answer.citations[0].quote, answer.text


def test_each_item_of_a_list_is_its_own_quote_without_its_bullet():
    """A list as a text layer gives it ("•") and as OCR reads round bullets ("©", "¢", "e"): the
    introduction ends with a colon and no item with a full stop, yet every item is a quote of its own."""
    from pagesight.core.types import Hit, Page, Region
    from pagesight.generate.extractive import candidates

    lines = ["Its many remarkable features include:",
             "© Operation is similar to a multi-track tape recorder with PLAY, STOP,",
             "RECORD and LOCATE controls",
             "© Each of the 100 sequences contains 32 simultaneous, polyphonic tracks.",
             "¢ Exclusive real-time ERASE function makes editing fast",
             "e Sold by dealers in 40 countries",
             "• Weighs 9 kilograms",
             "- Ships with a manual of 120 pages",
             "the 2019 model, e.g. one of 500 made, ran on mains power."]
    region = Region(kind="text", box=(72, 90, 520, 300), text="\n".join(lines))
    page = Page(number=1, width=612, height=792, image_width=10, image_height=10, image="p.png",
                thumbnail="t.jpg", text=region.text, text_source="ocr", regions=[region])
    hit = Hit(doc_id="d", file_name="linn.pdf", page=1, score=1.0, text=region.text)
    quotes = [c.text for c in candidates(Evidence(1, hit, page, None))]
    assert quotes == ["Its many remarkable features include:",
                      "Operation is similar to a multi-track tape recorder with PLAY, STOP, RECORD and LOCATE controls",
                      "Each of the 100 sequences contains 32 simultaneous, polyphonic tracks.",
                      "Exclusive real-time ERASE function makes editing fast", "Sold by dealers in 40 countries",
                      "Weighs 9 kilograms",
                      "Ships with a manual of 120 pages the 2019 model, e.g. one of 500 made, ran on mains power."]


def test_a_row_is_quoted_with_plain_spaces_as_a_sentence_is():
    """Filings set their labels with no-break spaces ("Total\xa0current\xa0assets"); a quote shows them as
    spaces, in a table's row as in a sentence."""
    from pagesight.core.types import Hit, Page, Region
    from pagesight.generate.extractive import candidates

    text = "Total\xa0current\xa0assets | 2016: 1,001,425 | 2015: 705,563\nCash\xa0rose in 2016 as sales grew."
    page = Page(number=68, width=612, height=792, image_width=10, image_height=10, image="p.png", thumbnail="t.png",
                regions=[Region(kind="text", box=(72, 90, 520, 300), text=text)])
    hit = Hit(doc_id="d", file_name="f.pdf", page=68, score=1.0, text=text)
    assert [c.text for c in candidates(Evidence(1, hit, page, None))] == [
        "Total current assets | 2016: 1,001,425 | 2015: 705,563", "Cash rose in 2016 as sales grew."]



@pytest.fixture(scope="module")
def statement(tmp_path_factory, text_encoder):
    """A filing's page: a heading, a statement of figures in thousands by year, a paragraph."""
    from pagesight.api.pagesight import Models, PageSight
    from pagesight.index.encoders import Bm25Encoder
    from pagesight.index.profiles import Encoders
    from tests import docs
    from tests.conftest import make_settings

    folder = tmp_path_factory.mktemp("statement")
    settings = make_settings(folder / "data")
    models = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder()))
    with PageSight(settings=settings, models=models) as sight:
        sight.ingest_file(docs.statement_pdf(folder / "filing_2017.pdf"))
        answerer = ExtractiveAnswerer(text_encoder)
        yield lambda question: answerer.answer(question, sight.evidence(sight.search(question, 3)))


def test_a_measure_and_a_period_are_answered_by_the_cell_with_its_unit_first(statement):
    answer = statement("What were the total revenues in 2016?")
    first, *quotes = answer.text.splitlines()
    assert first == "Revenues, 2016: $8,830,669 thousand [1]"  # the row's cell in that year's column, as printed
    assert quotes[0] == '- "Revenues (2017: $11,692,713; 2016: $8,830,669; 2015: $6,779,511)" [1]'
    assert answer.citations[0].quote.startswith("Revenues (2017:")
    scaled = statement("What was the operating income in FY2015 (in USD millions)?").text.splitlines()[0]
    assert scaled == "Operating income, 2015: 305,826 thousand (= 305.8 million) [1]"


def test_headings_and_lone_labels_are_never_quotes_and_a_missing_figure_is_said(statement):
    for question in ("What were the financial highlights of the fourth quarter of 2017?",
                     "What were the total revenues in 2016?", "Why did revenues grow in 2017?"):
        quotes = [c.quote for c in statement(question).citations]
        assert quotes and "Fourth Quarter 2017 Financial Highlights:" not in quotes, quotes
        assert "CONSOLIDATED STATEMENTS OF OPERATIONS" not in quotes
    missing = statement("What was the research and development expense in 2016?").text.splitlines()
    assert missing[0] == NO_FIGURE and missing[1].startswith('- "')
    unnamed = statement("What was the research and development expense?").text.splitlines()
    assert unnamed[0] == NO_FIGURE_ANY and unnamed[1].startswith('- "')  # no period asked: none said
    prose = statement("Why did revenues grow in 2017?").text.splitlines()
    assert prose[0].startswith('"Revenues grew 32% in 2017, as streaming memberships rose') and prose[0].endswith("[1]")
