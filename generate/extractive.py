"""The offline answerer of the lite profile: no generation at all. It picks the sentences and table
rows of the retrieved pages that best match the question (the sentence encoder's similarity plus
the share of the question's words they contain) and returns them quoted, each with its citation
and the box of the block it comes from.

The answer reads as a person would want it: a first line that answers, then the quotes that bear it.
For a question naming a measure and a period, the first line is the table cell at that row and column,
with its unit and period ("Revenues, 2017: $11,692,713 thousand [1]"), read from a quoted row and its
header (tables.py), never computed; for another question, the best sentence itself. A figure asked for
that no row gives is said so. Quotes are sentences, or rows as their label and `header: value` pairs;
a heading or a lone label is never one. That the answer is quoted, not generated, is the Answer's
`extractive` flag, which a face shows once, quietly (no line of the text repeats it).

What it returns is document text inside quotes, or a cell of a quoted row, under lines of its own, so
nothing a document says can change what the answerer does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..core.i18n import answer_locale, say
from ..core.periods import is_year, years_named
from ..core.text import strip_control
from ..core.types import Answer, Box, Citation, title_of
from .answerer import Answerer
from .markers import defuse
from .prompt import Evidence
from .support import KeyTerms, key_terms, squash
from .tables import Row, headline, is_heading, rows_of

__all__ = ["LABEL", "NO_FIGURE", "NO_FIGURE_ANY", "NOTICE", "Asked", "ExtractiveAnswerer", "NOT_FOUND", "Weights",
           "candidates", "fit", "label_share"]

NOTICE = "Quoted from the pages, not generated."  # what a face says once of extractive answers
NOT_FOUND = "The retrieved pages do not appear to answer the question."
NO_FIGURE = "No table row on these pages gives this figure for that period; the passages nearest to it:"
NO_FIGURE_ANY = "No table row on these pages gives this figure; the passages nearest to it:"  # no period named
MAX_QUOTE = 600
MAX_CANDIDATES = 64
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ0-9(\"'«])")
# A line that starts a list item: a bullet as a text layer gives it, or as OCR reads a round bullet
# ("©", "¢", "«", "°", or "e"/"o" before a capital). No sentence ends before it ("include:"), and the
# bullet starts no sentence either, so without this every item of a list is one quote.
_BULLET = re.compile(r"^(?:[•◦▪▫■□●○◆◇►▸‣⁃∙·*©¢«°-]\s+|[eo]\s+(?=[A-Z]))")
_WORD = re.compile(r"[^\W_]+(?:[.,]\d+)*")
_STOP = frozenset("""a an and are as at be by did do does for from had has have how in is it its of on or
that the their this to was were what when where which who why will with
le la les un une des du de et est en que qui dans pour pas sur au aux ce cette ces sont par plus avec ne se il
elle ils elles nous vous leur leurs ou où ont mais comme sa son ses quel quelle quels quelles combien comment
pourquoi quand y d l qu n s c j t""".split())


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


# A question asking why or how something came about wants an account, whatever figures it names; one asking
# yes or no, or which, who, where or when, wants that, not a figure.
_ASKS_WHY = re.compile(r"^\W*(?:why|how\s+(?:did|does|do|has|have|is|was|were|will|would|can)|what\s+(?:drove|drives|"
                       r"caused|causes|explains?|led|leads|contributed)|explain|describe|discuss|summari[sz]e|"
                       r"(?:did|does|do|is|are|was|were|has|have|had|can|will|would|should)\s|which|who|whom|where|"
                       r"when|pourquoi|comment|expliquez|décrivez|résumez|qui|où|quand|est-ce\s)\b", re.IGNORECASE)
_WANTS_FIGURE = re.compile(r"\b(?:how (?:much|many)|amount|total|ratio|margin|percent(?:age)?|rate|revenue|income|"
                           r"expenditures?|expenses?|costs?|capex|price|value|sales|profit|cash|debt|assets|usd|"
                           r"millions?|billions?|combien|montant|taux|pourcentage|chiffre d['’]affaires|revenus?|"
                           r"bénéfices?|dépenses?|coûts?|prix|valeur|ventes|dette|actifs|milliards?)\b|[$%€]",
                           re.IGNORECASE)
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
        wants = bool(_WANTS_FIGURE.search(question)) and not _ASKS_WHY.search(question)
        return cls(frozenset(_words(question)), key_terms(question), wants)


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
        fits = np.array([fit(asked, c) for c in pool])
        rank = np.array([1 / c.evidence.marker for c in pool])  # the retriever's order counts
        if len(pool) > MAX_CANDIDATES:  # the encoder reads the likeliest by the cheap features alone
            cheap = overlap * self.weights.overlap + rank * self.weights.rank + fits * self.weights.fit
            keep = np.argsort(-cheap, kind="stable")[:MAX_CANDIDATES]
            pool, overlap, fits, rank = [pool[i] for i in keep], overlap[keep], fits[keep], rank[keep]
        if not pool:
            return [], np.zeros((0, 4))
        # Each passage is read with its document's title, as at ingest: a table row rarely names its company.
        texts = [f"{title_of(c.evidence.hit.file_name)}\n{c.text[:MAX_QUOTE]}" for c in pool]
        # The encoder's own batching: on ONNX Runtime one text a run, spread over the cores, was twice as
        # fast as batches of 32 on real candidates (25 FinanceBench questions: 1.0 s against 2.0 s, float).
        asked_vector = self.encoder.encode([question], query=True)[0]  # a query, as a search reads it
        similarity = self.encoder.encode(texts) @ asked_vector
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
        eligible = [c for score, c in ranked if score >= self.min_score and not is_heading(c.text)]
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
        ranked = self.rank(question, evidence)
        chosen = self.pick(ranked)
        locale = answer_locale(question)  # the answer's own words are in its question's language
        if not chosen:
            yield say(NOT_FOUND, locale)
            yield Answer(text=say(NOT_FOUND, locale), extractive=True, answerer=self.name,
                         pages=[e.hit for e in evidence], abstained=True)
            return
        rows = _rows(evidence)
        asked = Asked.of(question)
        found = headline(question, [(rows[key], _page_text(c.evidence)) for _, c in ranked
                                    if (key := (c.evidence.marker, c.text)) in rows]) if asked.wants_figure else None
        if found is not None:
            held = next(c for _, c in ranked if rows.get((c.evidence.marker, c.text)) is found.row)
            if held not in chosen:  # the row the first line reads is among its quotes, first
                chosen = [held, *chosen[:self.quotes - 1]]
            chosen.sort(key=lambda c: c is not held)
            first = f"{_plain(found.text)} [1]"
        elif asked.wants_figure and not _states_figure(chosen[0].text):
            first = say(NO_FIGURE if years_named(question) else NO_FIGURE_ANY, locale)
        else:  # the best passage is the answer, quoted (for a figure, one that states one; else a sentence first)
            if not asked.wants_figure and (prose := next((c for c in chosen if " | " not in c.text), None)):
                chosen.sort(key=lambda c: c is not prose)
            first = f'"{_quote(chosen[0], rows)}" [1]'
        lines, citations = [first], []
        yield first
        for n, c in enumerate(chosen, start=1):
            quote = _quote(c, rows)
            if n > 1 or found is not None or first in (say(NO_FIGURE, locale), say(NO_FIGURE_ANY, locale)):
                line = f'- "{quote}" [{n}]'
                lines.append(line)
                yield "\n" + line  # the text streamed is the answer's text exactly
            hit = c.evidence.hit
            citations.append(Citation(marker=n, doc_id=hit.doc_id, file_name=hit.file_name, page=hit.page,
                                      box=c.box, quote=quote, image_path=hit.image_path, **c.evidence.page_size))
        yield Answer(text="\n".join(lines), citations=citations, extractive=True, answerer=self.name,
                     pages=[e.hit for e in evidence])


def _states_figure(text: str) -> bool:
    """Whether a sentence states a figure (a number that is not a year alone). A table row does not, here: a
    row whose label and column the question names is the first line already (`headline`), and another row's
    figures are another measure's."""
    return " | " not in text and any(not is_year(f.strip("()[]")) for f in _FIGURE.findall(text))


def _page_text(evidence: Evidence) -> str:
    return evidence.page.text if evidence.page is not None else evidence.text


def _rows(evidence: list[Evidence]) -> dict[tuple[int, str], Row]:
    """Each page's table rows, by (page marker, the row's line as a candidate holds it), with the columns
    extraction left unlabelled recovered from the rows above them (tables.rows_of)."""
    found = {}
    for e in evidence:
        if e.page is None:
            continue
        lines = [ln.strip() for r in e.page.regions if r.kind == "text" for ln in r.text.splitlines()]
        for line, row in zip(lines, rows_of(lines), strict=True):
            if row is not None:
                found[(e.marker, re.sub(r"\s+", " ", line))] = row
    return found


def _quote(candidate: Candidate, rows: dict[tuple[int, str], Row]) -> str:
    """A quote as it is shown: a sentence as the page has it, a row as its label and header: value pairs."""
    row = rows.get((candidate.evidence.marker, candidate.text))
    return _plain(row.render() if row is not None else candidate.text)


def _plain(text: str) -> str:
    return defuse(_bounded(strip_control(text)).replace('"', "'"))
