"""The years a question names, read one way for every layer: 1940, FY2019, CY 2020, FY19 (as 2019), and
a quarter's year however it is glued to it (Q22023, Q2'2023, Q2 FY2023, FY2023Q1, Q2'23); figures that
only look like years are not ("$2019.5 million", "12,2019 units")."""

from __future__ import annotations

import re

__all__ = ["is_year", "quarters_named", "title_quarters", "years_named"]

_YEAR = re.compile(r"(?<![\d.,$])(?:FY|CY)?\s?'?((?:18|19|20)\d\d)(?!\d|[.,]\d)", re.IGNORECASE)
_SHORT_YEAR = re.compile(r"\b(?:FY|CY)\s?'?(\d\d)\b", re.IGNORECASE)  # FY22: fiscal 2022
# A quarter before its year, glued or not: Q22023, Q2'2023, Q2-2023, Q2 FY2023 (`_YEAR` alone misses the
# first, a digit before the year); and Q2'23, Q2 FY23 (a short year needs the apostrophe or FY).
_QUARTER_YEAR = re.compile(r"(?<!\w)Q[1-4]\s?['’-]?\s?(?:FY|CY)?\s?'?((?:18|19|20)\d\d)(?!\d|[.,]\d)", re.IGNORECASE)
_QUARTER_SHORT = re.compile(r"(?<!\w)Q[1-4]\s?(?:['’]|['’-]?\s?(?:FY|CY)\s?'?)(\d\d)\b", re.IGNORECASE)
# A year with its quarter after it, as one word: FY2023Q1, 2023Q2 (`_YEAR` reads the year in a question).
_YEAR_QUARTER = re.compile(r"(?:FY|CY)?'?(?:(?:18|19|20)\d\d|\d\d)['’-]?Q[1-4]", re.IGNORECASE)


def years_named(text: str) -> list[int]:
    """The years the text names, each once: four-digit ones in the order written, then FY22-style ones."""
    def written(patterns, plus: int = 0) -> list[int]:  # in the order written, whichever pattern found them
        return [year + plus for _, year in sorted((m.start(1), int(m.group(1)))
                                                  for pattern in patterns for m in pattern.finditer(text))]

    return list(dict.fromkeys(written((_YEAR, _QUARTER_YEAR)) + written((_SHORT_YEAR, _QUARTER_SHORT), 2000)))


_QUARTER = re.compile(r"(?<![A-Za-z0-9])Q([1-4])(?!\d{1,3}(?!\d))|\b(first|second|third|fourth)\s+quarter\b",
                      re.IGNORECASE)  # Q2, Q22023, Q2'23, second quarter; not Q10 or Q123
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_TITLE_QUARTER = re.compile(r"(?:(?<=\d)|(?<![a-z0-9]))q([1-4])(?![0-9]{1,3}(?![0-9]))", re.IGNORECASE)


def quarters_named(text: str) -> set[int]:
    """The quarters a question names: Q2, Q22023, Q2'2023, Q2 of FY2024, the second quarter."""
    return {int(m.group(1)) if m.group(1) else _ORDINAL[m.group(2).lower()] for m in _QUARTER.finditer(text)}


def title_quarters(title: str) -> set[int]:
    """The quarters a title carries, as file names write them: "AMCOR 2023Q2 10Q", "q3 2021 report"."""
    return {int(q) for q in _TITLE_QUARTER.findall(title)}


def is_year(word: str) -> bool:
    """Whether a word is a year alone (2019, FY2019, FY19), or with its quarter (Q22023, FY2023Q1): a
    period, not a name."""
    periods = (_YEAR, _SHORT_YEAR, _QUARTER_YEAR, _QUARTER_SHORT, _YEAR_QUARTER)
    return any(pattern.fullmatch(word) for pattern in periods)
