"""The years a question names, read one way for every layer: 1940, FY2019, CY 2020, FY19 (as 2019);
figures that only look like years are not ("$2019.5 million", "12,2019 units")."""

from __future__ import annotations

import re

__all__ = ["is_year", "years_named"]

_YEAR = re.compile(r"(?<![\d.,$])(?:FY|CY)?\s?'?((?:18|19|20)\d\d)(?!\d|[.,]\d)", re.IGNORECASE)
_SHORT_YEAR = re.compile(r"\b(?:FY|CY)\s?'?(\d\d)\b", re.IGNORECASE)  # FY22: fiscal 2022


def years_named(text: str) -> list[int]:
    """The years the text names, each once: four-digit ones in the order written, then FY22-style ones."""
    years = [int(m.group(1)) for m in _YEAR.finditer(text)]
    years += [2000 + int(m.group(1)) for m in _SHORT_YEAR.finditer(text)]
    return list(dict.fromkeys(years))


def is_year(word: str) -> bool:
    """Whether a word is a year alone (2019, FY2019, FY19): a period, not a name."""
    return bool(_YEAR.fullmatch(word) or _SHORT_YEAR.fullmatch(word))
