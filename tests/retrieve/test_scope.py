"""The documents a question names by their titles (retrieve/scope.py), and the retriever's second search
within them."""

import pytest

from pagesight.api.pagesight import Models, PageSight
from pagesight.core.types import Filters
from pagesight.index.encoders import Bm25Encoder
from pagesight.index.layout import SearchFilter
from pagesight.index.profiles import Encoders
from pagesight.retrieve.scope import Titles, named_documents, question_years
from tests import docs
from tests.conftest import make_settings

FILINGS = {f"{company}-{year}": f"{company} {year} 10K" for company in
           ("3M", "AMCOR", "ACTIVISIONBLIZZARD", "PEPSICO", "BOEING") for year in (2018, 2019, 2022)}
BULLETINS = {f"b{year}{month}": f"treasury bulletin {year} {month}" for year in (1939, 1940, 1941)
             for month in ("01", "06")}


def test_years_as_questions_write_them():
    assert question_years("capex in FY2018 and FY19, CY 2020, and in 1940?") == {2018, 2019, 2020, 1940}
    assert question_years("$2019.5 million, 12,2019 units, 120190") == set()  # figures, not years


def test_a_company_and_a_year_name_one_filing():
    assert named_documents("What is the FY2018 capital expenditure for 3M?", FILINGS) == ("3M-2018",)
    assert named_documents("What was Activision Blizzard's revenue in FY2022?", FILINGS) == (
        "ACTIVISIONBLIZZARD-2022",)  # two words of the question written together in the title
    # a company alone: all its filings; a year no filing of it has: all of them still
    assert named_documents("Does Amcor pay a dividend?", FILINGS) == ("AMCOR-2018", "AMCOR-2019", "AMCOR-2022")
    assert named_documents("PepsiCo revenue in 2031?", FILINGS) == ("PEPSICO-2018", "PEPSICO-2019", "PEPSICO-2022")


def test_a_quarter_named_is_that_quarters_report_when_titles_carry_quarters():
    filings = FILINGS | {"AMCOR-2023": "AMCOR 2023 10K", "AMCOR-2023Q2": "AMCOR 2023Q2 10Q",
                         "AMCOR-2023Q4": "AMCOR 2023Q4 EARNINGS"}
    assert named_documents("What is AMCOR's restructuring liability as of Q2 of FY2023?", filings) == ("AMCOR-2023Q2",)
    assert named_documents("AMCOR sales in the fourth quarter of 2023?", filings) == ("AMCOR-2023Q4",)
    assert named_documents("AMCOR's drop in Q22023 revenues?", filings) == ("AMCOR-2023Q2",)
    # no title of the period carries the quarter: the period's documents, as before
    assert named_documents("AMCOR in Q3 2023?", filings) == ("AMCOR-2023", "AMCOR-2023Q2", "AMCOR-2023Q4")
    assert named_documents("Receipts in the second quarter of 1940?", BULLETINS) == ("b194001", "b194006")


def test_words_every_title_shares_name_nothing_but_a_year_does():
    assert named_documents("What does the Treasury Bulletin say about gold?", BULLETINS) is None
    assert named_documents("Total receipts in the calendar year 1940?", BULLETINS) == ("b194001", "b194006")
    assert named_documents("Total receipts of 10K filings?", FILINGS) is None  # "10K" is in every title


def test_the_words_a_question_is_made_of_name_nothing():
    site = {"a": "what we do", "b": "pricing 2024", "c": "how it works", "d": "team"}
    assert named_documents("What do we charge: how does pricing work?", site) == ("b",)
    assert named_documents("What do we do and how?", site) is None


def test_nothing_named_or_everything_named_is_no_scope():
    assert named_documents("What were the capital expenditures?", FILINGS) is None
    assert named_documents("the 3M filing", {"a": "3M 2018 10K"}) is None  # one document: nothing to narrow
    two = {"a": "alpha report", "b": "beta report"}
    assert named_documents("alpha and beta", two) is None
    assert named_documents("the report on alpha", two) == ("a",)


@pytest.fixture(scope="module")
def filings(tmp_path_factory, text_encoder):
    """Two companies' filings of one year: Globex's page compares its capital expenditures with Acme's in
    so many words; Acme's own page says it as its cash-flow line does."""
    folder = tmp_path_factory.mktemp("filings")
    acme = docs.pages_pdf(folder / "ACME_2019_10K.pdf", [
        ["Acme Corporation annual report."],
        ["Cash flows from investing activities: purchases of property, plant and equipment $412 million."]])
    globex = docs.pages_pdf(folder / "GLOBEX_2019_10K.pdf", [
        ["Globex annual report."],
        ["Capital expenditures of Acme and of Globex in 2019: what were the capital expenditures of each?"]])
    settings = make_settings(folder / "data")
    models = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder()))
    with PageSight(settings=settings, models=models) as sight:
        ids = {"acme": sight.ingest_file(acme).doc_id, "globex": sight.ingest_file(globex).doc_id}
        yield sight, ids


def search(sight: PageSight, query: str, **settings):
    changed = PageSight(settings=sight.settings.model_copy(update=settings), models=sight.models, store=sight.store)
    return [(h.doc_id, h.page) for h in changed.search(query, 4).hits]


def test_the_named_filing_answers_before_a_closer_wording_elsewhere(filings):
    sight, ids = filings
    query = "What were the capital expenditures of Acme in FY2019?"
    # over the whole collection alone, the page that repeats the question's words wins
    assert search(sight, query, named_weight=0)[0] == (ids["globex"], 2)
    # searched again within the filing the question names, Acme's cash-flow page comes first
    hits = search(sight, query)
    assert hits[0] == (ids["acme"], 2)
    assert (ids["globex"], 2) in hits[:3]  # the other filing is not shut out


def test_a_question_naming_no_document_ranks_as_before(filings):
    sight, _ = filings
    query = "How large were the capital expenditures?"
    assert search(sight, query) == search(sight, query, named_weight=0)


def test_the_titles_a_search_reads_follow_what_is_written(filings, tmp_path):
    """Searches read the documents' names from a copy kept between them: a document written or deleted
    by this process is seen by the next search."""
    sight, ids = filings
    before = sight.store.file_names()
    assert set(before) == {ids["acme"], ids["globex"]}
    initech = docs.pages_pdf(tmp_path / "INITECH_2019_10K.pdf", [["Initech annual report."],
                                                                 ["Purchases of property and equipment $7 million."]])
    added = sight.ingest_file(initech).doc_id
    try:
        assert sight.store.file_names()[added] == "INITECH_2019_10K.pdf"
        named = sight.retriever().named("What were the capital expenditures of Initech in FY2019?", SearchFilter())
        assert named == (added,)
    finally:
        sight.delete(added)
    assert set(sight.store.file_names()) == set(before)


@pytest.fixture(scope="module")
def statements(tmp_path_factory, text_encoder):
    """One company's filing: a discussion page that says what the question asks in its words, and the
    statement of cash flows, headed as filings head it, that holds the figure as a line."""
    folder = tmp_path_factory.mktemp("statements")
    acme = docs.pages_pdf(folder / "ACME_2020_10K.pdf", [
        ["Acme Corporation annual report for fiscal 2020."],
        ["Liquidity and capital resources", "", "", "", "", "", "",
         "Cash flow activities. The following table, from the cash flow statement, shows how much",
         "cash Acme generated from operations in fiscal 2020 and 2019:",
         "Net cash provided by operating activities 381,603 465,699"],
        ["ACME CORPORATION", "CONSOLIDATED STATEMENTS OF CASH FLOWS", "(In thousands)", "", "", "", "",
         "Net income 210,400 198,700", "Depreciation and amortization 84,212 75,598",
         "Share-based compensation 297,863 215,671", "Deferred income taxes (1,212) (9,230)",
         "Net cash provided by operating activities 381,603 465,699",
         "Purchases of property and equipment (120,100) (98,250)",
         "Proceeds from issuance of senior notes 2,000,000 0",
         "Net cash used in financing activities (12,400) (8,100)"],
        ["ACME CORPORATION", "CONSOLIDATED BALANCE SHEETS", "(In thousands)", "", "", "", "",
         "Total assets 5,012,330 4,800,120"]])
    globex = docs.pages_pdf(folder / "GLOBEX_2020_10K.pdf", [
        ["Globex annual report."], ["GLOBEX INC.", "CONSOLIDATED STATEMENTS OF CASH FLOWS",
                                    "Net cash provided by operating activities 77,000 65,000"]])
    settings = make_settings(folder / "data")
    models = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder()))
    with PageSight(settings=settings, models=models) as sight:
        yield sight, {"acme": sight.ingest_file(acme).doc_id, "globex": sight.ingest_file(globex).doc_id}


def test_a_question_naming_a_statement_reads_that_statement_of_the_named_filing(statements):
    sight, ids = statements
    query = "Using the cash flow statement, how much cash did Acme generate from operations in FY2020?"
    # without the statement's heading, the page that discusses it in the question's words comes first
    assert search(sight, query, heading_weight=0)[0] == (ids["acme"], 2)
    hits = search(sight, query)
    assert hits[0] == (ids["acme"], 3)  # the statement of cash flows of the filing named
    assert (ids["globex"], 2) not in hits[:1] and (ids["acme"], 4) != hits[0]
    # a question naming no statement ranks as before
    plain = "How much cash did Acme generate from operations in FY2020?"
    assert search(sight, plain) == search(sight, plain, heading_weight=0)


def test_a_question_naming_a_statement_and_no_document_reads_the_statement_of_the_document_found(statements):
    """A collection of one filing (here: a search within Acme's) names no document: the statement read is
    that of the document whose page the search ranks first."""
    sight, ids = statements
    query = "Using the cash flow statement, how much cash was generated from operations in fiscal 2020?"
    only_acme = Filters(documents=[ids["acme"]])
    assert sight.retriever().named(query, sight.retriever().resolve(only_acme)) is None

    def hits(**settings):
        changed = PageSight(settings=sight.settings.model_copy(update=settings), models=sight.models, store=sight.store)
        return [(h.doc_id, h.page) for h in changed.search(query, 4, filters=only_acme).hits]

    assert hits(heading_weight=0)[0] == (ids["acme"], 2)
    assert hits()[0] == (ids["acme"], 3)


def test_titles_are_read_once_for_each_document_list_and_a_filter_narrows_them(filings):
    # Reading every title for every question grew with the collection (6 ms a search at 1,300 documents):
    # the titles are indexed once for each document list the searches share.
    sight, ids = filings
    retriever = sight.retriever()
    catalog = sight.store.catalog(fresh=True)
    assert retriever.named("What were Acme's capital expenditures in 2019?", SearchFilter()) == (ids["acme"],)
    indexed = catalog.kept["titles"]
    assert isinstance(indexed, Titles) and set(indexed.titles) == set(ids.values())
    assert retriever.named("What were Globex's capital expenditures?", SearchFilter()) == (ids["globex"],)
    assert sight.store.catalog() is catalog and catalog.kept["titles"] is indexed  # not read again
    # Within a filter, only the documents it keeps can be named (and one alone narrows nothing).
    assert retriever.named("Acme's capital expenditures in 2019", SearchFilter(doc_ids=(ids["globex"],))) is None


def test_the_title_index_names_what_the_titles_name():
    titles = {"a": "3M 2018 10K", "b": "3M 2019 10K", "c": "Pepsico 2019 10K", "d": "Pepsico 2022Q2 10Q",
              "e": "Treasury Bulletin 1940"}
    for question in ("What was 3M's revenue in FY2019?", "Pepsico's second quarter of 2022", "In 1940, what?",
                     "What about 10K filings?", "3M and Pepsico in 2019"):
        assert named_documents(question, Titles(titles)) == named_documents(question, dict(titles))
    # "3M" is on two of the five titles, more than a quarter of them: no subject; the year names both 2019 filings.
    assert named_documents("What was 3M's revenue in FY2019?", Titles(titles)) == ("b", "c")
    assert named_documents("In 1940, what?", Titles(titles)) == ("e",)
