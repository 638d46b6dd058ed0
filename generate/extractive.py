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

from ..core.periods import is_year
from ..core.text import strip_control
from ..core.types import Answer, Box, Citation, title_of
from .answerer import Answerer
from .markers import defuse
from .prompt import Evidence
from .support import KeyTerms, key_terms, squash

__all__ = ["LABEL", "Asked", "ExtractiveAnswerer", "HEADER", "NOT_FOUND", "Weights", "candidates", "fit",
           "label_share"]

HEADER = "Extractive answer: passages quoted from the pages, not generated."
NOT_FOUND = "The retrieved pages do not appear to answer the question."
MAX_QUOTE = 600
MAX_CANDIDATES = 600
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
# A line that starts a list item: a bullet as a text layer gives it, or as OCR reads a round bullet
# ("©", "¢", "«", "°", or "e"/"o" before a capital). No sentence ends before it ("include:"), and the
# bullet starts no sentence either, so without this every item of a list is one quote.
_BULLET = re.compile(r"^(?:[•◦▪▫■□●○◆◇►▸‣⁃∙·*©¢«°-]\s+|[eo]\s+(?=[A-Z]))")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_STOP = frozenset("""a an and are as at be by did do does for from had has have how in is it its of on or
that the their this to was were what when where which who why will with""".split())


@dataclass(frozen=True)
class Candidate:
    evidence: Evidence
    text: str
    box: Box | None


def candidates(evidence: Evidence) -> list[Candidate]:
    """Passages a quote can be, in the page's reading order: the rows of its tables (a line of cells
    joined by " | ", figures labelled by their column headers, as extraction arranges them), and the
    whole sentences of its prose (a block's other lines read as one text, so a sentence that runs over
    several lines is one quote; a list's items apart, each from its bullet)."""
    found = []
    regions = [r for r in evidence.page.regions if r.kind == "text"] if evidence.page else []
    if not regions and evidence.text.strip():  # a page without blocks (a hit without its page)
        found.extend(Candidate(evidence, s, None) for s in _sentences(evidence.text))
    for region in regions:
        prose: list[str] = []
        for line in (ln.strip() for ln in region.text.splitlines()):
            if " | " in line:  # a table row
                found.extend(Candidate(evidence, s, region.box) for s in _sentences(" ".join(prose)))
                prose = []
                found.append(Candidate(evidence, re.sub(r"\s+", " ", line), region.box))  # no-break spaces too
            elif item := _BULLET.match(line):  # a list item: its own sentences, without the bullet
                found.extend(Candidate(evidence, s, region.box) for s in _sentences(" ".join(prose)))
                prose = [line[item.end():]]
            elif line:
                prose.append(line)
        found.extend(Candidate(evidence, s, region.box) for s in _sentences(" ".join(prose)))
    return [c for c in found if len(_WORD.findall(c.text.lower())) >= 2]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(re.sub(r"\s+", " ", text)) if s.strip()]


def _overlapping(a: Candidate, b: Candidate) -> bool:
    """Two quotes of the same text from one block (one holding the other): one of them is enough."""
    if a.evidence.marker != b.evidence.marker or a.box != b.box:
        return False
    x, y = a.text.lower(), b.text.lower()
    return x in y or y in x


def _bounded(text: str) -> str:
    """A quote as it stands when it is short enough; a very long sentence cut at its last clause
    boundary before the limit, with an ellipsis that says so."""
    if len(text) <= MAX_QUOTE:
        return text
    head = text[:MAX_QUOTE]
    cut = max(head.rfind("; "), head.rfind(", "), head.rfind(" "))
    return head[:cut].rstrip(",; ") + " …"


_WANTS_FIGURE = re.compile(r"\b(?:how (?:much|many)|amount|total|ratio|margin|percent(?:age)?|rate|revenue|income|"
                           r"expenditures?|expenses?|costs?|capex|price|value|sales|profit|cash|debt|assets|usd|"
                           r"millions?|billions?)\b|[$%]", re.IGNORECASE)
_FIGURE = re.compile(r"(?<![\w.])[(\[]?[$€£]?\d[\d,]*(?:\.\d+)?%?[)\]]?(?![\w])")
LABEL = 0.2  # a table row by the share of its label's words the question holds (bench/picks.py, even halves)


@dataclass(frozen=True)
class Asked:
    """What a question asks for, read once for all of its candidate passages."""

    words: frozenset[str]
    terms: KeyTerms
    wants_figure: bool

    @classmethod
    def of(cls, question: str) -> Asked:
        return cls(frozenset(_words(question)), key_terms(question), bool(_WANTS_FIGURE.search(question)))


def label_share(asked: Asked, text: str) -> float:
    """For a table row, the share of its label's words (its first cell) the question holds; 0 for prose."""
    label = _words(text.split(" | ", 1)[0]) if " | " in text else set()
    return len(label & asked.words) / len(label) if label else 0.0


def fit(asked: Asked, candidate: Candidate) -> float:
    """How well a passage fits what kind of answer the question wants: a question about an amount prefers a
    sentence or row holding a figure (a year alone is not one), one naming a period prefers the passage of
    that period, one naming a company or a year prefers that document's pages (its title), and a table row
    is preferred as far as the question names what the row is about (its label, the first cell: "Total
    current assets" for "total current assets at the end of FY2021"), where a sentence only mentions it."""
    terms, text = asked.terms, candidate.text
    figures = [f for f in _FIGURE.findall(text) if not is_year(f.strip("()[]"))]
    bonus = 0.0
    if asked.wants_figure:
        bonus += 0.08 if figures else -0.04
    if terms.years and any(year in text for year in terms.years):
        bonus += 0.05
    title = squash(title_of(candidate.evidence.hit.file_name))
    if any(squash(name) in title for name in terms.names) or any(year in title for year in terms.years):
        bonus += 0.05
    return bonus + LABEL * label_share(asked, text)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


@dataclass(frozen=True)
class Weights:
    """How a passage's score is made: its similarity to the question (the sentence encoder's), the share
    of the question's words it holds, the retriever's order of its page (1 / the page's marker) and how
    it fits the kind of answer wanted (`fit`)."""

    similarity: float = 0.7
    overlap: float = 0.3
    rank: float = 0.1
    fit: float = 1.0

    def vector(self) -> np.ndarray:
        return np.array([self.similarity, self.overlap, self.rank, self.fit])


class ExtractiveAnswerer(Answerer):
    name = "extractive"
    extractive = True

    def __init__(self, text_encoder, *, quotes: int = 3, min_score: float = 0.3, weights: Weights = Weights(),
                 spread: bool = True):
        self.encoder, self.quotes, self.min_score, self.weights = text_encoder, quotes, min_score, weights
        self.spread = spread

    def features(self, question: str, evidence: list[Evidence]) -> tuple[list[Candidate], np.ndarray]:
        """Every candidate passage, and its features as `Weights` weighs them: (n, 4)."""
        pool = [c for e in evidence for c in candidates(e)]
        asked = Asked.of(question)
        overlap = np.array([len(asked.words & _words(c.text)) / max(len(asked.words), 1) for c in pool])
        if len(pool) > MAX_CANDIDATES:  # keep the encoder's work bounded on very dense pages
            keep = np.argsort(-overlap, kind="stable")[:MAX_CANDIDATES]
            pool, overlap = [pool[i] for i in keep], overlap[keep]
        if not pool:
            return [], np.zeros((0, 4))
        # Each passage is read with its document's title, as at ingest: a table row rarely names its company.
        texts = [f"{title_of(c.evidence.hit.file_name)}\n{c.text[:MAX_QUOTE]}" for c in pool]
        # The encoder's own batching: on ONNX Runtime one text a run, spread over the cores, was twice as
        # fast as batches of 32 on real candidates (25 FinanceBench questions: 1.0 s against 2.0 s, float).
        vectors = self.encoder.encode([question] + texts, query=True)
        similarity = vectors[1:] @ vectors[0]
        rank = np.array([1 / c.evidence.marker for c in pool])  # the retriever's order counts
        fits = np.array([fit(asked, c) for c in pool])
        return pool, np.stack([similarity, overlap, rank, fits], axis=1)

    def rank(self, question: str, evidence: list[Evidence]) -> list[tuple[float, Candidate]]:
        """Every candidate passage with its score, best first."""
        pool, features = self.features(question, evidence)
        scores = features @ self.weights.vector() if pool else np.zeros(0)
        return sorted(zip(scores.tolist(), pool, strict=True), key=lambda sc: -sc[0])

    def pick(self, ranked: list[tuple[float, Candidate]]) -> list[Candidate]:
        """The quotes, best first, over the least score: with `spread`, the best passage of each page read
        first (the reader sees what each page holds, not three sentences of one), then the next best;
        never two of the same text from one block."""
        eligible = [c for score, c in ranked if score >= self.min_score]
        chosen: list[Candidate] = []
        if self.spread:
            pages: set[tuple[str, int]] = set()
            for c in eligible:
                page = (c.evidence.hit.doc_id, c.evidence.hit.page)
                if page not in pages and len(chosen) < self.quotes:
                    pages.add(page)
                    chosen.append(c)
        for c in eligible:
            if len(chosen) == self.quotes:
                break
            if all(c is not other and not _overlapping(c, other) for other in chosen):
                chosen.append(c)
        order = {id(c): i for i, c in enumerate(eligible)}
        return sorted(chosen, key=lambda c: order[id(c)])

    def _stream(self, question: str, evidence: list[Evidence]) -> Iterator[str | Answer]:
        chosen = self.pick(self.rank(question, evidence))
        if not chosen:
            yield NOT_FOUND
            yield Answer(text=NOT_FOUND, extractive=True, answerer=self.name, pages=[e.hit for e in evidence],
                         abstained=True)
            return
        lines, citations = [HEADER], []
        yield HEADER
        for n, c in enumerate(chosen, start=1):
            quote = defuse(_bounded(strip_control(c.text)).replace('"', "'"))
            line = f'{n}. "{quote}" [{n}]'
            lines.append(line)
            yield "\n" + line  # the text streamed is the answer's text exactly
            hit = c.evidence.hit
            citations.append(Citation(marker=n, doc_id=hit.doc_id, file_name=hit.file_name, page=hit.page,
                                      box=c.box, quote=quote, image_path=hit.image_path, **c.evidence.page_size))
        yield Answer(text="\n".join(lines), citations=citations, extractive=True, answerer=self.name,
                     pages=[e.hit for e in evidence])
