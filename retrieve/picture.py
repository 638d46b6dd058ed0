"""A picture asked as a question, searched by its words: pure functions over the words OCR read in it.

The lite profile has no model that embeds a picture, so a picture is found by what it says: its words (and
any the user typed) are the query, and the best page found is the picture's page when it holds most of the
picture's words (`held`). A photo of a cat reads no words; a page of a document not in the collection
shares only common words with the page found: both are taken for pictures of nothing here.
"""

from __future__ import annotations

import re

__all__ = ["MIN_WORDS", "held", "picture_query", "words_of"]

MIN_WORDS = 3  # a picture reading fewer distinct words than this says nothing to search by
QUERY_CHARS = 2000  # of the picture's words, the query takes this many (a whole page reads far more)
_WORD = re.compile(r"[^\W_]{3,}")


def words_of(text: str) -> set[str]:
    """The distinct words of three letters or digits or more, lower case: what a picture and a page are
    compared by (short tokens are mostly OCR's noise: "ii", "=", "|")."""
    return set(_WORD.findall(text.lower()))


def picture_query(read: str, typed: str = "") -> str:
    """What a picture asks: the words the user typed, then the picture's own (most of the query; at most
    QUERY_CHARS of them, whole lines)."""
    lines, size = [], 0
    for line in (ln.strip() for ln in read.splitlines()):
        if not line:
            continue
        if size + len(line) > QUERY_CHARS:
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(filter(None, [typed.strip(), *lines]))


def held(words: set[str], page_text: str) -> float:
    """The share of a picture's distinct words (`words_of` its reading) that the page's text holds (0 when
    it reads none)."""
    return len(words & words_of(page_text)) / len(words) if words else 0.0
