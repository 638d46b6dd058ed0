"""The pages a question points at by number: "on page 17", "from Page 3 to Page 10", "pages 100-120",
"slide 14", "pp. 4-5", and in French "à la page 12", "pages 3 à 5", "diapositive 4". A question that
says which page it is about is about that page of its document, whatever its words match.

Numbers are the file's own pages, counted from 1 (a slide deck's slide N is its page N); a book whose
printed numbers start later is not read here. A range is kept to its first MAX_RANGE pages.
"""

from __future__ import annotations

import re

__all__ = ["MAX_RANGE", "pages_named"]

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
