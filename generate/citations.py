"""Citations in a generated answer: markers checked against the pages given, boxes found on them.

A model cites with markers ([2], [1, 3]) or, now and then, by name ([report.pdf, page 4]). Named
citations to a page that was given become its marker; markers or names pointing at anything
else are removed from the text and reported, never shown as if they were evidence.

The check runs on the stream itself (`CitationStream`): text that could still become a citation
(an open bracket, and the blanks before it) is held back until it is resolved, so no client ever
sees a citation that the final answer drops, and the text streamed is the final text exactly.
"""

from __future__ import annotations

import logging
import re

from ..core.types import Box, Citation
from .markers import CITED, MARKERS, NAME_CHARS, blank
from .prompt import Evidence

__all__ = ["CitationStream", "best_box", "cite", "resolve_citations"]

log = logging.getLogger(__name__)

_HOLD = NAME_CHARS + 24  # the longest a citation can be: [name, page 12345]
_WORD = re.compile(r"\w+")


class CitationStream:
    """Text deltas in; out, the same text with every citation checked, as soon as it is final."""

    def __init__(self, evidence: list[Evidence]):
        self.by_marker = {e.marker: e for e in evidence}
        self.by_name = {(e.hit.file_name.strip().lower(), e.hit.page): e.marker for e in evidence}
        self.dropped: list[str] = []
        self._pending = ""
        self._shown: list[str] = []

    @property
    def text(self) -> str:
        """Everything shown so far; after `close`, the answer's text."""
        return "".join(self._shown)

    def feed(self, delta: str) -> str:
        """What of the text so far can be shown now."""
        self._pending += delta
        cut = _final_up_to(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._show(self._checked(ready))

    def close(self) -> str:
        """The rest, at the end of the answer (its trailing blanks dropped)."""
        rest, self._pending = self._checked(self._pending).rstrip(), ""
        if self.dropped:
            log.warning("dropped citations to pages the answerer was not given: %s", ", ".join(self.dropped))
        return self._show(rest)

    def _show(self, text: str) -> str:
        if not self._shown or not "".join(self._shown):
            text = text.lstrip()  # an answer starts with its first word
        self._shown.append(text)
        return text

    def _checked(self, text: str) -> str:
        """Citations to pages given kept (a name becomes its marker), the others removed, in the order
        they come."""

        def check(m: re.Match) -> str:
            name, page, numbers = m.groups()
            if name is not None:
                kept = [self.by_name[key]] if (key := (name.strip().lower(), int(page))) in self.by_name else []
                if not kept:
                    self.dropped.append(m.group(0).lstrip())
            else:
                asked = [int(n) for n in numbers.split(",")]
                kept = [n for n in asked if n in self.by_marker]
                self.dropped.extend(f"[{n}]" for n in asked if n not in self.by_marker)
            return f"{blank(m)}[{', '.join(map(str, kept))}]" if kept else ""

        return CITED.sub(check, text)


def _final_up_to(text: str) -> int:
    """How much of the text is final: all but an open bracket that may still close as a citation, the
    blanks before it, and trailing white space (a citation removed takes its blanks with it, and the
    answer's end is stripped)."""
    end = len(text)
    opened = text.rfind("[")
    if opened != -1 and "]" not in text[opened:] and end - opened <= _HOLD:
        end = opened
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


def resolve_citations(answer: str, evidence: list[Evidence]) -> tuple[str, list[Citation], list[str]]:
    """(text with only valid markers, citations in order of first use, the citations dropped): what
    a CitationStream gives for the whole answer at once."""
    stream = CitationStream(evidence)
    stream.feed(answer)
    stream.close()
    return stream.text, cite(stream.text, evidence), stream.dropped


def cite(text: str, evidence: list[Evidence]) -> list[Citation]:
    """The citations of a checked text, in order of first use, each with the box it points at."""
    by_marker = {e.marker: e for e in evidence}
    citations: dict[int, Citation] = {}
    for m in MARKERS.finditer(text):
        claim = _claim(text, m.start())
        for n in (int(x) for x in m.group(1).split(",")):
            if n not in citations and n in by_marker:
                e = by_marker[n]
                citations[n] = Citation(marker=n, doc_id=e.hit.doc_id, file_name=e.hit.file_name, page=e.hit.page,
                                        box=best_box(claim, e), image_path=e.hit.image_path, **e.page_size)
    return list(citations.values())


def _claim(text: str, end: int) -> str:
    """The sentence a marker closes: from the previous sentence end (or marker) up to it."""
    start = max(text.rfind(". ", 0, end), text.rfind("]", 0, end), text.rfind("\n", 0, end))
    return text[start + 1:end]


def best_box(claim: str, evidence: Evidence) -> Box | None:
    """The box of the page region sharing the most words with the claim; the hit's own region
    when none shares at least two; else None (the whole page)."""
    words = {w.lower() for w in _WORD.findall(claim) if len(w) > 2 or w.isdigit()}
    best, best_overlap = None, 1
    if evidence.page is not None and words:
        for region in evidence.page.regions:
            overlap = len(words & {w.lower() for w in _WORD.findall(region.text)})
            if overlap > best_overlap:
                best, best_overlap = region.box, overlap
    if best is None and evidence.hit.region is not None:
        return evidence.hit.region.box
    return best
