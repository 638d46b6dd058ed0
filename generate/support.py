"""Whether the pages bear on a question, and whether an answer's claims are what its citations say: checks
from evidence that can be measured, as pure functions.

- Before answering: what the question asks about (a year it names, the subjects the collection has
  documents about, and their periods: `missing_terms`) must be on the pages read. When it is not,
  every answerer says the pages do not answer the question instead of quoting or generating something
  near (a question about a company or a year the documents do not cover).
- After generating: the answer is split into claims (its sentences), and each cited claim is checked
  against the pages it cites: its figures, years and names must appear there, and enough of its content
  words; the claim gets the box of the region that bears it best. A claim that fails is marked, never
  dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.periods import is_year, years_named
from ..core.types import Box, Claim, title_of
from .markers import MARKERS
from .prompt import Evidence

__all__ = ["KeyTerms", "check_claims", "key_terms", "missing_terms", "squash"]

_FIGURE = re.compile(r"(?<![\w.])[$€£]?\d[\d,]*(?:\.\d+)?%?(?![\w])")
_NAME = re.compile(r"\b(?:[A-Z][\w&'.-]*[A-Za-z0-9](?:\s+(?:of|and|&|de|du)\s+|\s+)?)+|\b\d+[A-Z]\w*\b")
_WORD = re.compile(r"[a-z0-9]+")
# Capitalised words that open a question or name a kind of figure, not a thing the pages must mention.
_NOT_NAMES = frozenset("""what which who whom whose when where why how is are was were do does did can could as
should would will give provide list state name calculate compute using based according the a an in on of for
to from by with and or if per fy cy q1 q2 q3 q4 usd us dollars million millions billion billions thousand
percent total net gross answer round report please note assume respond express consider i we
follow ignore disregard forget tell show explain describe summarize summarise find compare return print use
include write look check tell say repeat translate output reply act pretend""".split())
_STOP = frozenset("""a an and are as at be by did do does for from had has have how in is it its of on or that
the their this to was were what when where which who why will with than then also into over under per not""".split())
SUPPORT_OVERLAP = 0.5  # the share of a claim's content words a cited page must hold


@dataclass(frozen=True)
class KeyTerms:
    years: tuple[str, ...]
    names: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.years or self.names)


def squash(text: str) -> str:
    """Lower case, letters and digits only: "U.S." and "US", "Activision Blizzard" and
    "ACTIVISIONBLIZZARD" compare equal."""
    return "".join(_WORD.findall(text.lower()))


def key_terms(question: str) -> KeyTerms:
    """The years and the names a question is about."""
    years = [str(year) for year in years_named(question)]
    names = []
    for m in _NAME.finditer(question):
        words = [re.sub(r"['’]s$", "", w) for w in m.group(0).split()]
        words = [w for w in words if squash(w) and squash(w) not in _NOT_NAMES
                 and not is_year(w)]
        while words and words[0].lower() in ("of", "and", "&", "de", "du"):
            words.pop(0)
        while words and words[-1].lower() in ("of", "and", "&", "de", "du"):
            words.pop()
        name = " ".join(words).strip(" .,'")
        if name and len(squash(name)) >= 2:
            names.append(name)
    return KeyTerms(tuple(years), tuple(dict.fromkeys(names)))


def missing_terms(question: str, evidence: list[Evidence], titles: Sequence[str] | None = None) -> list[str]:
    """What the question asks about that the pages read do not cover; empty when they bear on it.

    - Years: none of the question's years is on any page read (or in its document's title). One is
      enough: a question comparing 2019 with 2020 is answered from a page that shows either.
    - With `titles` (the collection's document titles): the question's subjects are its names that are
      words of a title ("3M", "Treasury"): each must be on a page read; and when the documents about a
      subject carry years in their titles, one of them must be near a year the question asks about (a
      document of year Y speaks of Y-2 to Y+1; "3M in 2031" when 3M's documents are of 2018 and
      2022). Other names (jargon, acronyms, a method's name) are not asked of the pages: "COGS" is
      written "cost of sales" there.
    - Without `titles`: every name the question holds must be on a page read.
    """
    if not evidence:
        return []
    terms = key_terms(question)
    squashed = [squash(e.text) + "|" + squash(title_of(e.hit.file_name)) for e in evidence]
    plain = [" ".join(_WORD.findall((e.text + " " + title_of(e.hit.file_name)).lower())) for e in evidence]
    missing = []
    if terms.years and not any(year in page for year in terms.years for page in plain):
        missing.extend(terms.years)
    if titles is None:
        missing += [name for name in terms.names if not any(squash(name) in page for page in squashed)]
        return missing
    tokens = [{squash(w) for w in title.split()} for title in titles]
    known = set().union(*tokens) if tokens else set()
    subjects = [k for name in terms.names for k in (squash(name), *map(squash, name.split()))
                if len(k) >= 2 and not k.isdigit() and k in known]
    for subject in dict.fromkeys(subjects):
        if not any(subject in page for page in squashed):
            missing.append(subject)
            continue
        # A document of year Y speaks of Y-2..Y+1 (a filing's three years and its outlook).
        periods = {int(y) + d for about in tokens if subject in about for w in about
                   for y in re.findall(r"(?:18|19|20)\d\d", w) for d in (-2, -1, 0, 1)}
        if terms.years and periods and not periods & {int(y) for y in terms.years}:
            missing.append(f"{subject} in {', '.join(terms.years)}")
    return list(dict.fromkeys(missing))


def check_claims(text: str, evidence: list[Evidence]) -> list[Claim]:
    """Each sentence of an answer as a claim: the pages it cites, whether they support it, what of it they
    lack, and the box on the first cited page that bears it best. A sentence without a citation is a
    claim with no support asked (supported None)."""
    by_marker = {e.marker: e for e in evidence}
    claims = []
    for sentence in _sentences(text):
        markers = sorted({int(n) for m in MARKERS.finditer(sentence) for n in m.group(1).split(",")})
        body = re.sub(r"\s+([.!?,;:])", r"\1", MARKERS.sub("", sentence)).strip()
        if not markers:
            claims.append(Claim(text=body, markers=[], supported=None))
            continue
        cited = [by_marker[n] for n in markers if n in by_marker]
        page_text = " ".join(e.text + " " + title_of(e.hit.file_name) for e in cited)
        lacking = _lacking(body, page_text)
        claims.append(Claim(text=body, markers=markers, supported=not lacking, missing=lacking,
                            box=_best_box(body, cited[0]) if cited else None))
    return claims


def _sentences(text: str) -> list[str]:
    pieces = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+", text)
    return [p.strip() for p in pieces if p.strip() and _WORD.search(MARKERS.sub("", p).lower())]


def _lacking(claim: str, page: str) -> list[str]:
    """What of a claim the page does not hold: its figures and years (digits compared, however written)
    and its names; a claim without figures must also share enough of its content words with the page
    (a figure found is stronger evidence than any paraphrase)."""
    digits_on_page = {re.sub(r"[^\d.]", "", f).strip(".") for f in _FIGURE.findall(page)}
    figures = _FIGURE.findall(claim)
    lacking = [f for f in figures if re.sub(r"[^\d.]", "", f).strip(".") not in digits_on_page]
    squashed = squash(page)
    lacking += [n for n in key_terms(claim).names if squash(n) not in squashed]
    words = {w for w in _WORD.findall(claim.lower()) if w not in _STOP and not w.isdigit() and len(w) > 2}
    on_page = set(_WORD.findall(page.lower()))
    if not figures and words and len(words & on_page) / len(words) < SUPPORT_OVERLAP:
        lacking += sorted(words - on_page)[:5]
    return list(dict.fromkeys(lacking))


def _best_box(claim: str, evidence: Evidence) -> Box | None:
    """The box of the region of the page sharing the most words (figures first) with the claim."""
    if evidence.page is None:
        return evidence.hit.region.box if evidence.hit.region else None
    figures = {re.sub(r"[^\d.]", "", f) for f in _FIGURE.findall(claim)}
    words = set(_WORD.findall(claim.lower())) - _STOP
    best, best_score = None, 0.0
    for region in evidence.page.regions:
        region_words = set(_WORD.findall(region.text.lower()))
        region_figures = {re.sub(r"[^\d.]", "", f) for f in _FIGURE.findall(region.text)}
        score = 2 * len(figures & region_figures) + len(words & region_words)
        if score > best_score:
            best, best_score = region.box, score
    return best if best is not None else (evidence.hit.region.box if evidence.hit.region else None)
