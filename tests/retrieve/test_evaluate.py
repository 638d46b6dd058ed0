"""Evaluation: readers with their page bases, metrics on hand-computed cases, the runner end to end."""

import json
import math

import pytest
from typer.testing import CliRunner

from pagesight.core.types import Hit, SearchResult
from pagesight.retrieve.evaluate import Question, evaluate, failures, read_questions
from pagesight.retrieve.metrics import hit_at_k, mrr, ndcg_at_k, percentile, recall_at_k
from tests import docs


def test_metrics_on_hand_computed_cases():
    ranked = [("a", 1), ("b", 2), ("a", 3), ("c", 4)]
    relevant = frozenset({("a", 3), ("c", 9)})
    assert recall_at_k(ranked, relevant, 1) == 0.0
    assert recall_at_k(ranked, relevant, 3) == 0.5
    assert mrr(ranked, relevant) == pytest.approx(1 / 3)
    # one relevant hit at rank 3 out of an ideal of two at ranks 1 and 2
    assert ndcg_at_k(ranked, relevant, 5) == pytest.approx((1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert mrr(ranked, frozenset({("z", 1)})) == 0.0
    assert ndcg_at_k([], relevant, 5) == 0.0
    assert (hit_at_k(ranked, relevant, 2), hit_at_k(ranked, relevant, 3)) == (0.0, 1.0)


def test_one_percentile_for_every_figure():
    """Nearest rank: the smallest value with at least q% of the values at or below it."""
    values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 100)) == (5, 10, 10)
    assert percentile([7], 95) == 7 and percentile([], 50) is None
    assert percentile(range(1, 101), 95) == 95


def test_the_runner_scores_each_channel_and_breaks_down_by_label():
    """A fake search whose rankings are known: recall, hit rate and the breakdown follow from them."""
    questions = [Question("a", "alpha", frozenset({("doc", 1), ("doc", 2)}), (("kind", "table"),)),
                 Question("b", "beta", frozenset({("doc", 3)}), (("kind", "text"),))]
    pages = {("alpha", "text"): [1, 5], ("alpha", "bm25"): [2, 1], ("beta", "text"): [9, 8],
             ("beta", "bm25"): [3], ("alpha", "fused"): [2, 1], ("beta", "fused"): [3]}

    def search(text, k, channels=None):
        name = channels[0] if channels and len(channels) == 1 else "fused"
        hits = [Hit(doc_id="d", file_name="doc.pdf", page=p, score=1.0) for p in pages[(text, name)]][:k]
        return SearchResult(hits=hits, channels=channels or ["text", "bm25"])

    report = evaluate(search, ["text", "bm25"], questions, ks=(1, 5), by=["kind"])
    assert set(report.channels) == {"text", "bm25", "fused"}
    text = report.channels["text"]
    assert text.recall[5] == pytest.approx((1 / 2 + 0) / 2) and text.hits[5] == 0.5
    assert report.channels["fused"].recall[1] == pytest.approx((1 / 2 + 1) / 2)
    assert report.by_label["kind"]["text"]["bm25"].recall[1] == 1.0
    assert report.by_label["kind"]["table"]["text"].hits[1] == 1.0
    (worst,) = failures(report, 1, channel="text")
    assert worst["id"] == "b" and worst["top"][0]["page"] == 9


def test_financebench_pages_are_zero_based(tmp_path):
    path = tmp_path / "fb.jsonl"
    rows = [{"financebench_id": "fb1", "doc_name": "3M_2018_10K", "question": "Capex?",
             "evidence": [{"doc_name": "3M_2018_10K", "evidence_page_num": 59}]}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    [question] = read_questions(path)
    assert (question.id, question.text, question.relevant) == ("fb1", "Capex?", frozenset({("3M_2018_10K", 60)}))


def test_mmlongbench_pages_are_one_based_and_unanswerable_ones_are_skipped(tmp_path):
    path = tmp_path / "samples.json"
    path.write_text(json.dumps([
        {"doc_id": "report.pdf", "question": "q1", "answer": "42", "evidence_pages": "[4, 5]"},
        {"doc_id": "report.pdf", "question": "q2", "answer": "Not answerable", "evidence_pages": "[]"},
    ]))
    questions = read_questions(path)
    assert [(q.text, q.relevant) for q in questions] == [("q1", frozenset({("report", 4), ("report", 5)}))]


def test_plain_jsonl_and_unknown_formats(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"question": "where?", "relevant": [{"file": "a.pdf", "page": 2}]}))
    assert read_questions(path)[0].relevant == frozenset({("a", 2)})
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"something": "else"}))
    with pytest.raises(ValueError, match="unknown question format"):
        read_questions(bad)


def test_eval_command_end_to_end(tmp_path, monkeypatch, report):
    from pagesight.api.cli import app
    from pagesight.core.settings import get_settings

    monkeypatch.setenv("PAGESIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.pdf").write_bytes(report.read_bytes())
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"question": "Where do penguins nest?", "relevant": [{"file": "report.pdf", "page": 6}]},
        {"question": "When was the submarine cable laid across the Atlantic?",
         "relevant": [{"file": "report.pdf", "page": 5}]},
    ]))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["eval", str(questions), "--docs", str(docs), "--out", str(out)])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["questions"] == 2 and set(data["channels"]) == {"text", "bm25", "fused"}
    assert data["channels"]["text"]["recall"]["1"] == 1.0
    assert data["channels"]["fused"]["recall"]["5"] == 1.0 and data["channels"]["fused"]["mrr"] == 1.0
    assert "R@5" in result.stdout


def test_unanswerable_counterparts_swap_the_company_or_move_the_years():
    from pagesight.retrieve.evaluate import unanswerable

    questions = [
        Question("a", "What is the FY2018 capital expenditure for 3M?", frozenset({("3M_2018_10K", 60)}),
                 (("company", "3M"),)),
        Question("b", "What were U.S. defense expenditures in 1940?", frozenset({("treasury_1941_01", 15)})),
        Question("c", "How many ships did the keeper count?", frozenset({("report", 1)})),
    ]
    made = {q.id: q for q in unanswerable(questions, companies=["3M", "PEPSICO", "AMD"])}
    assert set(made) == {"a-unanswerable", "b-unanswerable"}  # c names neither a company nor a year
    assert made["a-unanswerable"].text in ("What is the FY2018 capital expenditure for PEPSICO?",
                                           "What is the FY2018 capital expenditure for AMD?")
    assert made["b-unanswerable"].text == "What were U.S. defense expenditures in 1840?"
    assert all(q.relevant == frozenset() for q in made.values())
    # never a swap to a company whose documents could answer it, nor one of a question without a year
    yearless = Question("d", "What industry does 3M operate in?", frozenset({("3M_2018_10K", 3)}), (("company", "3M"),))
    made = {q.id: q for q in unanswerable([questions[0], yearless], companies=["3M", "PEPSICO", "AMD"],
                                          titles=["PEPSICO 2019 10K", "AMD 2022 10K"])}
    assert set(made) == {"a-unanswerable"}
    assert made["a-unanswerable"].text == "What is the FY2018 capital expenditure for AMD?"  # PEPSICO 2019 covers 2018


def test_eval_answers_asks_real_unanswerable_questions_of_their_own_documents(tmp_path, monkeypatch, report):
    from pagesight.api.cli import app
    from pagesight.core.settings import get_settings

    monkeypatch.setenv("PAGESIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAGESIGHT_ANSWERER", "extractive")
    get_settings.cache_clear()
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(report.read_bytes())
    docs.simple_pdf(folder / "memo.pdf", ["Memo: the lighthouse lamp needs a new wick before winter."])
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "Where do penguins nest?",
                                     "relevant": [{"file": "report.pdf", "page": 6}]}))
    # answered by the report, but asked of the memo, which says nothing of penguins
    impossible = tmp_path / "none.jsonl"
    impossible.write_text(json.dumps({"question": "Where do penguins nest?", "relevant": [], "file": "memo.pdf"}))

    def run(*extra: str) -> dict:
        out = tmp_path / "report.json"
        result = CliRunner().invoke(app, ["eval", str(questions), "--docs", str(folder), "--answers",
                                          "--unanswerable", str(impossible), "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        return json.loads(out.read_text())["answers"]

    try:
        own = run("--own-documents")
        assert own["unanswerable"] == 1 and own["abstained_unanswerable"] == 1.0
        assert own["answered"] == 1.0 and own["first_citation_gold"] == 1.0
        # over every document, the same question finds the report's answer: not declined
        assert run()["abstained_unanswerable"] == 0.0
        result = CliRunner().invoke(app, ["eval", str(questions), "--unanswerable", str(impossible)])
        assert result.exit_code != 0 and "go with --answers" in result.output
    finally:
        get_settings.cache_clear()
