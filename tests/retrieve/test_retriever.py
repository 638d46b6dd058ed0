"""The retriever: channels per profile, fusion, grouping by page, filters inside the store's query."""

import pytest

from pagesight.index import load_encoders, open_store
from pagesight.index.encoders import Bm25Encoder
from pagesight.index.profiles import Encoders
from pagesight.index.store import SearchFilter
from pagesight.ingest.pipeline import Ingestor
from pagesight.retrieve import Retriever
from tests import docs
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def lite(tmp_path_factory, text_encoder, report):
    """The report (6 pages), a 12-page lighthouse log and a one-page memo, tagged apart."""
    folder = tmp_path_factory.mktemp("lib")
    settings = make_settings(folder / "data")
    log = docs.simple_pdf(folder / "log.pdf", ["Lighthouse keeper's log: the lamp was lit at dusk."], pages=12)
    memo = docs.simple_pdf(folder / "memo.pdf", ["Memo: the lighthouse lamp needs a new wick."])
    store = open_store(settings)
    encoders = Encoders("lite", text=text_encoder, sparse=Bm25Encoder())
    with Ingestor(store, encoders, settings) as ingestor:
        ids = {
            "report": ingestor.ingest_file(report, tags=["annual"]).doc_id,
            "log": ingestor.ingest_file(log, tags=["logs"]).doc_id,
            "memo": ingestor.ingest_file(memo, tags=["memos"]).doc_id,
        }
    yield Retriever(store, encoders, settings), ids
    store.close()


def test_lite_runs_the_text_channels_and_says_what_it_skipped(lite):
    retriever, ids = lite
    result = retriever.search("Where do penguins nest?", k=3)
    assert result.channels == ["text", "bm25"]
    assert set(result.skipped) == {"visual", "figure"} and "lite profile" in result.skipped["visual"]
    assert (result.hits[0].doc_id, result.hits[0].page) == (ids["report"], 6)
    pages = [(h.doc_id, h.page) for h in result.hits]
    assert len(pages) == len(set(pages))  # grouped: one hit per page


def test_bm25_finds_the_rare_exact_term(lite):
    retriever, ids = lite
    bm25 = retriever.encoders.sparse
    hits = retriever.store.search_sparse(bm25.encode_query("4217"), limit=3)
    assert [(h.doc_id, h.page, h.channels) for h in hits] == [(ids["report"], 1, ["bm25"])]
    assert "4217" in hits[0].text
    # words the stemmer folds together still match; stopwords alone match nothing
    assert retriever.store.search_sparse(bm25.encode_query("penguin nesting"), limit=1)[0].page == 6
    assert retriever.store.search_sparse(bm25.encode_query("the of and"), limit=3) == []
    fused = retriever.search("4217 ships", k=1).hits[0]
    assert (fused.doc_id, fused.page) == (ids["report"], 1) and set(fused.channels) == {"text", "bm25"}


def test_in_fused_search_bm25_ranks_only_the_dense_candidates(lite):
    retriever, ids = lite
    query = "4217 lamp dusk"  # MiniLM hears the lamp of the log; BM25 the number of the report
    dense = {(h.doc_id, h.page) for h in retriever.run_channel("text", query, 3, SearchFilter())}
    alone = retriever.run_channel("bm25", query, 3, SearchFilter())
    assert (alone[0].doc_id, alone[0].page) == (ids["report"], 1) and (ids["report"], 1) not in dense
    even = {"text": 1.0, "bm25": 1.0}
    scoped = retriever.settings.model_copy(update={"fusion_depth": 3, "fusion_weights": even})
    fused = Retriever(retriever.store, retriever.encoders, scoped).search(query, k=3).hits
    assert {(h.doc_id, h.page) for h in fused} == dense
    assert all(h.channels == ["text", "bm25"] for h in fused)  # BM25 ranked the candidates themselves
    # over the whole collection, BM25's own first page comes in from outside the candidates
    wide = scoped.model_copy(update={"bm25_scope": "collection"})
    fused = Retriever(retriever.store, retriever.encoders, wide).search(query, k=3).hits
    assert (ids["report"], 1, ["bm25"]) in [(h.doc_id, h.page, h.channels) for h in fused]


def test_the_first_hits_do_not_depend_on_how_many_are_asked_for(lite):
    lite_retriever, _ = lite
    # each channel hands the fusion fusion_depth pages whatever k is (up to that depth)
    settings = lite_retriever.settings.model_copy(update={"fusion_depth": 10})
    retriever = Retriever(lite_retriever.store, lite_retriever.encoders, settings)
    for query in ("Where do penguins nest?", "lighthouse lamp", "4217 ships"):
        ten = [(h.doc_id, h.page, h.score) for h in retriever.search(query, k=10).hits]
        assert [(h.doc_id, h.page, h.score) for h in retriever.search(query, k=3).hits] == ten[:3]


def test_filters_apply_inside_the_query_not_after_it(lite):
    retriever, ids = lite
    # Unfiltered, the twelve log pages crowd the top; filtered, the memo's page is still found,
    # which a filter applied to the top-k afterwards would have lost.
    top = retriever.search("lighthouse lamp lit at dusk", k=3).hits
    assert {h.doc_id for h in top} == {ids["log"]}
    memo = retriever.search("lighthouse lamp lit at dusk", k=3, flt=SearchFilter(tags=("memos",))).hits
    assert [(h.doc_id, h.page) for h in memo] == [(ids["memo"], 1)]
    by_id = retriever.search("lighthouse lamp", k=3, flt=SearchFilter(doc_ids=(ids["memo"],))).hits
    assert [(h.doc_id, h.page) for h in by_id] == [(ids["memo"], 1)]


def test_page_range_and_file_glob(lite):
    retriever, ids = lite
    hits = retriever.search("Where do penguins nest?", k=5, flt=SearchFilter(pages=(1, 3))).hits
    assert hits and all(1 <= h.page <= 3 for h in hits)
    assert retriever.search("lamp", k=20, flt=SearchFilter(pages=(11, None))).hits[0].page >= 11
    memo_only = retriever.search("lighthouse", k=5, file_glob="memo*.pdf").hits
    assert {h.doc_id for h in memo_only} == {ids["memo"]}
    assert retriever.search("lighthouse", k=5, file_glob="nothing-*.pdf").hits == []


def test_the_tiny_profile_runs_every_channel_and_fuses_them(tmp_path, report):
    settings = make_settings(tmp_path / "data", profile="tiny", device="cpu", max_visual_tokens=128)
    encoders = load_encoders(settings)
    with open_store(settings) as store:
        with Ingestor(store, encoders, settings) as ingestor:
            ingestor.ingest_file(report)
        result = Retriever(store, encoders, settings).search("the bar chart of ships per quarter", k=6)
    assert result.channels == ["visual", "figure", "text", "bm25"] and result.skipped == {}
    assert len(result.hits) == 6  # all six pages, once each
    assert {h.page for h in result.hits} == {1, 2, 3, 4, 5, 6}
    assert all({"visual", "figure", "text"} <= set(h.channels) for h in result.hits)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    # fused RRF scores: the dense channels find every page, weights 1 + 0.5 + 1 over (60 + rank);
    # BM25 (0.25) finds only pages sharing a word with the query
    assert scores[0] <= 2.75 / 61 + 1e-9 and scores[-1] >= 2.5 / 66 - 1e-9
