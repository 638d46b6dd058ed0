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
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.periods import is_year, years_named
from ..core.types import Box, Claim, title_of
from .markers import MARKERS
from .prompt import Evidence

__all__ = ["KeyTerms", "check_claims", "figure_values", "key_terms", "missing_terms", "squash"]

# A figure as written in English ("1,234.5", "$12", "12%") or in French ("1 234,5 €", "12 %", "1.234,5"):
# digits grouped by a comma, a point or a (narrow, no-break) space before each three, a decimal part.
_FIGURE = re.compile(r"(?<![\w.,])[$€£]?\d{1,3}(?:[\u00a0\u202f ]\d{3})+(?:[.,]\d+)?(?!\d)\s?%?"
                     r"|(?<![\w.])[$€£]?\d[\d,.]*(?<![.,])\s?%?(?![\w])")
_CAPITAL = "A-ZÀ-ÖØ-Þ"
_NAME = re.compile(rf"\b(?:[{_CAPITAL}][\w&'’.-]*[^\W_](?:\s+(?:of|and|&|de|du|des|la|le)\s+|\s+)?)+"
                   rf"|\b\d+[{_CAPITAL}]\w*\b")
_WORD = re.compile(r"[^\W_]+")
_CONNECTORS = ("of", "and", "&", "de", "du", "des", "la", "le")
# Capitalised words that open a question or name a kind of figure, not a thing the pages must mention
# (accents folded, as `squash` leaves them).
_NOT_NAMES = frozenset("""what which who whom whose when where why how is are was were do does did can could as
should would will give provide list state name calculate compute using based according the a an in on of for
to from by with and or if per fy cy q1 q2 q3 q4 usd us dollars million millions billion billions thousand
percent total net gross answer round report please note assume respond express consider i we
follow ignore disregard forget tell show explain describe summarize summarise find compare return print use
include write look check tell say repeat translate output reply act pretend
quel quelle quels quelles combien comment pourquoi ou qui que quoi quand est sont etait etaient a ont le la les
un une des du de dans pour selon au aux en et avec sur par donnez citez calculez indiquez listez nommez
decrivez expliquez comparez resumez trouvez faut peut il elle ils elles on nous vous je ce cette ces d l qu
millions milliards milliers euros eur dollars pourcentage""".split())
_STOP = frozenset("""a an and are as at be by did do does for from had has have how in is it its of on or that
the their this to was were what when where which who why will with than then also into over under per not
le la les un une des du de et est en que qui dans pour pas sur au aux ce cette ces sont par plus avec ne se il
elle ils elles nous vous leur leurs ou été être ont mais comme tout sa son ses quel quelle quels quelles
combien comment pourquoi où quand y d l qu n s c j""".split())
SUPPORT_OVERLAP = 0.5  # the share of a claim's content words a cited page must hold


@dataclass(frozen=True)
class KeyTerms:
    years: tuple[str, ...]
    names: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.years or self.names)


def squash(text: str) -> str:
    """Lower case, letters and digits only, accents left off: "U.S." and "US", "Activision Blizzard" and
    "ACTIVISIONBLIZZARD", "Québec" and "QUEBEC" compare equal."""
    return "".join(_WORD.findall(_unaccented(text.lower())))


def _unaccented(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def figure_values(text: str) -> set[str]:
    """The numbers a text writes, as plain decimals ("1234.5"), whatever their grouping and decimal mark:
    "1,234.5", "1 234,5" and "1.234,5" are all 1234.5. A lone separator before three digits could be
    either ("1,234": 1234 in English, 1.234 in French), so both readings are kept."""
    values = set()
    for figure in _FIGURE.findall(text):
        spaced = re.split(r"[\u00a0\u202f ]+", re.sub(r"[^\d.,\u00a0\u202f ]", "", figure).strip())
        values.update(_readings("".join(spaced)))
        if len(spaced) > 1:  # or columns of a table a space apart: "12 345" may be 12 and 345
            for part in spaced:
                values.update(_readings(part))
    return values


def _readings(digits: str) -> set[str]:
    marks = [c for c in digits if c in ".,"]
    if not marks:
        return {_plain_number(digits)}
    if len(set(marks)) == 2:  # both: the last is the decimal mark
        decimal = marks[-1]
        whole, _, part = digits.rpartition(decimal)
        return {_plain_number(re.sub(r"[.,]", "", whole) + "." + part)}
    mark = marks[0]
    if len(marks) > 1:  # "1,234,567" or "1.234.567": grouping
        return {_plain_number(digits.replace(mark, ""))}
    whole, _, part = digits.partition(mark)
    as_decimal = _plain_number(whole + "." + part)
    return {as_decimal, _plain_number(whole + part)} if len(part) == 3 else {as_decimal}


def _plain_number(digits: str) -> str:
    whole, _, part = digits.partition(".")
    whole, part = whole.lstrip("0") or "0", part.rstrip("0")
    return f"{whole}.{part}" if part else whole


def key_terms(question: str) -> KeyTerms:
    """The years and the names a question is about."""
    years = [str(year) for year in years_named(question)]
    names = []
    for m in _NAME.finditer(question):
        words = [re.sub(r"['’]s$", "", w) for w in m.group(0).split()]
        # "of" and "de" inside a name are its words ("Bank of America", "Banque de France"), as written
        words = [w for w in words if w in _CONNECTORS or (squash(w) and squash(w) not in _NOT_NAMES
                                                            and not is_year(w))]
        while words and words[0].lower() in _CONNECTORS:
            words.pop(0)
        while words and words[-1].lower() in _CONNECTORS:
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
    pieces = re.split(rf"(?<=[.!?])\s+(?=[{_CAPITAL}0-9\"'(«])|\n+", text)
    return [p.strip() for p in pieces if p.strip() and _WORD.search(MARKERS.sub("", p).lower())]


def _lacking(claim: str, page: str) -> list[str]:
    """What of a claim the page does not hold: its figures and years (digits compared, however written)
    and its names; a claim without figures must also share enough of its content words with the page
    (a figure found is stronger evidence than any paraphrase)."""
    on_page_values = figure_values(page)
    figures = _FIGURE.findall(claim)
    lacking = [f.strip() for f in figures if not figure_values(f) & on_page_values]
    squashed = squash(page)
    lacking += [n for n in key_terms(claim).names if squash(n) not in squashed]
    words = {w for w in _WORD.findall(_unaccented(claim.lower())) if w not in _STOP and not w.isdigit() and len(w) > 2}
    on_page = set(_WORD.findall(_unaccented(page.lower())))
    if not figures and words and len(words & on_page) / len(words) < SUPPORT_OVERLAP:
        lacking += sorted(words - on_page)[:5]
    return list(dict.fromkeys(lacking))


def _best_box(claim: str, evidence: Evidence) -> Box | None:
    """The box of the region of the page sharing the most words (figures first) with the claim."""
    if evidence.page is None:
        return evidence.hit.region.box if evidence.hit.region else None
    figures = figure_values(claim)
    words = set(_WORD.findall(claim.lower())) - _STOP
    best, best_score = None, 0.0
    for region in evidence.page.regions:
        region_words = set(_WORD.findall(region.text.lower()))
        region_figures = figure_values(region.text)
        score = 2 * len(figures & region_figures) + len(words & region_words)
        if score > best_score:
            best, best_score = region.box, score
    return best if best is not None else (evidence.hit.region.box if evidence.hit.region else None)
