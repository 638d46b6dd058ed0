"""The offline answerer of the lite profile: no generation at all. It picks the sentences and table
rows of the retrieved pages that best match the question (the sentence encoder's similarity plus
the share of the question's words they contain) and returns them quoted, each with its citation
and the box of the block it comes from. What it returns is always document text inside quotes
under a fixed header, so nothing a document says can change what the answerer does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..core.text import strip_control
from ..core.types import Answer, Box, Citation, title_of, union
from .answerer import NO_PAGES, Answerer
from .markers import defuse
from .prompt import Evidence

__all__ = ["ExtractiveAnswerer", "HEADER", "NOT_FOUND", "candidates"]

HEADER = "Extractive answer: passages quoted from the pages, not generated."
NOT_FOUND = "The retrieved pages do not appear to answer the question."
MAX_QUOTE = 400
MAX_CANDIDATES = 600
RANK_PRIOR = 0.1
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9(\"'])")
_ENDS_IN_NUMBER = re.compile(r"\(?[$€£]?\d[\d,.]*\)?%?\s*$")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_STOP = frozenset("""a an and are as at be by did do does for from had has have how in is it its of on or
that the their this to was were what when where which who why will with""".split())


@dataclass(frozen=True)
class Candidate:
    evidence: Evidence
    text: str
    box: Box | None


def candidates(evidence: Evidence) -> list[Candidate]:
    """Passages a quote can be: sentences of prose blocks; the lines of blocks that read as tables
    (most lines end in a number); and table rows that the PDF split into one block per cell
    (single-line blocks side by side on the same line of the page, read left to right)."""
    found = []
    regions = [r for r in evidence.page.regions if r.kind == "text"] if evidence.page else []
    if not regions and evidence.text.strip():  # a page without blocks (a hit without its page)
        found.extend(Candidate(evidence, s, None) for s in _sentences(evidence.text))
    cells = []
    for region in regions:
        lines = [line.strip() for line in region.text.splitlines() if line.strip()]
        if len(lines) == 1:
            cells.append(region)
        if len(lines) > 1 and sum(bool(_ENDS_IN_NUMBER.search(line)) for line in lines) * 2 >= len(lines):
            found.extend(Candidate(evidence, line, region.box) for line in lines)
            if len(lines) <= 8 and all(len(line) <= 40 for line in lines):  # one row, a cell per line
                found.append(Candidate(evidence, " | ".join(lines), region.box))
        else:
            found.extend(Candidate(evidence, s, region.box) for s in _sentences(" ".join(lines)))
    found.extend(Candidate(evidence, text, box) for text, box in _rows(cells))
    return [c for c in found if len(_WORD.findall(c.text.lower())) >= 2]


def _rows(cells: list) -> list[tuple[str, Box]]:
    """Single-line blocks grouped by the line of the page they sit on (their boxes overlap
    vertically by more than half), as 'cell | cell | cell' with the union of their boxes."""
    rows, current = [], []
    for cell in sorted(cells, key=lambda r: (r.box[1] + r.box[3]) / 2):
        if current and _same_line(current[-1].box, cell.box):
            current.append(cell)
            continue
        rows.append(current)
        current = [cell]
    rows.append(current)
    out = []
    for row in (r for r in rows if len(r) > 1):
        row.sort(key=lambda r: r.box[0])
        out.append((" | ".join(r.text.strip() for r in row), union(r.box for r in row)))
    return out


def _same_line(a: Box, b: Box) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(a[3] - a[1], b[3] - b[1])


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(re.sub(r"\s+", " ", text)) if s.strip()]


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, text_encoder, *, quotes: int = 3, min_score: float = 0.3):
        self.encoder, self.quotes, self.min_score = text_encoder, quotes, min_score

    def rank(self, question: str, evidence: list[Evidence]) -> list[tuple[float, Candidate]]:
        """Every candidate passage with its score, best first."""
        pool = [c for e in evidence for c in candidates(e)]
        asked = _words(question)
        overlap = np.array([len(asked & _words(c.text)) / max(len(asked), 1) for c in pool])
        if len(pool) > MAX_CANDIDATES:  # keep the encoder's work bounded on very dense pages
            keep = np.argsort(-overlap, kind="stable")[:MAX_CANDIDATES]
            pool, overlap = [pool[i] for i in keep], overlap[keep]
        if not pool:
            return []
        # Each passage is read with its document's title, as at ingest: a table row rarely names its company.
        texts = [f"{title_of(c.evidence.hit.file_name)}\n{c.text[:MAX_QUOTE]}" for c in pool]
        vectors = self.encoder.encode([question] + texts, query=True)
        similarity = vectors[1:] @ vectors[0]
        rank_bonus = np.array([RANK_PRIOR / c.evidence.marker for c in pool])  # the retriever's order counts
        scores = 0.7 * similarity + 0.3 * overlap + rank_bonus
        return sorted(zip(scores.tolist(), pool, strict=True), key=lambda sc: -sc[0])

    def stream(self, question: str, evidence: list[Evidence]) -> Iterator[str | Answer]:
        if not evidence:
            yield NO_PAGES
            yield Answer(text=NO_PAGES, extractive=True, answerer=self.name)
            return
        chosen, seen = [], set()
        for score, c in self.rank(question, evidence):
            if score < self.min_score or len(chosen) == self.quotes:
                break
            key = c.text.lower()
            if key not in seen:
                seen.add(key)
                chosen.append(c)
        if not chosen:
            yield NOT_FOUND
            yield Answer(text=NOT_FOUND, extractive=True, answerer=self.name, pages=[e.hit for e in evidence])
            return
        lines, citations = [HEADER], []
        yield HEADER + "\n"
        for n, c in enumerate(chosen, start=1):
            quote = defuse(strip_control(c.text)[:MAX_QUOTE].replace('"', "'"))
            line = f'{n}. "{quote}" [{n}]'
            lines.append(line)
            yield line + "\n"
            hit = c.evidence.hit
            citations.append(Citation(marker=n, doc_id=hit.doc_id, file_name=hit.file_name, page=hit.page,
                                      box=c.box, quote=quote, image_path=hit.image_path, **c.evidence.page_size))
        yield Answer(text="\n".join(lines), citations=citations, extractive=True, answerer=self.name,
                     pages=[e.hit for e in evidence])
