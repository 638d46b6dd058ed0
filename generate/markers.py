"""What a citation looks like in text: a marker ([2], [1, 3]) or a name and page ([report.pdf, page 4]),
and how to take that look away from document text that merely resembles one."""

from __future__ import annotations

import re

__all__ = ["CITED", "MARKERS", "NAME_CHARS", "blank", "defuse"]

MARKER = r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]"
MARKERS = re.compile(MARKER)
NAME_CHARS = 200
NAMED = r"\[([^\[\]\n]{1,%d}?),\s*(?:page|p\.?)\s*(\d{1,5})\]" % NAME_CHARS
# Either kind, with the blanks before it, which go too when a citation is removed. Groups: name, page, markers.
CITED = re.compile(r"[ \t]*(?:%s|%s)" % (NAMED, MARKER), re.IGNORECASE)


def blank(m: re.Match) -> str:
    """The blanks a CITED match starts with."""
    return m.group(0)[:len(m.group(0)) - len(m.group(0).lstrip(" \t"))]


def defuse(text: str) -> str:
    """Document text with anything shaped like a citation ([2], [1, 3], [x.pdf, page 44]) in parentheses
    instead: quoted to a reader, or shown to a model, page text never passes for a citation."""
    return CITED.sub(lambda m: blank(m) + "(" + m.group(0).lstrip(" \t")[1:-1] + ")", text)
