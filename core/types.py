"""Domain types shared by every stage: documents, pages, regions, hits, answers, citations.

Coordinates: a `Box` is (x0, y0, x1, y1) in page units (PDF points for PDFs) with the origin at
the top left of the page as displayed (rotation applied). The page image is `image_width` pixels
wide for `width` units, so pixels = units * image_width / width.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "Box",
    "Region",
    "Page",
    "Document",
    "Hit",
    "Citation",
    "Answer",
    "TextSource",
    "validate_collection_name",
]

Box = tuple[float, float, float, float]
TextSource = Literal["layer", "ocr", "none"]

_COLLECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def validate_collection_name(name: str) -> str:
    """Collection names become directory names, so they are kept to a safe alphabet."""
    if not _COLLECTION_NAME.fullmatch(name):
        raise ValueError(
            f"invalid collection name {name!r}: use 1-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return name


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
    hidden_text_chars: int = Field(default=0, description="characters present in the file but invisible to a reader")
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


class Answer(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    extractive: bool = Field(default=False, description="quoted from the pages, not generated")
    answerer: str = ""
    dropped_citations: list[str] = Field(
        default_factory=list, description="citations the model made to pages it was not given, removed from the text"
    )
