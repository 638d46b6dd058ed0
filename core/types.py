"""Domain types shared by every stage: documents, pages, regions, hits, answers, citations.

Coordinates: a `Box` is (x0, y0, x1, y1) in page units (PDF points for PDFs) with the origin at
the top left of the page as displayed (rotation applied). The page image is `image_width` pixels
wide for `width` units, so pixels = units * image_width / width.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .errors import Ambiguous, NotFound

__all__ = [
    "Answer",
    "Box",
    "COLLECTION_NAME",
    "Citation",
    "Claim",
    "Document",
    "FileOutcome",
    "Filters",
    "Hit",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "Page",
    "Picture",
    "Turn",
    "PAGE_RANGE",
    "PageRange",
    "Region",
    "SearchResult",
    "TextSource",
    "find_document",
    "parse_pages",
    "title_of",
    "union",
    "validate_collection_name",
    "validate_tags",
]

Box = tuple[float, float, float, float]
TextSource = Literal["layer", "ocr", "none"]
PageRange = tuple[int | None, int | None]  # inclusive, 1-based; None for an open end

COLLECTION_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
PAGE_RANGE = r"^(?:[1-9][0-9]{0,5}(?:-(?:[1-9][0-9]{0,5})?)?|-[1-9][0-9]{0,5})$"  # 5, 3-7, 3- or -7
_COLLECTION_NAME = re.compile(COLLECTION_NAME)
MAX_TAGS = 32  # a document's tags are kept once per document, but a search filters by them
MAX_TAG_LENGTH = 64
_TAG = re.compile(r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff,]{1,%d}" % MAX_TAG_LENGTH)


def validate_collection_name(name: str) -> str:
    """Collection names become directory names, so they are kept to a safe alphabet."""
    if not _COLLECTION_NAME.fullmatch(name):
        raise ValueError(
            f"invalid collection name {name!r}: use 1-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return name


def validate_tags(tags) -> list[str]:
    """Tags as stored: stripped, without duplicates, sorted; at most MAX_TAGS of at most MAX_TAG_LENGTH
    characters each, without commas or control characters. ValueError names the first offender."""
    cleaned = sorted({t.strip() for t in tags if t.strip()})
    for tag in cleaned:
        if not _TAG.fullmatch(tag):
            raise ValueError(f"invalid tag {tag[:40]!r}: tags are 1-{MAX_TAG_LENGTH} characters, "
                             "without commas or control characters")
    if len(cleaned) > MAX_TAGS:
        raise ValueError(f"{len(cleaned)} tags; at most {MAX_TAGS} a document")
    return cleaned


def parse_pages(text: str | None) -> PageRange | None:
    """'3-7', '3-', '-7' or '5' as an inclusive range; ValueError for anything else."""
    if not text:
        return None
    if not re.fullmatch(PAGE_RANGE, text.strip()):
        raise ValueError(f"page range {text!r}: use N, N-M, N- or -M, with pages numbered from 1")
    low, sep, high = text.strip().partition("-")
    start = int(low) if low else None
    return start, (int(high) if high else None) if sep else start


def union(boxes) -> Box:
    """The smallest box holding all of these (rounded to a hundredth of a unit)."""
    boxes = list(boxes)
    return tuple(round(float(v), 2) for v in (  # type: ignore[return-value]
        min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)))


def title_of(file_name: str) -> str:
    """A document's title from its file name ("3M 2018 10K" for 3M_2018_10K.pdf): read with every text
    vector of the document and every quote, since a page of a filing rarely names its company and a
    question usually does."""
    return " ".join(Path(file_name).stem.replace("_", " ").replace("-", " ").split())


class Region(BaseModel):
    """A part of a page: a block of text or a figure (embedded image or vector drawing)."""

    kind: Literal["text", "figure"]
    box: Box
    text: str = ""
    image: str | None = Field(default=None, description="crop file, relative to the document's page folder")


class Page(BaseModel):
    number: int = Field(description="1-based")
    width: float
    height: float
    image_width: int
    image_height: int
    image: str = Field(description="page image file, relative to the document's page folder")
    thumbnail: str
    text: str = ""
    text_source: TextSource = "none"
    language: str = Field(default="", description="the language its text is in (core/language.py: eng, fra, ...); "
                          "empty when too little text tells")
    hidden_text_chars: int = Field(default=0, description="characters present in the file but invisible to a reader")
    label: str = Field(default="", description="the page's own number as the file labels it (PDF page labels: "
                       "\"iv\", \"27\"); empty when the file gives none")
    regions: list[Region] = Field(default_factory=list)

    @property
    def figures(self) -> list[Region]:
        return [r for r in self.regions if r.kind == "figure"]

    @property
    def blocks(self) -> list[Region]:
        return [r for r in self.regions if r.kind == "text"]


class Document(BaseModel):
    id: str = Field(description="sha256 of the file's bytes (hex, first 32 characters)")
    file_name: str
    source: str = Field(description="absolute path the file was ingested from")
    media_type: str
    pages: int
    tags: list[str] = Field(default_factory=list)
    ingested_at: datetime
    repaired: bool = Field(default=False, description="the PDF was damaged and MuPDF repaired it")
    warnings: list[str] = Field(default_factory=list)


class Hit(BaseModel):
    doc_id: str
    file_name: str
    page: int
    score: float
    channels: list[str] = Field(default_factory=list)
    region: Region | None = None
    text: str = ""
    image_path: str | None = None
    point: str | None = Field(default=None, exclude=True, description="the store's point that found the page "
                              "(a search reads its text, region and image for the hits it returns)")


class Citation(BaseModel):
    """What a marker such as [2] in an answer's text points at."""

    marker: int
    doc_id: str
    file_name: str
    page: int
    box: Box | None = Field(default=None, description="where on the page the cited text or figure is")
    quote: str = Field(default="", description="the cited text, when the answerer quotes")
    image_path: str | None = None
    page_width: float | None = Field(default=None, description="the page's size in the box's units, to draw the box")
    page_height: float | None = None


class Claim(BaseModel):
    """A sentence of a generated answer, checked against the pages it cites."""

    text: str
    markers: list[int] = Field(default_factory=list, description="the pages it cites, as [n] markers")
    supported: bool | None = Field(default=None, description="whether the cited pages hold its figures, names and "
                                   "enough of its words; None when it cites nothing")
    missing: list[str] = Field(default_factory=list, description="what of it the cited pages do not hold")
    box: Box | None = Field(default=None, description="the region of the first cited page that bears it best")


class Answer(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    question: str = Field(default="", description="the question as it was searched and answered: a follow-up "
                          "rewritten into a standalone question, or the question as asked")
    extractive: bool = Field(default=False, description="quoted from the pages, not generated")
    answerer: str = ""
    dropped_citations: list[str] = Field(
        default_factory=list, description="citations the model made to pages it was not given, removed from the text"
    )
    pages: list[Hit] = Field(default_factory=list, description="the pages the answerer read, [1] first")
    abstained: bool = Field(default=False, description="the pages found do not answer the question, and the "
                            "answer says so instead of answering")
    claims: list[Claim] = Field(default_factory=list, description="a generated answer's sentences, each checked "
                                "against the pages it cites")

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if c.supported is False]


@dataclass(frozen=True)
class Filters:
    """What a search or a question is limited to, as a user says it: documents by id, unique id prefix or
    file name; documents carrying any of some tags; file names matching a glob; a page range."""

    documents: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    file: str | None = None
    pages: PageRange | None = None


@dataclass
class SearchResult:
    hits: list[Hit]
    channels: list[str]  # the channels that ran
    skipped: dict[str, str] = field(default_factory=dict)  # channel -> why it did not run
    # A follow-up is searched as a standalone question: that question, and how it was rewritten
    # ("rules" or "model"); None when the question was searched as asked.
    question: str | None = None
    rewritten_by: str | None = None
    picture: Picture | None = None  # a picture asked as (part of) the question: what was read of it
    # What the question asks for that the document it is about does not have: "page 40 (log.pdf has 12)".
    absent: str | None = None


@dataclass
class Picture:
    """A picture asked as (part of) a question, as it was read: its words (OCR), how long reading took, and
    how many of its words the best page found holds (`held`, 0-1; below the collection's bar, the picture
    is taken for one of nothing in these documents, and no page is returned)."""

    text: str
    read_s: float
    words: int  # its distinct words, those `held` is counted over
    held: float = 0.0
    matched: bool = False
    thumbnail: str = field(default="", repr=False)  # the picture as it was read, small: a data: URL of a JPEG


@dataclass(frozen=True)
class Turn:
    """An earlier exchange of a conversation, as a follow-up is resolved against it: the question as it
    was searched (standalone), and the documents its answer cited."""

    question: str
    documents: tuple[str, ...] = ()


@dataclass
class FileOutcome:
    """What became of one file of an ingest: ingested, replaced (a changed file at a source ingested
    before), unchanged (its bytes are indexed already), failed with the reason, or cancelled (with the
    ingest, before it was written: nothing of it is indexed)."""

    path: str
    status: Literal["ingested", "replaced", "unchanged", "failed", "cancelled"]
    doc_id: str | None = None
    pages: int = 0
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


def find_document(documents: list[Document], ref: str) -> Document:
    """The one document a user means by `ref`: its id, a unique prefix of it, or its file name.
    NotFound when none matches; Ambiguous, listing them, when several do."""
    ref = ref.strip()
    if not ref:
        raise NotFound("no document given (an empty id)")
    # Never a pattern: "*" is a file name's character here, so `delete "*"` deletes no document at all.
    for match in (lambda d: d.id == ref, lambda d: d.id.startswith(ref.lower()) and len(ref) >= 4,
                  lambda d: d.file_name == ref):
        found = [d for d in documents if match(d)]
        if len(found) == 1:
            return found[0]
        if found:
            listed = "; ".join(f"{d.id[:12]} {d.file_name}" for d in found[:10])
            raise Ambiguous(f"{ref!r} matches {len(found)} documents ({listed}); give more of the id")
    raise NotFound(f"no document matches {ref!r} (give an id, a unique prefix of it, or a file name)")
