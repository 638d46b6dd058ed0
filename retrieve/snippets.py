"""What a hit shows of its page: the stretch of its matched text with the most of the query's words,
and where those words are in it. A pure function: the retriever trims every hit's text with it, and
each face marks the words its own way."""

from __future__ import annotations

import re

__all__ = ["matched_words", "snippet"]

_WORD = re.compile(r"[^\W_]+(?:[.,'][^\W_]+)*", re.UNICODE)
_STOP = frozenset("""a an and are as at be by did do does for from had has have how in is it its of on or
that the their this to was were what when where which who why will with""".split())


def _terms(query: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(query) if w.lower() not in _STOP}


def snippet(text: str, query: str, width: int = 240, lead: int = 40) -> str:
    """The window of about `width` characters of `text` holding the most distinct query words, starting a
    little (`lead`) before the first of them (the start of the text when none is there); cut at word
    boundaries, with "..." where it was cut."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    terms = _terms(query)
    words = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(flat)]
    begin, best = 0, 0
    for start, _, word in words:
        if word not in terms:
            continue
        left = max(0, start - lead)
        left = next((s for s, _, _ in words if s >= left), start)  # at a word's start
        found = {w for s, e, w in words if s >= left and e <= left + width and w in terms}
        if len(found) > best:
            begin, best = left, len(found)
    window = flat[begin:begin + width]
    cut = window.rfind(" ") if begin + width < len(flat) and " " in window else len(window)
    return ("..." if begin > 0 else "") + window[:cut].strip() + ("..." if begin + cut < len(flat) else "")


def matched_words(text: str, query: str) -> list[tuple[int, int]]:
    """(start, end) of each word of `text` that is one of the query's words."""
    terms = _terms(query)
    return [(m.start(), m.end()) for m in _WORD.finditer(text) if m.group(0).lower() in terms]
