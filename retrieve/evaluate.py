"""Retrieval evaluation: question readers for public formats, metrics as pure functions, a runner.

Readers turn each format into `Question`s whose relevant pages are (document stem, 1-based page):
- FinanceBench (`financebench_open_source.jsonl`): `evidence[].evidence_page_num` is zero-based;
- MMLongBench-Doc (`samples.json`): `evidence_pages` is one-based; "Not answerable" is skipped;
- plain JSONL: {"question": ..., "relevant": [{"file": "report.pdf", "page": 3}, ...]}.
"""

from __future__ import annotations

import ast
import json
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pagesight.index.store import SearchFilter

__all__ = [
    "AnswerReport",
    "EvalReport",
    "Question",
    "evaluate",
    "evaluate_answers",
    "mrr",
    "ndcg_at_k",
    "read_questions",
    "recall_at_k",
]

PageKey = tuple[str, int]  # (document file stem, 1-based page)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    relevant: frozenset[PageKey]


# ---- metrics (pure) -----------------------------------------------------------------------------

def recall_at_k(ranked: Sequence[PageKey], relevant: frozenset[PageKey], k: int) -> float:
    """The share of relevant pages among the first k."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[PageKey], relevant: frozenset[PageKey], k: int) -> float:
    """Binary-relevance nDCG: sum of 1/log2(rank+1) over relevant hits, over the ideal sum."""
    gain = sum(1 / math.log2(rank + 1) for rank, key in enumerate(ranked[:k], start=1) if key in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return gain / ideal if ideal else 0.0


def mrr(ranked: Sequence[PageKey], relevant: frozenset[PageKey]) -> float:
    """1 / rank of the first relevant page, 0 when none was found."""
    for rank, key in enumerate(ranked, start=1):
        if key in relevant:
            return 1 / rank
    return 0.0


# ---- readers --------------------------------------------------------------------------------------

def _stem(name: str) -> str:
    return Path(name).stem


def read_questions(path: Path, fmt: str = "auto") -> list[Question]:
    """Questions from a FinanceBench JSONL, an MMLongBench-Doc samples.json, or a plain JSONL."""
    text = path.read_text(encoding="utf-8")
    if fmt == "auto":
        fmt = _guess_format(text)
    if fmt == "mmlongbench":
        return _mmlongbench(json.loads(text))
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return _financebench(rows) if fmt == "financebench" else _plain(rows)


def _guess_format(text: str) -> str:
    if text.lstrip().startswith("["):
        return "mmlongbench"
    first = json.loads(text.splitlines()[0])
    if "evidence" in first and "financebench_id" in first:
        return "financebench"
    if "relevant" in first:
        return "jsonl"
    raise ValueError("unknown question format: expected FinanceBench JSONL, MMLongBench-Doc JSON or plain JSONL")


def _financebench(rows: list[dict]) -> list[Question]:
    out = []
    for row in rows:
        relevant = frozenset(
            (_stem(e.get("doc_name") or row["doc_name"]), int(e["evidence_page_num"]) + 1)  # zero-based
            for e in row.get("evidence", [])
        )
        out.append(Question(str(row["financebench_id"]), row["question"], relevant))
    return out


def _mmlongbench(rows: list[dict]) -> list[Question]:
    out = []
    for i, row in enumerate(rows):
        if str(row.get("answer", "")).strip() == "Not answerable":
            continue
        pages = row["evidence_pages"]
        pages = ast.literal_eval(pages) if isinstance(pages, str) else pages  # "[4, 5]": one-based
        if not pages:
            continue
        out.append(Question(str(row.get("id", i)), row["question"],
                            frozenset((_stem(row["doc_id"]), int(p)) for p in pages)))
    return out


def _plain(rows: list[dict]) -> list[Question]:
    return [
        Question(str(row.get("id", i)), row["question"],
                 frozenset((_stem(r["file"]), int(r["page"])) for r in row["relevant"]))
        for i, row in enumerate(rows)
    ]


# ---- runner ---------------------------------------------------------------------------------------

@dataclass
class ChannelReport:
    recall: dict[int, float]
    ndcg5: float
    mrr: float
    latency_ms_p50: float
    latency_ms_p95: float


@dataclass
class EvalReport:
    questions: int
    channels: dict[str, ChannelReport] = field(default_factory=dict)  # each channel alone, and "fused"


def evaluate(retriever, questions: Sequence[Question], ks: Sequence[int] = (1, 5, 10)) -> EvalReport:
    """Every question through each channel alone and through the fused ranking."""
    depth = max(ks)
    runnable, _ = retriever.channels()
    rankings: dict[str, list[list[PageKey]]] = {c: [] for c in [*runnable, "fused"]}
    latencies: dict[str, list[float]] = {c: [] for c in rankings}
    for question in questions:
        for channel in runnable:
            started = time.perf_counter()
            hits = retriever.run_channel(channel, question.text, depth, SearchFilter())
            latencies[channel].append(1000 * (time.perf_counter() - started))
            rankings[channel].append([(_stem(h.file_name), h.page) for h in hits])
        started = time.perf_counter()
        hits = retriever.search(question.text, k=depth).hits
        latencies["fused"].append(1000 * (time.perf_counter() - started))
        rankings["fused"].append([(_stem(h.file_name), h.page) for h in hits])
    report = EvalReport(questions=len(questions))
    for channel, ranked_lists in rankings.items():
        pairs = list(zip(ranked_lists, (q.relevant for q in questions), strict=True))
        report.channels[channel] = ChannelReport(
            recall={k: _mean(recall_at_k(r, rel, k) for r, rel in pairs) for k in ks},
            ndcg5=_mean(ndcg_at_k(r, rel, 5) for r, rel in pairs),
            mrr=_mean(mrr(r, rel) for r, rel in pairs),
            latency_ms_p50=_percentile(latencies[channel], 50),
            latency_ms_p95=_percentile(latencies[channel], 95),
        )
    return report


@dataclass
class AnswerReport:
    """How often an answer's evidence comes from a gold page: among the pages the answerer read,
    in its first citation, in any of its citations."""

    questions: int
    gold_in_pages: float
    first_citation_gold: float
    any_citation_gold: float
    latency_ms_p50: float
    latency_ms_p95: float


def evaluate_answers(retriever, answerer, questions: Sequence[Question], k: int = 3) -> AnswerReport:
    """Every question retrieved (fused, top k) and answered; citations checked against the gold pages."""
    from pagesight.generate import gather_evidence

    read, first, anywhere, latencies = [], [], [], []
    for question in questions:
        started = time.perf_counter()
        evidence = gather_evidence(retriever.store, retriever.search(question.text, k=k).hits, k)
        answer = answerer.answer(question.text, evidence)
        latencies.append(1000 * (time.perf_counter() - started))
        cited = [(_stem(c.file_name), c.page) for c in answer.citations]
        read.append(any((_stem(e.hit.file_name), e.hit.page) in question.relevant for e in evidence))
        first.append(bool(cited) and cited[0] in question.relevant)
        anywhere.append(any(c in question.relevant for c in cited))
    return AnswerReport(len(questions), _mean(read), _mean(first), _mean(anywhere),
                        _percentile(latencies, 50), _percentile(latencies, 95))


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
