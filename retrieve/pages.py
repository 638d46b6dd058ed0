"""The pages a question points at by number: "on page 17", "from Page 3 to Page 10", "pages 100-120",
"slide 14", "pp. 4-5", and in French "à la page 12", "pages 3 à 5", "diapositive 4". A question that
says which page it is about is about that page of its document, whatever its words match.

Numbers are a document's own, as a reader sees them: the file's pages counted from 1 (a slide deck's slide
N is its page N), unless its pages print other numbers. A report whose cover and contents go unnumbered
prints "27" on its 28th page, and "page 27" of it is that page: `printed_offset` reads the numbers the
pages around the one named print (the PDF's page labels, else a number alone, "Page 27 of 90" or a
running head's "Chapter 3 | 27" in the top or bottom band of the page) and, when they agree, how far
the file runs ahead of them. A range is kept to its first MAX_RANGE pages.
"""

from __future__ import annotations

import re
from collections import Counter

from ..core.types import Page

__all__ = ["MAX_RANGE", "pages_named", "printed_number", "printed_offset"]

MAX_RANGE = 30  # pages of one range kept ("Pages 400-640" is its first 30)

_WORD = r"(?:pages?|pp?\.|slides?|diapositives?)"
_RANGE = r"(?:-|–|—|to|through|thru|à|au)"  # "3-10", "3 to 10", "3 à 10"
_LIST = r"(?:,|and|or|&|et|ou)"  # "2 and 4", "2, 4 et 6"
# After a number, the next of a range or a list (its joint, its number): "-10", " to page 10", ", 4", " et la
# page 6". One pattern for both uses: repeated after the first number, then read one by one.
_STEP = rf"\s*({_RANGE}|{_LIST})\s*(?:(?:la\s+)?{_WORD}\s*)?(\d{{1,4}})\b"
_STEP_RE = re.compile(_STEP, re.IGNORECASE)
# A number standing alone (not "10-K", "4a", "5 %"), then any that follow it.
_REFERENCE = re.compile(rf"\b{_WORD}\s*(?P<first>\d{{1,4}})(?!\d|\s*%|-?[^\W\d_])(?P<rest>(?:{_STEP})*)",
                        re.IGNORECASE)
_IS_RANGE = re.compile(rf"^{_RANGE}$", re.IGNORECASE)


def pages_named(question: str) -> tuple[int, ...]:
    """The pages a question names, in the order it names them, each once (a range as its pages)."""
    pages: list[int] = []
    for m in _REFERENCE.finditer(question):
        last = int(m.group("first"))
        named = [last]
        for joint, digits in _STEP_RE.findall(m.group("rest")):
            number = int(digits)
            if _IS_RANGE.match(joint) and number > last:
                named.extend(range(last + 1, min(number, last + MAX_RANGE - 1) + 1))
            else:
                named.append(number)
            last = number
        pages.extend(p for p in named if p >= 1)
    return tuple(dict.fromkeys(pages))


BAND = 0.12  # of a page's height, at its top and at its bottom: where a page prints its own number
_ALONE = re.compile(r"^(?:page\s+|p\.\s*|-\s*)?(\d{1,4})(?:\s*-)?(?:\s+(?:of|/|sur)\s+\d{1,4})?$", re.IGNORECASE)
_RUNNING = re.compile(r"^(\d{1,4})\s*[|•·]\s*\S|\S\s*[|•·]\s*(\d{1,4})$")  # "27 | Annual report", "Chapter 3 | 28"


def printed_number(page: Page) -> int | None:
    """The number a page gives itself: its label in the file when it has one (None for "iv"), else a
    number its top or bottom band prints alone, as "Page 27 (of 90)", or at either end of a running head
    after a bar; None when it prints none."""
    if page.label:
        return int(page.label) if page.label.isascii() and page.label.isdigit() else None
    if page.height <= 0:
        return None
    for block in page.blocks:
        if block.box[3] > BAND * page.height and block.box[1] < (1 - BAND) * page.height:
            continue  # neither within the top band nor within the bottom one
        text = " ".join(block.text.split())
        if found := _ALONE.match(text) or _RUNNING.search(text):
            return int(next(g for g in found.groups() if g))
    return None


def printed_offset(pages: list[Page]) -> int:
    """How far a document's file pages run ahead of the numbers they print (file page - printed number),
    read from `pages` (a few neighbours): the offset at least two of them agree on, given by two thirds of
    those that print one; 0 when they print none, or disagree (dates, years, a web page's "1/2")."""
    offsets = Counter(page.number - n for page in pages if (n := printed_number(page)) is not None)
    if not offsets:
        return 0
    offset, count = offsets.most_common(1)[0]
    return offset if count >= 2 and 3 * count >= 2 * sum(offsets.values()) else 0
