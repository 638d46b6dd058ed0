"""Evaluation on a question set: readers for public formats, and runners that ask a search (or an
answerer) every question and score the pages it returns against the gold pages.

Readers turn each format into `Question`s whose relevant pages are (document stem, 1-based page):
- FinanceBench (`financebench_open_source.jsonl`): `evidence[].evidence_page_num` is zero-based;
- MMLongBench-Doc (`samples.json`): `evidence_pages` is one-based; "Not answerable" is skipped;
- plain JSONL: {"question": ..., "relevant": [{"file": "report.pdf", "page": 3}, ...]}; a question the
  documents do not answer has no relevant page and may name the document it is asked of (`"file"`).
Short scalar fields of a question (`evidence_type`, `question_type`, `difficulty`...) are kept as
labels, to break the figures down by.

The runners take the search (or ask) function of any backend, local or a server's client.
"""

from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core.types import Answer, SearchResult
from .metrics import hit_at_k, mean, mrr, ndcg_at_k, percentile, recall_at_k

__all__ = ["AnswerReport", "ChannelReport", "EvalReport", "Question", "evaluate", "evaluate_answers", "failures",
           "read_questions", "unanswerable"]

PageKey = tuple[str, int]  # (document file stem, 1-based page)
FUSED = "fused"
_NOT_LABELS = {"id", "question", "answer", "relevant", "evidence", "justification", "financebench_id",
               "evidence_pages", "evidence_sources", "doc_id", "doc_type"}


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    relevant: frozenset[PageKey]
    labels: tuple[tuple[str, str], ...] = ()  # (field, value), for breakdowns
    documents: tuple[str, ...] = ()  # the files it is about (plain JSONL: its gold pages' files, its "file")

    def label(self, name: str) -> str | None:
        return dict(self.labels).get(name)


# ---- readers --------------------------------------------------------------------------------------

def _stem(name: str) -> str:
    return Path(name).stem


def _labels(row: dict) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in row.items()
                        if k not in _NOT_LABELS and isinstance(v, str | bool | int) and len(str(v)) <= 40))


def read_questions(path: Path, fmt: str = "auto") -> list[Question]:
    """Questions from a FinanceBench JSONL, an MMLongBench-Doc samples.json, or a plain JSONL."""
    text = path.read_text(encoding="utf-8")
    if fmt == "auto":
        fmt = _guess_format(text)
    if fmt == "mmlongbench":
        return _mmlongbench(json.loads(text))
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    if fmt not in ("financebench", "jsonl"):
        raise ValueError(f"unknown question format {fmt!r}: use financebench, mmlongbench or jsonl")
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
        files = [f"{stem}.pdf" for stem in dict.fromkeys(stem for stem, _ in sorted(relevant))]
        out.append(Question(str(row["financebench_id"]), row["question"], relevant, _labels(row), tuple(files)))
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
                            frozenset((_stem(row["doc_id"]), int(p)) for p in pages), _labels(row)))
    return out


def _plain(rows: list[dict]) -> list[Question]:
    out = []
    for i, row in enumerate(rows):
        files = [r["file"] for r in row["relevant"]] + ([row["file"]] if row.get("file") else [])
        out.append(Question(str(row.get("id", i)), row["question"],
                            frozenset((_stem(r["file"]), int(r["page"])) for r in row["relevant"]), _labels(row),
                            tuple(dict.fromkeys(files))))
    return out


# ---- retrieval ------------------------------------------------------------------------------------

@dataclass
class ChannelReport:
    recall: dict[int, float]  # share of the gold pages in the top k
    hits: dict[int, float]  # share of questions with any gold page in the top k
    ndcg5: float
    mrr: float
    latency_ms_p50: float | None
    latency_ms_p95: float | None


@dataclass
class EvalReport:
    questions: int
    channels: dict[str, ChannelReport] = field(default_factory=dict)  # each channel alone, and "fused"
    by_label: dict[str, dict[str, dict[str, ChannelReport]]] = field(default_factory=dict)  # field -> value -> channel
    per_question: list[dict] = field(default_factory=list)  # id, text, gold pages, each channel's ranking


def _report(rankings: list[list[PageKey]], questions: Sequence[Question], latencies: list[float],
            ks: Sequence[int]) -> ChannelReport:
    pairs = list(zip(rankings, (q.relevant for q in questions), strict=True))
    return ChannelReport(
        recall={k: mean(recall_at_k(r, rel, k) for r, rel in pairs) for k in ks},
        hits={k: mean(hit_at_k(r, rel, k) for r, rel in pairs) for k in ks},
        ndcg5=mean(ndcg_at_k(r, rel, 5) for r, rel in pairs),
        mrr=mean(mrr(r, rel) for r, rel in pairs),
        latency_ms_p50=percentile((1000 * s for s in latencies), 50),
        latency_ms_p95=percentile((1000 * s for s in latencies), 95),
    )


def evaluate(search: Callable[..., SearchResult], channels: Sequence[str], questions: Sequence[Question],
             ks: Sequence[int] = (1, 5, 10), by: Sequence[str] = ()) -> EvalReport:
    """Every question through each channel alone and through the fused ranking (when there is more
    than one channel). `search(text, k, channels=...)` is any backend's search."""
    depth = max(ks)
    names = [*channels, FUSED] if len(channels) > 1 else list(channels)
    rankings: dict[str, list[list[PageKey]]] = {c: [] for c in names}
    latencies: dict[str, list[float]] = {c: [] for c in names}
    report = EvalReport(questions=len(questions))
    for question in questions:
        row = {"id": question.id, "question": question.text, "labels": dict(question.labels),
               "gold": sorted([f, p] for f, p in question.relevant), "rankings": {}}
        for channel in names:
            started = time.perf_counter()
            result = search(question.text, depth, channels=list(channels) if channel == FUSED else [channel])
            latencies[channel].append(time.perf_counter() - started)
            ranked = [(_stem(h.file_name), h.page) for h in result.hits]
            rankings[channel].append(ranked)
            row["rankings"][channel] = [{"file": h.file_name, "page": h.page, "score": h.score,
                                         "gold": (_stem(h.file_name), h.page) in question.relevant,
                                         "text": " ".join(h.text.split())[:300]} for h in result.hits]
        report.per_question.append(row)
    for channel in names:
        report.channels[channel] = _report(rankings[channel], questions, latencies[channel], ks)
    for label in by:
        values = sorted({q.label(label) for q in questions if q.label(label) is not None})
        report.by_label[label] = {}
        for value in values:
            chosen = [i for i, q in enumerate(questions) if q.label(label) == value]
            report.by_label[label][value] = {
                c: _report([rankings[c][i] for i in chosen], [questions[i] for i in chosen],
                           [latencies[c][i] for i in chosen], ks) for c in names}
    return report


def failures(report: EvalReport, n: int, channel: str = FUSED, k: int = 10) -> list[dict]:
    """The n questions the channel did worst on (no gold page in its top k first, then by nDCG@k)."""
    scored = []
    for row in report.per_question:
        ranking = row["rankings"].get(channel) or next(iter(row["rankings"].values()), [])
        gold = {tuple(g) for g in row["gold"]}
        ranked = [(_stem(h["file"]), h["page"]) for h in ranking]
        scored.append((ndcg_at_k(ranked, frozenset(gold), k), row["id"], row, ranking[:3]))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [{"id": i, "question": row["question"], "gold": row["gold"], "ndcg": score, "top": top}
            for score, i, row, top in scored[:n]]


# ---- answers --------------------------------------------------------------------------------------

@dataclass
class AnswerReport:
    """How often an answer's evidence comes from a gold page: among the pages the answerer read, in its
    first citation, in any of its citations; how often it answered (did not abstain), and, asked the
    unanswerable counterparts of the questions, how often it said the documents do not answer."""

    questions: int
    gold_in_pages: float
    first_citation_gold: float
    any_citation_gold: float
    answered: float  # answerable questions not abstained on
    latency_ms_p50: float | None
    latency_ms_p95: float | None
    unanswerable: int = 0
    abstained_unanswerable: float | None = None
    per_question: list[dict] = field(default_factory=list)


def _covers(document_years: set[int], asked: set[int]) -> bool:
    return any(y - 2 <= a <= y + 1 for y in document_years for a in asked)


def unanswerable(questions: Sequence[Question], companies: Sequence[str] = (),
                 titles: Sequence[str] = ()) -> list[Question]:
    """A question the documents cannot answer for each one that names a year: the company swapped for
    another of `companies` when the question names its company, else every year moved a century back
    (which no document of these sets covers). A swap only goes to a company none of whose documents
    could speak of those years: none of the question's gold files, nor of the collection's `titles`
    (a title year Y counts for Y-2..Y+1: a filing shows three years and looks one ahead). A question
    naming no year is left out: with its company swapped it may well be answerable ("What industry
    does Pfizer operate in?" of a collection holding Pfizer's filings)."""
    out = []
    years_of: dict[str, set[int]] = {}
    for q in questions:
        company = q.label("company") or ""
        found = re.findall(r"(?:19|20)\d\d", " ".join(f for f, _ in q.relevant))
        years_of.setdefault(company.lower(), set()).update(int(y) for y in found)
    for title in titles:
        words = title.split()
        if words:
            years_of.setdefault(words[0].lower(), set()).update(int(y) for y in re.findall(r"(?:19|20)\d\d", title))
    for q in questions:
        asked_years = {int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", q.text)}
        asked_years |= {2000 + int(y) for y in re.findall(r"\b(?:FY|CY)\s?'?(\d\d)\b", q.text, re.IGNORECASE)}
        if not asked_years:
            continue
        company = q.label("company")

        others = [c for c in companies if c and c.lower() != (company or "").lower()
                  and not _covers(years_of.get(c.lower(), set()), asked_years)]
        if company and company.lower() in q.text.lower() and others:
            swapped = others[sum(map(ord, q.id)) % len(others)]  # the same swap every run
            text = re.sub(re.escape(company), swapped, q.text, flags=re.IGNORECASE)
        else:
            text = re.sub(r"(?<!\d)((?:19|20)\d\d)(?!\d)", lambda m: str(int(m.group(1)) - 100), q.text)
            text = re.sub(r"\b(FY|CY)(\s?'?)(\d\d)\b", lambda m: f"{m.group(1)}{int(m.group(3)) + 1900 - 100}", text,
                          flags=re.IGNORECASE)
        out.append(Question(f"{q.id}-unanswerable", text, frozenset(), q.labels))
    return out


def evaluate_answers(ask: Callable[[str, tuple[str, ...] | None], Answer], questions: Sequence[Question],
                     impossible: Sequence[Question] = (), own_documents: bool = False) -> AnswerReport:
    """Every question answered by `ask(text, documents)` (any backend's; `documents`: the files to answer
    from, None for all); citations checked against the gold pages; and each of `impossible` (questions the
    documents do not answer: real ones, or counterparts made by `unanswerable`) asked too, to see it
    declined. `own_documents`: each question is asked of its own documents alone (`Question.documents`)."""
    def within(question: Question) -> tuple[str, ...] | None:
        return question.documents if own_documents and question.documents else None

    read, first, anywhere, answered, latencies, rows = [], [], [], [], [], []
    for question in questions:
        started = time.perf_counter()
        answer = ask(question.text, within(question))
        latencies.append(time.perf_counter() - started)
        cited = [(_stem(c.file_name), c.page) for c in answer.citations]
        read.append(any((_stem(h.file_name), h.page) in question.relevant for h in answer.pages))
        first.append(bool(cited) and cited[0] in question.relevant)
        anywhere.append(any(c in question.relevant for c in cited))
        answered.append(not answer.abstained)
        rows.append({"id": question.id, "question": question.text, "abstained": answer.abstained,
                     "first_citation_gold": first[-1], "text": answer.text[:600]})
    declined = []
    for question in impossible:
        answer = ask(question.text, within(question))
        declined.append(answer.abstained)
        rows.append({"id": question.id, "question": question.text, "abstained": answer.abstained,
                     "text": answer.text[:600]})
    ms = [1000 * s for s in latencies]
    return AnswerReport(len(questions), mean(read), mean(first), mean(anywhere), mean(answered), percentile(ms, 50),
                        percentile(ms, 95), len(impossible), mean(declined) if impossible else None, rows)
