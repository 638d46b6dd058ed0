"""Citations in a generated answer: markers checked against the pages given, boxes found on them.

A model cites with markers ([2], [1, 3]) or, now and then, by name ([report.pdf, page 4]). Named
citations to a page that was given become its marker; markers or names pointing at anything
else are removed from the text and reported, never shown as if they were evidence.
"""

from __future__ import annotations

import logging
import re

from ..core.types import Box, Citation
from .prompt import Evidence

__all__ = ["resolve_citations", "best_box"]

log = logging.getLogger(__name__)

_MARKER = r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]"
_MARKERS = re.compile(_MARKER)
# with the blanks before them, which go too when a citation is removed
_CITED_MARKERS = re.compile(r"[ \t]*" + _MARKER)
_CITED_NAMES = re.compile(r"[ \t]*\[([^\[\]\n]{1,200}?),\s*(?:page|p\.?)\s*(\d{1,5})\]", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def _blank(m: re.Match) -> str:
    return m.group(0)[:len(m.group(0)) - len(m.group(0).lstrip(" \t"))]


def resolve_citations(answer: str, evidence: list[Evidence]) -> tuple[str, list[Citation], list[str]]:
    """(text with only valid markers, citations in order of first use, the citations dropped)."""
    by_marker = {e.marker: e for e in evidence}
    by_name = {(e.hit.file_name.strip().lower(), e.hit.page): e.marker for e in evidence}
    dropped: list[str] = []

    def named(m: re.Match) -> str:
        marker = by_name.get((m.group(1).strip().lower(), int(m.group(2))))
        if marker is None:
            dropped.append(m.group(0).lstrip())
            return ""
        return f"{_blank(m)}[{marker}]"

    def markers(m: re.Match) -> str:
        numbers = [int(n) for n in m.group(1).split(",")]
        kept = [n for n in numbers if n in by_marker]
        dropped.extend(f"[{n}]" for n in numbers if n not in by_marker)
        return f"{_blank(m)}[{', '.join(map(str, kept))}]" if kept else ""

    text = _CITED_MARKERS.sub(markers, _CITED_NAMES.sub(named, answer)).strip()
    if dropped:
        log.warning("dropped citations to pages the answerer was not given: %s", ", ".join(dropped))

    citations: dict[int, Citation] = {}
    for m in _MARKERS.finditer(text):
        claim = _claim(text, m.start())
        for n in (int(x) for x in m.group(1).split(",")):
            if n not in citations:
                e = by_marker[n]
                citations[n] = Citation(marker=n, doc_id=e.hit.doc_id, file_name=e.hit.file_name, page=e.hit.page,
                                        box=best_box(claim, e), image_path=e.hit.image_path, **e.page_size)
    return text, list(citations.values()), dropped


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
