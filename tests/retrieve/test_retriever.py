"""The retriever: channels per profile, fusion, grouping by page, filters inside the store's query."""

import pytest

from pagesight.api.pagesight import Models, PageSight
from pagesight.core.errors import NotFound
from pagesight.core.types import Filters
from pagesight.index.encoders import Bm25Encoder
from pagesight.index.profiles import Encoders
from tests import docs
from tests.conftest import make_settings


class Library:
    """A PageSight over the library, and the ids of its documents."""

    def __init__(self, sight: PageSight, ids: dict[str, str]):
        self.sight, self.ids = sight, ids

    def search(self, query: str, k: int = 5, filters: Filters | None = None, channels=None, **settings):
        """A search, with some settings changed for it alone."""
        sight = self.sight
        if settings:
            changed = sight.settings.model_copy(update=settings)
            sight = PageSight(settings=changed, models=sight.models, store=sight.store)
        return sight.search(query, k, filters, channels)


@pytest.fixture(scope="module")
def lite(tmp_path_factory, text_encoder, report):
    """The report (6 pages), a 12-page lighthouse log and a one-page memo, tagged apart."""
    folder = tmp_path_factory.mktemp("lib")
    settings = make_settings(folder / "data")
    log = docs.simple_pdf(folder / "log.pdf", ["Lighthouse keeper's log: the lamp was lit at dusk."], pages=12)
    memo = docs.simple_pdf(folder / "memo.pdf", ["Memo: the lighthouse lamp needs a new wick."])
    models = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder()))
    with PageSight(settings=settings, models=models) as sight:
        ids = {
            "report": sight.ingest_file(report, tags=["annual"]).doc_id,
            "log": sight.ingest_file(log, tags=["logs"]).doc_id,
            "memo": sight.ingest_file(memo, tags=["memos"]).doc_id,
        }
        yield Library(sight, ids)


def test_lite_runs_the_text_channels_and_says_what_it_skipped(lite):
    ids = lite.ids
    result = lite.search("Where do penguins nest?", k=3)
    assert result.channels == ["text", "bm25"]
    assert set(result.skipped) == {"visual", "figure"} and "lite profile" in result.skipped["visual"]
    assert (result.hits[0].doc_id, result.hits[0].page) == (ids["report"], 6)
    pages = [(h.doc_id, h.page) for h in result.hits]
    assert len(pages) == len(set(pages))  # grouped: one hit per page


def test_bm25_finds_the_rare_exact_term(lite):
    ids = lite.ids
    hits = lite.search("4217", 3, channels=["bm25"]).hits
    assert [(h.doc_id, h.page, h.channels) for h in hits] == [(ids["report"], 1, ["bm25"])]
    assert "4217" in hits[0].text
    # words the stemmer folds together still match; stopwords alone match nothing
    assert lite.search("penguin nesting", 1, channels=["bm25"]).hits[0].page == 6
    assert lite.search("the of and", 3, channels=["bm25"]).hits == []
    fused = lite.search("4217 ships", k=1).hits[0]
    assert (fused.doc_id, fused.page) == (ids["report"], 1) and set(fused.channels) == {"text", "bm25", "lead"}
    # the number is on that page alone: BM25's clear lead, a ranking of its own (the lead step)


def test_in_fused_search_bm25_ranks_the_whole_collection_or_only_the_dense_candidates(lite):
    ids = lite.ids
    query = "4217 lamp dusk"  # MiniLM hears the lamp of the log; BM25 the number of the report
    dense = {(h.doc_id, h.page) for h in lite.search(query, 3, channels=["text"]).hits}
    alone = lite.search(query, 3, channels=["bm25"]).hits
    assert (alone[0].doc_id, alone[0].page) == (ids["report"], 1) and (ids["report"], 1) not in dense
    even = {"text": 1.0, "bm25": 1.0}
    # by default, BM25's own first page comes in from outside what the text channel found
    fused = lite.search(query, k=3, fusion_depth=3, fusion_weights=even).hits
    assert (ids["report"], 1, ["bm25", "lead"]) in [(h.doc_id, h.page, h.channels) for h in fused]  # a clear lead
    # limited to the candidates, BM25 only reorders the text channel's pages
    fused = lite.search(query, k=3, fusion_depth=3, fusion_weights=even, bm25_scope="candidates").hits
    assert {(h.doc_id, h.page) for h in fused} == dense
    assert all(h.channels[:2] == ["text", "bm25"] for h in fused)  # BM25 ranked the candidates themselves


def test_a_question_naming_a_page_reads_that_page_of_the_document_it_is_about(tmp_path, text_encoder):
    settings = make_settings(tmp_path / "data")
    logbook = docs.pages_pdf(tmp_path / "logbook.pdf", [["Lighthouse keeper's log: the lamp was lit at dusk."]] * 12)
    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["Memo: the lighthouse lamp needs a new wick."])
    models = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder()))
    with PageSight(settings=settings, models=models) as sight:
        ids = {"log": sight.ingest_file(logbook).doc_id, "memo": sight.ingest_file(memo).doc_id}
        library = Library(sight, ids)
        query = "What did the keeper say about the lamp at dusk on page 7?"  # twelve pages alike: only the number tells
        # the document it is about: the one the user's filter keeps, or the one it names by its title
        for asked, filters in ((query, Filters(documents=("logbook.pdf",))),
                               ("What does the logbook say about the lamp at dusk on page 7?", None)):
            hits = library.search(asked, k=3, filters=filters).hits
            assert (hits[0].doc_id, hits[0].page) == (ids["log"], 7) and "pages" in hits[0].channels
            assert "lamp" in hits[0].text.lower()  # the page's own text, read like any hit's
            off = library.search(asked, k=3, filters=filters, pages_weight=0).hits
            assert (off[0].doc_id, off[0].page) != (ids["log"], 7)
        # of two documents, neither named nor kept by a filter, "page 7" is no page of either
        assert all("pages" not in h.channels for h in library.search(query, k=5).hits)
        # a page past the document's end is no page, and the search says so; one outside the user's page
        # range is not read either, but the document has it
        past = library.search("the logbook's lamp on page 40", k=5)
        assert all("pages" not in h.channels for h in past.hits) and past.absent == "page 40 (logbook.pdf has 12)"
        assert library.search("pages 30-45 of the logbook").absent == "pages 30-45 (logbook.pdf has 12)"
        assert library.search(query, filters=Filters(documents=("logbook.pdf",))).absent is None
        kept = library.search(query, k=5, filters=Filters(documents=("logbook.pdf",), pages=(1, 5)))
        assert kept.hits and all(h.page <= 5 and "pages" not in h.channels for h in kept.hits) and kept.absent is None
        # asked, it is not answered from the pages nearest to the words
        answer = sight.ask("What does the logbook say about the lamp on page 40?", answerer="extractive")
        assert answer.abstained and answer.citations == []
        assert answer.text == ("Not in these documents: the question asks about page 40 (logbook.pdf has 12), so "
                               "they do not answer it.")
        answer = sight.ask("Que dit le logbook sur la lampe qui est à la page 40 ?", answerer="extractive")
        assert answer.abstained and answer.text.startswith("Absent de ces documents : la question porte sur la page 40")


@pytest.mark.parametrize("labels", [False, True], ids=["printed at the foot", "PDF page labels"])
def test_a_page_named_by_the_number_it_prints_is_read(tmp_path, text_encoder, labels):
    """A report whose cover and contents go unnumbered: "page 3" is the page that prints 3, its fifth, and
    the file's third follows it (a reader of the file's own count is not left without it)."""
    settings = make_settings(tmp_path / "data")
    lines = [["Harbour report: cover"], ["Contents: the lamp, the pier, the dues"]] + \
        [[f"The keeper's notes on the lamp, part {n}."] for n in range(1, 9)]
    report = docs.numbered_pdf(tmp_path / "harbour_report.pdf", lines, unnumbered=2, labels=labels)
    models = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder()))
    with PageSight(settings=settings, models=models) as sight:
        sight.ingest_file(report)
        hits = sight.search("What do the keeper's notes on the lamp say on page 3?", k=3).hits
        assert [h.page for h in hits[:2]] == [5, 3] and all("pages" in h.channels for h in hits[:2])
        assert "part 3" in hits[0].text
        past = sight.search("the keeper's notes on the lamp on page 12", k=3).absent
        assert past == "page 12 (harbour_report.pdf has 10)"


def test_the_first_hits_do_not_depend_on_how_many_are_asked_for(lite):
    # each channel hands the fusion fusion_depth pages whatever k is (up to that depth)
    for query in ("Where do penguins nest?", "lighthouse lamp", "4217 ships"):
        ten = [(h.doc_id, h.page, h.score) for h in lite.search(query, k=10, fusion_depth=10).hits]
        assert [(h.doc_id, h.page, h.score) for h in lite.search(query, k=3, fusion_depth=10).hits] == ten[:3]


def test_filters_apply_inside_the_query_not_after_it(lite):
    ids = lite.ids
    # Unfiltered, the twelve log pages crowd the top; filtered, the memo's page is still found,
    # which a filter applied to the top-k afterwards would have lost.
    top = lite.search("lighthouse lamp lit at dusk", k=3).hits
    assert {h.doc_id for h in top} == {ids["log"]}
    memo = lite.search("lighthouse lamp lit at dusk", k=3, filters=Filters(tags=("memos",))).hits
    assert [(h.doc_id, h.page) for h in memo] == [(ids["memo"], 1)]
    for ref in (ids["memo"], ids["memo"][:12], "memo.pdf"):  # an id, the prefix ingest prints, a file name
        by_ref = lite.search("lighthouse lamp", k=3, filters=Filters(documents=(ref,))).hits
        assert [(h.doc_id, h.page) for h in by_ref] == [(ids["memo"], 1)]
    with pytest.raises(NotFound, match="no document matches 'nope'"):
        lite.search("lighthouse lamp", filters=Filters(documents=("nope",)))



def test_filtered_searches_read_the_document_list_once_not_each_time(lite, monkeypatch, tmp_path):
    # Every filter by tag or document needs the document list; listing thousands of documents costs more
    # than the search itself, so searches share one listing until this process writes.
    store, ids = lite.sight.store, lite.ids
    listed, original = [], type(store).documents

    def counted(self, tags=None):
        listed.append(tags)
        return original(self, tags)

    monkeypatch.setattr(type(store), "documents", counted)
    store.catalog(fresh=True)
    listed.clear()
    for _ in range(3):
        memo = lite.search("lighthouse lamp", k=3, filters=Filters(tags=("memos",))).hits
        assert [(h.doc_id, h.page) for h in memo] == [(ids["memo"], 1)]
        by_name = lite.search("lighthouse lamp", k=3, filters=Filters(documents=("memo.pdf",))).hits
        assert by_name[0].doc_id == ids["memo"]
    assert len(listed) <= 1
    # A document this process writes is in the next search's list.
    note = docs.simple_pdf(tmp_path / "note.pdf", ["Note: the lighthouse lamp wick was replaced."])
    added = lite.sight.ingest_file(note, tags=["memos"]).doc_id
    try:
        found = lite.search("lighthouse lamp wick replaced", k=3, filters=Filters(tags=("memos",))).hits
        assert {h.doc_id for h in found} == {ids["memo"], added}
    finally:
        lite.sight.delete(added)
    assert lite.search("lighthouse lamp", k=3, filters=Filters(tags=("memos",))).hits[0].doc_id == ids["memo"]

def test_page_range_and_file_glob(lite):
    ids = lite.ids
    hits = lite.search("Where do penguins nest?", k=5, filters=Filters(pages=(1, 3))).hits
    assert hits and all(1 <= h.page <= 3 for h in hits)
    assert lite.search("lamp", k=20, filters=Filters(pages=(11, None))).hits[0].page >= 11
    memo_only = lite.search("lighthouse", k=5, filters=Filters(file="memo*.pdf")).hits
    assert {h.doc_id for h in memo_only} == {ids["memo"]}
    assert lite.search("lighthouse", k=5, filters=Filters(file="nothing-*.pdf")).hits == []


def test_the_tiny_profile_runs_every_channel_and_fuses_them(tmp_path, report):
    settings = make_settings(tmp_path / "data", profile="tiny", device="cpu", max_visual_tokens=128)
    with PageSight(settings=settings) as sight:
        sight.ingest_file(report)
        result = sight.search("the bar chart of ships per quarter", k=6)
    assert result.channels == ["visual", "figure", "text", "bm25"] and result.skipped == {}
    assert len(result.hits) == 6  # all six pages, once each
    assert {h.page for h in result.hits} == {1, 2, 3, 4, 5, 6}
    assert all({"visual", "figure", "text"} <= set(h.channels) for h in result.hits)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    # fused RRF scores: the dense channels find every page, weights 1 + 0.5 + 1 over (60 + rank);
    # BM25 (1.0) finds only pages sharing a word with the query, and its clear lead (1.0) its first page
    assert scores[0] <= 4.5 / 61 + 1e-9 and scores[-1] >= 2.5 / 66 - 1e-9


def test_a_figure_with_only_its_caption_is_found_by_the_caption(lite):
    """The lite profile has no image channel: a photo whose page says nothing but its caption is found by
    the caption's words, and the hit points at the caption's block, above the photo."""
    hit = lite.search("a picture of the head office at sunrise", k=1).hits[0]
    assert (hit.doc_id, hit.page) == (lite.ids["report"], 3)
    assert "headquarters at dawn" in hit.text
    assert hit.region is not None and hit.region.box[3] <= docs.PHOTO_RECT[1]


def test_a_table_row_is_found_by_its_column_header(lite):
    """"Harbour" is a row of the revenue table and a word of the photo's caption: asked with the table's
    column header, the row is found, and read with its header."""
    hit = lite.search("Harbour revenue", k=1).hits[0]
    assert (hit.doc_id, hit.page) == (lite.ids["report"], 2)
    assert "Harbour | Revenue: 5600" in hit.text
