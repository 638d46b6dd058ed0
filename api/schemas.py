"""Request and response bodies of the REST API. Validation rules come from core (collection names,
page ranges, tags); what a response carries of the server is URLs and display names, never paths."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..core.types import (
    COLLECTION_NAME,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    PAGE_RANGE,
    Answer,
    Citation,
    Document,
    Filters,
    Hit,
    parse_pages,
)

__all__ = [
    "AnswerOut",
    "AnswerRequest",
    "AnswerResponse",
    "COLLECTION",
    "ChatMessage",
    "ChatRequest",
    "CitationOut",
    "CollectionOut",
    "DocumentOut",
    "FiltersIn",
    "HitOut",
    "JobFileOut",
    "JobOut",
    "Problem",
    "SearchRequest",
    "SearchResponse",
    "page_url",
]

COLLECTION = f"^{COLLECTION_NAME}$"
Ref = Annotated[str, Field(min_length=1, max_length=200)]
Tag = Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH)]


def page_url(doc_id: str, page: int, collection: str | None = None, kind: str = "image") -> str:
    query = f"?collection={collection}" if collection else ""
    return f"/v1/documents/{doc_id}/pages/{page}/{kind}{query}"


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[Ref] | None = Field(default=None, max_length=100,
                                        description="document ids, unique id prefixes or file names")
    doc_ids: list[Ref] | None = Field(default=None, max_length=100, description="the same as documents (older name)")
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    file: str | None = Field(default=None, max_length=200, description="file-name glob")
    pages: str | None = Field(default=None, pattern=PAGE_RANGE, description="3-7, 3-, -7 or 5 (pages from 1)")
    collection: str | None = Field(default=None, pattern=COLLECTION)

    def filters(self) -> Filters:
        refs = [*(self.documents or []), *(self.doc_ids or [])]
        return Filters(documents=tuple(refs) if refs else None, tags=tuple(self.tags) if self.tags else None,
                       file=self.file, pages=parse_pages(self.pages))


class SearchRequest(FiltersIn):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=5, ge=1, le=100)
    channels: list[Literal["visual", "figure", "text", "bm25"]] | None = Field(
        default=None, max_length=4, description="only these channels (one alone: its own ranking)")


class HitOut(BaseModel):
    doc_id: str
    file_name: str
    page: int
    score: float
    channels: list[str]
    region: dict | None = None
    text: str = ""
    image_url: str

    @classmethod
    def of(cls, hit: Hit, collection: str | None = None) -> HitOut:
        return cls(**hit.model_dump(mode="json", exclude={"image_path"}),
                   image_url=page_url(hit.doc_id, hit.page, collection))


class SearchResponse(BaseModel):
    hits: list[HitOut]
    channels: list[str]
    skipped: dict[str, str]


class AnswerRequest(FiltersIn):
    question: str = Field(min_length=1, max_length=2000)
    k: int | None = Field(default=None, ge=1, le=20, description="pages the answerer reads")
    stream: StrictBool = False


class CitationOut(BaseModel):
    marker: int
    doc_id: str
    file_name: str
    page: int
    box: tuple[float, float, float, float] | None = None
    quote: str = ""
    page_width: float | None = None
    page_height: float | None = None
    image_url: str

    @classmethod
    def of(cls, citation: Citation, collection: str | None = None) -> CitationOut:
        return cls(**citation.model_dump(mode="json", exclude={"image_path"}),
                   image_url=page_url(citation.doc_id, citation.page, collection))


class AnswerOut(BaseModel):
    text: str
    citations: list[CitationOut]
    extractive: bool
    answerer: str
    dropped_citations: list[str]

    @classmethod
    def of(cls, answer: Answer, collection: str | None = None) -> AnswerOut:
        return cls(**answer.model_dump(mode="json", exclude={"citations", "pages"}),
                   citations=[CitationOut.of(c, collection) for c in answer.citations])


class AnswerResponse(BaseModel):
    answer: AnswerOut
    pages: list[HitOut]


class DocumentOut(BaseModel):
    """A document as the API shows it: its display name, never the path it was read from."""

    id: str
    file_name: str
    media_type: str
    pages: int
    tags: list[str]
    ingested_at: str
    repaired: bool
    warnings: list[str]

    @classmethod
    def of(cls, doc: Document) -> DocumentOut:
        return cls(**doc.model_dump(mode="json", exclude={"source"}))


class CollectionOut(BaseModel):
    name: str
    exists: bool
    documents: int
    pages: int
    profile: str
    profile_why: str
    channels: list[str]
    skipped: dict[str, str]
    encoders: dict[str, str]
    answerer: str
    answerer_why: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens...: accepted, not used

    model: str | None = Field(default=None, max_length=64)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: StrictBool = False


class JobFileOut(BaseModel):
    name: str
    status: str
    pages_done: int
    pages_total: int | None
    doc_id: str | None
    error: str | None


class JobOut(BaseModel):
    id: str
    collection: str
    status: str
    pages_done: int
    pages_total: int | None
    files: list[JobFileOut]

    @classmethod
    def of(cls, job) -> JobOut:
        return cls(id=job.id, collection=job.collection, status=job.status, pages_done=job.pages_done,
                   pages_total=job.pages_total,
                   files=[JobFileOut(**{k: getattr(f, k) for k in JobFileOut.model_fields}) for f in job.files])


class Problem(BaseModel):
    detail: str | list[dict] = Field(description="what went wrong; for invalid fields, one entry per field")
