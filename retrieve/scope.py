"""The documents a question names by their titles: "3M" and "FY2018" in a question, "3M 2018 10K" a
title; "March 31, 2025" in a question, "treasury bulletin 2025 06" a title.

People name their files after what the files are about, and ask about it in the same words; the page
that answers rarely repeats them (a filing's cash-flow page does not say "3M" or "2018" in words the
page's vectors weigh). So the retriever searches a second time within the documents a question
names, and fuses that ranking with the one over the whole collection (retriever.py). A question that
names nothing, or names every document, changes nothing.

- Subjects: a title's words that few titles share (at most `SHARED` of them: "3M" among filings of
  thirty companies, not "10K" or "Treasury Bulletin", which every title of its collection has), found
  among the question's words or its runs of two or three words written together ("Activision
  Blizzard" for "ACTIVISIONBLIZZARD").
- Periods: a title's years against the question's (FY2019, FY19, CY 2020, 1940): a document whose
  title carries a year the question names is of its period (`PERIOD`: the year itself did better
  than also taking the year after or a wider window, bench/fusion.py, chosen on half of the questions
  of two dev sets; the fused ranking still holds the other documents' pages).

- Quarters: a question naming a quarter (Q2, Q22023, the second quarter) is about that quarter's
  report when titles carry quarters ("AMCOR 2023Q2 10Q" against "AMCOR 2023 10K").

The documents named are those with a subject of the question, narrowed to those of its period when
some are, and of its quarter when some are; without a subject, those of its period, when titles carry
years.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping

from ..core.periods import quarters_named, title_quarters, years_named

__all__ = ["PERIOD", "SHARED", "Titles", "named_documents", "question_years"]

SHARED = 0.25  # a title word in more than this share of the titles names no document
PERIOD = (0,)  # title year minus question year, for a document of the question's period

_TITLE_YEAR = re.compile(r"(?<!\d)((?:18|19|20)\d\d)(?!\d)")
_WORD = re.compile(r"[a-z0-9]+")
# Words that name no document whatever their share: a title's grammar, not its subject.
_STOP = frozenset("""a an and are as at be by for from in into is it of on or the to with vs via per not no
new all its our your this that these those how what why when where which who whom do does did can could should
would will was were has have had i you we he she they my me us them about over under up out use using get make
one two part final draft copy version doc docs document documents file files page pages""".split())


def question_years(question: str) -> set[int]:
    """The years a question names: 1940, FY2019, CY 2020, FY19 (as 2019)."""
    return set(years_named(question))


class Titles:
    """Documents' titles read once for every question asked of them: each title's words (years apart) and
    years, the titles holding each word or year, and how many titles share each word. A question then
    looks up its own words, instead of reading every title (which grew with the collection)."""

    def __init__(self, titles: Mapping[str, str]):
        self.titles = titles  # id -> title
        self.order = {doc: i for i, doc in enumerate(titles)}
        self.years: dict[str, set[int]] = {}
        self.by_word: dict[str, list[str]] = defaultdict(list)
        self.by_year: dict[int, list[str]] = defaultdict(list)
        for doc, title in titles.items():
            for word in dict.fromkeys(w for w in _WORD.findall(title.lower()) if not _TITLE_YEAR.fullmatch(w)):
                self.by_word[word].append(doc)
            self.years[doc] = {int(y) for y in _TITLE_YEAR.findall(title)}
            for year in self.years[doc]:
                self.by_year[year].append(doc)

    def __len__(self) -> int:
        return len(self.titles)

    def ordered(self, docs) -> list[str]:
        return sorted(set(docs), key=self.order.__getitem__)


def named_documents(question: str, titles: Mapping[str, str] | Titles, period: tuple[int, ...] = PERIOD,
                    shared: float = SHARED) -> tuple[str, ...] | None:
    """The ids (keys of `titles`, id -> title) of the documents the question names, in `titles`' order;
    None when it names none, or all of them."""
    index = titles if isinstance(titles, Titles) else Titles(titles)
    if len(index) < 2:
        return None
    limit = max(1, int(shared * len(index)))
    asked = _WORD.findall(question.lower())
    runs = {"".join(asked[i:i + n]) for n in (1, 2, 3) for i in range(len(asked) - n + 1)}
    subject = index.ordered(doc for w in runs if len(w) >= 2 and not w.isdigit() and w not in _STOP
                            and len(found := index.by_word.get(w, ())) <= limit for doc in found)
    named = subject
    years = question_years(question)
    if years:
        if subject:
            of_period = [doc for doc in subject if any(y - q in period for y in index.years[doc] for q in years)]
        else:
            of_period = index.ordered(doc for q in years for p in period for doc in index.by_year.get(q + p, ()))
        named = of_period or subject
    if named and (quarters := quarters_named(question)):
        named = [doc for doc in named if title_quarters(index.titles[doc]) & quarters] or named
    if not named or len(named) == len(index):
        return None
    return tuple(named)
