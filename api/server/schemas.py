"""Request and response bodies of the REST API. Validation rules come from core (collection names,
page ranges, tags); what a response carries of the server is URLs and display names, never paths."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from ...core.types import (
    COLLECTION_NAME,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    PAGE_RANGE,
    Answer,
    Citation,
    Claim,
    Document,
    Filters,
    Hit,
    Page,
    Turn,
    parse_pages,
)
from ...generate.followup import history_of
from ..backend import MAX_IMAGE_CHARS, picture_bytes

__all__ = [
    "AnswerOut",
    "AnswerRequest",
    "AnswerResponse",
    "COLLECTION",
    "ChatMessage",
    "ChatRequest",
    "ConversationDetail",
    "ConversationIn",
    "ConversationOut",
    "ConversationPatch",
    "MessageOut",
    "MessageRequest",
    "MessageResponse",
    "PageOut",
    "PictureOut",
    "RequestBody",
    "Text",
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
MAX_MESSAGE_CHARS = 20_000  # one chat message; the question asked of it is cut to 2,000
# A lone surrogate is no Unicode text: refused anywhere in a body (a reply quoting it would fail to encode).
# A NUL character is, but no database column takes it (PostgreSQL refused it, and the message it came in
# was lost with a 500): refused in every text field the API reads (`Text`), which is all that is kept.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_NOT_TEXT = re.compile(r"[\ud800-\udfff\x00]")
NOT_UNICODE = "holds text that is not valid Unicode (a lone surrogate, as JSON's \\ud800 spells one): send UTF-8 text"
NOT_TEXT = ("holds text that is not valid Unicode (a lone surrogate, as JSON's \\ud800 spells one) or a NUL "
            "character: send UTF-8 text without NUL")


def _unicode(value: str) -> str:
    if _NOT_TEXT.search(value):
        raise ValueError(NOT_TEXT)
    return value


def _holds_surrogate(value, depth: int = 0) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if depth > 32:  # deeper than any body of this API: left to the field types to refuse
        return False
    if isinstance(value, dict):
        return any(_holds_surrogate(k, depth + 1) or _holds_surrogate(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_surrogate(v, depth + 1) for v in value)
    return False


# The schema says so too, so that generated clients (and schemathesis) know NUL is no text here.
Text = Annotated[str, AfterValidator(_unicode)]
Ref = Annotated[Text, Field(min_length=1, max_length=200)]
Tag = Annotated[Text, Field(min_length=1, max_length=MAX_TAG_LENGTH)]
Absent = Annotated[str | None, Field(description="what the question asks for that the document it is about does "
                                     "not have: \"page 40 (log.pdf has 12)\", in the request's language "
                                     "(Accept-Language: \"la page 40 (log.pdf en a 12)\")")]


class RequestBody(BaseModel):
    """A JSON body: any text in it, field names included, must be valid Unicode (a lone surrogate
    would otherwise reach the tokenizer, or the reply that quotes it, and fail there)."""

    @model_validator(mode="before")
    @classmethod
    def _text_is_unicode(cls, data):
        if _holds_surrogate(data):
            raise ValueError(f"the body {NOT_UNICODE}")
        return data


def page_url(doc_id: str, page: int, collection: str | None = None, kind: str = "image") -> str:
    query = f"?collection={collection}" if collection else ""
    return f"/v1/documents/{doc_id}/pages/{page}/{kind}{query}"


class FiltersIn(RequestBody):
    model_config = ConfigDict(extra="forbid")

    documents: list[Ref] | None = Field(default=None, max_length=100,
                                        description="document ids, unique id prefixes or file names")
    doc_ids: list[Ref] | None = Field(default=None, max_length=100, description="the same as documents (older name)")
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    file: Text | None = Field(default=None, max_length=200, description="file-name glob")
    pages: str | None = Field(default=None, pattern=PAGE_RANGE, description="3-7, 3-, -7 or 5 (pages from 1)")
    collection: str | None = Field(default=None, pattern=COLLECTION)

    def filters(self) -> Filters:
        refs = [*(self.documents or []), *(self.doc_ids or [])]
        return Filters(documents=tuple(refs) if refs else None, tags=tuple(self.tags) if self.tags else None,
                       file=self.file, pages=parse_pages(self.pages))


IMAGE_FIELD = ("a picture asked as (part of) the question: a screenshot or a photo of a page, a chart; PNG, "
               "JPEG, WebP or TIFF, as base64 or a data: URL (never a remote URL: PageSight fetches nothing)")
def _text_or_picture(schema: dict, model: type) -> None:
    """The schema says what the validator does: the text field (`_asked`) holds a word, or there is an image."""
    asked = model.__private_attributes__["_asked"].default
    schema["anyOf"] = [{"required": [asked], "properties": {asked: {"type": "string", "pattern": r"\S"}}},
                       {"required": ["image"], "properties": {"image": {"type": "string"}}}]


class _Pictured(RequestBody):
    """A request that may carry a picture; its text field (`_asked`) may then be left out."""

    model_config = ConfigDict(json_schema_extra=_text_or_picture)
    _asked = "query"
    image: str | None = Field(default=None, max_length=MAX_IMAGE_CHARS, description=IMAGE_FIELD)

    @model_validator(mode="after")
    def _something_asked(self):
        if not getattr(self, self._asked).strip() and self.image is None:
            raise ValueError(f"give a {self._asked}, an image, or both")
        return self

    def picture(self) -> bytes | None:
        return picture_bytes(self.image) if self.image is not None else None


class SearchRequest(FiltersIn, _Pictured):
    query: Text = Field(default="", max_length=2000)
    k: int = Field(default=5, ge=1, le=100)
    channels: list[Literal["visual", "figure", "text", "bm25"]] | None = Field(
        default=None, max_length=4, description="only these channels (one alone: its own ranking)")


class PictureOut(BaseModel):
    """What was read of a picture asked: its words, and whether the best page holds enough of them."""

    text: str
    read_s: float
    words: int
    held: float = Field(description="the share of the picture's words on the best page found")
    matched: bool = Field(description="false: the picture matches no page well (no page is returned for it)")

    @classmethod
    def of(cls, picture) -> PictureOut | None:
        return cls(**{name: getattr(picture, name) for name in cls.model_fields}) if picture is not None else None


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
    picture: PictureOut | None = None
    absent: Absent = None


class TurnIn(RequestBody):
    model_config = ConfigDict(extra="forbid")

    question: Text = Field(min_length=1, max_length=2000, description="an earlier question, as it was asked or "
                           "as it was searched")
    documents: list[Ref] = Field(default_factory=list, max_length=20, description="the documents its answer cited")


class AnswerRequest(FiltersIn, _Pictured):
    _asked = "question"
    question: Text = Field(default="", max_length=2000)
    k: int | None = Field(default=None, ge=1, le=20, description="pages the answerer reads")
    stream: StrictBool = False
    history: list[TurnIn] = Field(default_factory=list, max_length=20, description="the conversation so far, oldest "
                                  "first: the question is then a follow-up, rewritten into a standalone question")

    def turns(self) -> list[Turn]:
        """The history as a follow-up is resolved against it, as every face resolves one (followup.history_of)."""
        return history_of([t.question for t in self.history], [t.documents for t in self.history])


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
    question: str = Field(default="", description="the question as it was searched: a follow-up rewritten, or as "
                          "asked")
    extractive: bool
    answerer: str
    dropped_citations: list[str]
    abstained: bool = Field(description="the pages found do not answer the question, and the text says so")
    claims: list[Claim] = Field(description="a generated answer's sentences, each checked against the pages it cites")

    @classmethod
    def of(cls, answer: Answer, collection: str | None = None) -> AnswerOut:
        return cls(**answer.model_dump(mode="json", exclude={"citations", "pages"}),
                   citations=[CitationOut.of(c, collection) for c in answer.citations])


class AnswerResponse(BaseModel):
    answer: AnswerOut
    pages: list[HitOut]
    question: str | None = Field(default=None, description="the follow-up as it was searched, when rewritten")
    rewritten_by: str | None = None
    picture: PictureOut | None = None
    absent: Absent = None


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


class RegionOut(BaseModel):
    kind: str
    box: list[float] = Field(description="x0, y0, x1, y1 in the page's units (width, height)")
    text: str


class PageOut(BaseModel):
    """A page: its size, its text and its regions, and where its images are."""

    doc_id: str
    file_name: str
    number: int
    width: float
    height: float
    text: str
    text_source: str
    regions: list[RegionOut]
    image_url: str
    thumbnail_url: str

    @classmethod
    def of(cls, doc: Document, page: Page, collection: str | None = None) -> PageOut:
        return cls(doc_id=doc.id, file_name=doc.file_name, number=page.number, width=page.width, height=page.height,
                   text=page.text, text_source=page.text_source,
                   regions=[RegionOut(kind=r.kind, box=list(r.box), text=r.text) for r in page.regions],
                   image_url=page_url(doc.id, page.number, collection),
                   thumbnail_url=page_url(doc.id, page.number, collection, "thumbnail"))


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


class ChatMessage(RequestBody):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: Text | list[dict] | None = Field(default=None, max_length=MAX_MESSAGE_CHARS,
                                              description="text, or at most 50 content parts")

    @model_validator(mode="after")
    def _bounded(self) -> ChatMessage:
        if isinstance(self.content, list):
            if len(self.content) > 50:
                raise ValueError("a message has at most 50 content parts")
            if sum(len(str(p.get("text", ""))) for p in self.content) > MAX_MESSAGE_CHARS:
                raise ValueError(f"a message has at most {MAX_MESSAGE_CHARS:,} characters of text")
        return self


class ChatRequest(RequestBody):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens...: accepted, not used

    model: Text | None = Field(default=None, max_length=64)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: StrictBool = False


class JobFileOut(BaseModel):
    name: str
    status: str
    pages_done: int
    pages_total: int | None
    doc_id: str | None
    error: str | None = Field(description="why it failed or was cancelled")
    note: str | None = Field(default=None, description="why it was left unchanged (already indexed, or the same "
                             "bytes as another file of the upload)")


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
    kind: str | None = Field(default=None, description="the PageSight error it was (BadPicture, CorruptDocument, "
                             "NotFound...), when it was one")


# ---- conversations --------------------------------------------------------------------------------

Title = Annotated[Text, Field(max_length=200)]


class ConversationIn(RequestBody):
    model_config = ConfigDict(extra="forbid")

    title: Title = ""
    collection: str | None = Field(default=None, pattern=COLLECTION)
    documents: list[Ref] | None = Field(default=None, max_length=100, description="the scope: documents (ids, id "
                                        "prefixes or file names) every question of the conversation is limited to")
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS, description="the scope: documents with any "
                                   "of these tags")


class ConversationPatch(RequestBody):
    """Only the fields sent change; null clears a scope."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    documents: list[Ref] | None = Field(default=None, max_length=100)
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)


class MessageRequest(_Pictured):
    model_config = ConfigDict(extra="forbid")
    _asked = "question"

    question: Text = Field(default="", max_length=2000)
    k: int | None = Field(default=None, ge=1, le=20, description="pages the answerer reads")
    stream: StrictBool = False


class MessageOut(BaseModel):
    id: int
    position: int
    question: str
    standalone: str | None = Field(description="the follow-up as it was searched, when it was rewritten")
    rewritten_by: str | None = Field(description="rules or model; picture: the question searched with the words "
                                     "read in the picture asked")
    answer: str
    citations: list[dict]
    pages: list[dict]
    claims: list[dict]
    answerer: str
    abstained: bool
    error: str | None
    timings: dict[str, float] = Field(description="milliseconds: search (with the rewrite), answer, total")
    created_at: datetime
    picture: str | None = Field(default=None, description="a picture asked: a thumbnail of it as it was read "
                                "(a data: URL of a small JPEG)")

    @classmethod
    def of(cls, message) -> MessageOut:
        return cls(**{name: getattr(message, name) for name in cls.model_fields})


class ConversationOut(BaseModel):
    id: str
    title: str
    collection: str | None
    documents: list[str] | None
    tags: list[str] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, conversation) -> ConversationOut:
        return cls(**{name: getattr(conversation, name) for name in cls.model_fields})


class ConversationDetail(ConversationOut):
    messages: list[MessageOut] = Field(description="the latest messages asked for, oldest first")
    total: int = Field(description="how many messages the conversation holds")
    earlier: bool = Field(description="whether messages before these exist (ask with before=<first position>)")

    @classmethod
    def of(cls, conversation) -> ConversationDetail:
        return cls(**ConversationOut.of(conversation).model_dump(), total=conversation.total,
                   earlier=conversation.earlier, messages=[MessageOut.of(m) for m in conversation.messages])


class MessageResponse(BaseModel):
    message: MessageOut
    answer: AnswerOut
    pages: list[HitOut]
