"""Passages: the units of page text that get their own text vectors.

A page's text blocks, in reading order, packed into passages of at most `max_words` words, so
each passage fits the sentence encoder's window (all-MiniLM-L6-v2 reads 256 word pieces; a
filing's words, numbers included, average about 1.5 pieces). Whole-page text overflows that
window and single blocks (a table cell, a heading) carry too little to match on; a passage
keeps neighbouring blocks together, and its box is the union of theirs. A block longer than
the limit is cut into overlapping windows that keep its own box.
"""

from __future__ import annotations

from ..core.types import Page, Region, union

__all__ = ["MAX_WORDS", "passages"]

MAX_WORDS = 120


def passages(page: Page, max_words: int = MAX_WORDS) -> list[Region]:
    out: list[Region] = []
    pending: list[Region] = []
    count = 0
    for block in page.blocks:
        words = block.text.split()
        if not words:
            continue
        if len(words) > max_words:
            out.extend(_join(pending))
            pending, count = [], 0
            step = max(1, max_words * 3 // 4)  # windows overlap by a quarter
            for start in range(0, len(words) - max_words + step, step):
                out.append(Region(kind="text", box=block.box, text=" ".join(words[start:start + max_words])))
            continue
        if count + len(words) > max_words:
            out.extend(_join(pending))
            pending, count = [], 0
        pending.append(block)
        count += len(words)
    out.extend(_join(pending))
    return out


def _join(blocks: list[Region]) -> list[Region]:
    if not blocks:
        return []
    return [Region(kind="text", box=union(b.box for b in blocks), text="\n".join(b.text for b in blocks))]
