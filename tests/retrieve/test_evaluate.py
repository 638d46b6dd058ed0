"""Evaluation: readers with their page bases, metrics on hand-computed cases, the runner end to end."""

import json
import math

import pytest
from typer.testing import CliRunner

from pagesight.retrieve.evaluate import mrr, ndcg_at_k, read_questions, recall_at_k


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
