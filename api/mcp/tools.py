"""The MCP tools and resources, as methods over a `Backend` (the layers wired here, or a client of a
running server): each bounds its inputs as the REST API bounds them, and answers a PageSight error as
the tool's error message, never a traceback. `build_mcp` (the package's) registers them on a server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, Field

from ...core.errors import PageSightError
from ...core.types import MAX_TAG_LENGTH, MAX_TAGS, Filters, parse_pages, validate_collection_name
from ...generate.followup import history_of
from ..backend import MAX_IMAGE_CHARS, Backend, picture_bytes

__all__ = ["INSTRUCTIONS", "Tools", "page_uri"]

INSTRUCTIONS = """PageSight holds the user's documents (PDFs and images, page by page). Use `search` to find
the pages about something, `ask` for an answer quoted from or grounded in the pages with citations
(file and page), `get_page` to read a page whole (its text and its image), `list_documents` to see
what is there. Cite the file and page you used. An answer with abstained=true means the documents do
not say: tell the user so rather than guessing."""

Query = Annotated[str, Field(max_length=2000, description="what to look for, in plain words (with an image: "
                                                          "words to add, or empty)")]
Picture = Annotated[str | None, Field(max_length=MAX_IMAGE_CHARS, description="a picture as (part of) the question: "
                                      "a screenshot or a photo of a page, base64 (or a data: URL) of a PNG, JPEG, "
                                      "WebP or TIFF")]
K = Annotated[int, Field(ge=1, le=50, description="how many pages")]
Refs = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]] | None,
                 Field(max_length=100, description="only these documents: ids, id prefixes or file names")]
Tags = Annotated[list[Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH)]] | None,
                 Field(max_length=MAX_TAGS, description="only documents carrying any of these tags")]
Pages = Annotated[str | None, Field(max_length=20, description='a page range such as "3-7", "5" or "10-"')]
CollectionName = Annotated[str | None, Field(max_length=64, description="the collection (default: the server's)")]
History = Annotated[list[Annotated[str, Field(min_length=1, max_length=2000)]] | None,
                    Field(max_length=20, description="the conversation's earlier questions, oldest first: the "
                                                     "question is then a follow-up resolved against them")]
MAX_PAGE = 100_000


class PageHit(BaseModel):
    doc_id: str
    file_name: str
    page: int
    score: float
    channels: list[str]
    snippet: str = Field(description="the stretch of the page that matched")
    page_uri: str = Field(description="the page's image, as an MCP resource")


class SearchOut(BaseModel):
    hits: list[PageHit]
    channels: list[str] = Field(description="the retrieval channels that ran")
    picture: str | None = Field(default=None, description="with an image: what was read of it, and whether a page "
                                "matched it (no hits when none did: the picture is of nothing in these documents)")
    absent: str | None = Field(default=None, description="what the query asks for that its document does not "
                               "have (\"page 40 (log.pdf has 12)\"): the hits are only the nearest pages")


class CitationOut(BaseModel):
    marker: int = Field(description="the [n] in the answer's text")
    doc_id: str
    file_name: str
    page: int
    quote: str
    box: list[float] | None = Field(description="where on the page: x0, y0, x1, y1 in the page's units")


class AnswerOut(BaseModel):
    text: str
    abstained: bool = Field(description="true when the pages found do not answer the question")
    citations: list[CitationOut]
    pages_read: list[PageHit]
    answerer: str
    question: str = Field(description="the question as it was searched")


class DocumentOut(BaseModel):
    id: str
    file_name: str
    pages: int
    tags: list[str]
    ingested_at: str



class Tools:
    """What an assistant can do, over `backend(collection)` (called per request, for the collection named or
    the default); `collections()` lists what exists. The methods' signatures are the tools' schemas."""

    def __init__(self, backend: Callable[[str | None], Backend], collections: Callable[[], list[str]],
                 default_collection: str):
        self.backend, self.collections, self.default_collection = backend, collections, default_collection

    def search(self, query: Query = "", k: K = 5, documents: Refs = None, tags: Tags = None, pages: Pages = None,
               collection: CollectionName = None, image: Picture = None) -> SearchOut:
        """The pages that best match the query, best first, each with the passage that matched. With an
        `image` (base64), the pages the picture shows, found by its words."""
        found, name = self._open(collection)
        try:
            result = found.search(query, k, _filters(documents, tags, pages), image=_image(image))
        except (PageSightError, ValueError) as e:
            raise _tool_error(e) from None
        seen = result.picture
        said = None if seen is None else (
            f"{seen.words} words read; {seen.held:.0%} of them on the best page; "
            + ("matched" if seen.matched else result.skipped.get("picture", "no page matched")))
        return SearchOut(hits=[_hit(h, name) for h in result.hits], channels=result.channels, picture=said,
                         absent=result.absent)

    def ask(self, question: Query = "", k: Annotated[int | None, Field(ge=1, le=20, description="pages read")] = None,
            documents: Refs = None, tags: Tags = None, pages: Pages = None,
            collection: CollectionName = None, history: History = None, image: Picture = None) -> AnswerOut:
        """An answer from the documents, with [n] markers citing the pages (file, page, quote, box); or,
        when the pages found do not answer the question, abstained=true and a text that says so. With
        `history`, the question is a follow-up ("and the year before?") resolved against it first;
        `question` in the result says how it was searched. With an `image` (base64), the question is (also)
        that picture: the page it shows is found by its words, and a picture of nothing here is said so."""
        found, name = self._open(collection)
        try:
            answer = found.ask(question, k, _filters(documents, tags, pages), history=history_of(history or []),
                               image=_image(image))
        except (PageSightError, ValueError) as e:
            raise _tool_error(e) from None
        return AnswerOut(text=answer.text, abstained=answer.abstained, answerer=answer.answerer,
                         question=answer.question or question,
                         citations=[CitationOut(marker=c.marker, doc_id=c.doc_id, file_name=c.file_name, page=c.page,
                                                quote=c.quote, box=list(c.box) if c.box else None)
                                    for c in answer.citations],
                         pages_read=[_hit(h, name) for h in answer.pages])

    def list_documents(self, tags: Tags = None, collection: CollectionName = None) -> list[DocumentOut]:
        """The documents of the collection (with `tags`, those carrying any of them)."""
        found, _ = self._open(collection)
        try:
            return [_document(d) for d in found.documents(tags)]
        except PageSightError as e:
            raise _tool_error(e) from None

    def get_page(self, document: Annotated[str, Field(min_length=1, max_length=200,
                                                      description="id, id prefix or file name")],
                 page: Annotated[int, Field(ge=1, le=MAX_PAGE)], collection: CollectionName = None) -> list:
        """One page whole: its text (in reading order) and its image."""
        from mcp.server.mcpserver.utilities.types import Image

        found, _ = self._open(collection)
        try:
            view = found.page_view(document, page)
        except PageSightError as e:
            raise _tool_error(e) from None
        head = f"{view.document.file_name}, page {page} of {view.document.pages} (document {view.document.id})"
        return [f"{head}\n\n{view.page.text or '(no text on this page)'}",
                Image(data=view.image, format="png" if view.media_type == "image/png" else "jpeg")]

    def collection_list(self) -> list[str]:
        """The collections that exist."""
        return self.collections()

    def document_list(self, collection: str) -> list[dict]:
        """The documents of a collection."""
        try:
            docs = self.backend(validate_collection_name(collection)).documents()
        except (PageSightError, ValueError) as e:
            raise _not_found(e) from None
        return [_document(d).model_dump() for d in docs]

    def page_image(self, collection: str, doc_id: str, number: str) -> bytes:
        """A page's image."""
        try:
            if not number.isdigit() or not 1 <= int(number) <= MAX_PAGE:
                raise ValueError(f"no page {number[:20]!r}: pages are numbered 1 to {MAX_PAGE:,}")
            return self.backend(validate_collection_name(collection)).page_view(doc_id, int(number)).image
        except (PageSightError, ValueError) as e:
            raise _not_found(e) from None

    def _open(self, collection: str | None) -> tuple[Backend, str]:
        try:
            name = validate_collection_name(collection or self.default_collection)
            return self.backend(name), name
        except (PageSightError, ValueError) as e:  # a bad name, or one this caller may not use
            raise _tool_error(e) from None


def page_uri(collection: str, doc_id: str, page: int) -> str:
    return f"pagesight://{collection}/documents/{doc_id}/pages/{page}"


def _filters(documents, tags, pages) -> Filters:
    try:
        return Filters(documents=tuple(documents) if documents else None, tags=tuple(tags) if tags else None,
                       pages=parse_pages(pages))
    except ValueError as e:
        raise _tool_error(e) from None


def _hit(h, collection: str) -> PageHit:
    return PageHit(doc_id=h.doc_id, file_name=h.file_name, page=h.page, score=round(h.score, 4),
                   channels=h.channels, snippet=h.text[:600], page_uri=page_uri(collection, h.doc_id, h.page))


def _document(d) -> DocumentOut:
    return DocumentOut(id=d.id, file_name=d.file_name, pages=d.pages, tags=d.tags,
                       ingested_at=d.ingested_at.isoformat())


def _tool_error(e: Exception) -> Exception:
    from mcp.server.mcpserver.exceptions import ToolError

    return ToolError(_reason(e))


def _not_found(e: Exception) -> Exception:
    from mcp.server.mcpserver.exceptions import ResourceNotFoundError

    return ResourceNotFoundError(_reason(e))


def _reason(e: Exception) -> str:
    return e.reason if isinstance(e, PageSightError) else str(e)


def _image(value: str | None) -> bytes | None:
    return picture_bytes(value) if value else None
