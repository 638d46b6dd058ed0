"""PageSight as a Model Context Protocol server: an assistant (Claude Desktop, an IDE, any MCP client)
searches the user's documents, asks them questions, lists them and reads a page, image included.

    pagesight mcp                  (stdio: the client starts it; local data, or the server running on it)
    pagesight serve  ->  /mcp      (streamable HTTP, behind the same API key as every other route)

Tools: `search`, `ask`, `list_documents`, `get_page`. Resources: the collections, a collection's
documents (`pagesight://<collection>/documents`), and each page's image as
`pagesight://<collection>/documents/<id>/pages/<n>`. Every tool works on a `Backend` (the
layers wired here, or a client of a running server), as the CLI does; inputs are bounded as the REST
API bounds them, and a PageSight error comes back as the tool's error message, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Annotated

from pydantic import BaseModel, Field

from ..core.errors import PageSightError
from ..core.types import MAX_TAG_LENGTH, MAX_TAGS, Filters, parse_pages, validate_collection_name
from ..generate.followup import history_of
from .backend import Backend
from .schemas import MAX_IMAGE_CHARS, picture_bytes

__all__ = ["HttpEndpoint", "build_mcp"]

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


def _server_class():
    """MCPServer, answering arguments that fail validation (and unknown tools) as the protocol errors they
    are (-32602, Invalid params), where the SDK makes them a tool's failed result."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
    from mcp.shared.exceptions import MCPError
    from mcp_types import INVALID_PARAMS
    from pydantic import ValidationError

    class Server(MCPServer):
        async def call_tool(self, name, arguments, context=None):
            if name not in {tool.name for tool in await self.list_tools()}:
                raise MCPError(code=INVALID_PARAMS, message=f"no tool {name!r}: tools/list names them")
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as e:
                if isinstance(e, UnexpectedToolError) or not isinstance(e.__cause__, ValidationError):
                    raise
                # Where and why, never the values: they are the caller's data.
                wrong = sorted({f"{'.'.join(str(p) for p in err['loc'])} ({err['msg']})"
                                for err in e.__cause__.errors()})
                message = f"invalid arguments for {name}: {'; '.join(wrong)}"
                raise MCPError(code=INVALID_PARAMS, message=message) from None

        def run_stdio(self) -> None:
            """On stdin/stdout, as `run("stdio")`, but answering every line: one that is not JSON (or not
            UTF-8 text: a lone surrogate) gets a -32700 Parse error, JSON that is no JSON-RPC message a
            -32600 Invalid request, each with a null id (the SDK logs such a line and answers nothing,
            and the client waits forever)."""
            import anyio
            from mcp.server.stdio import stdio_server

            async def serve() -> None:
                async with stdio_server() as (read, write):
                    await self._lowlevel_server.run(_Answering(read, write), write,
                                                    self._lowlevel_server.create_initialization_options())

            anyio.run(serve)

    return Server


def build_mcp(backend: Callable[[str | None], Backend], collections: Callable[[], list[str]],
              default_collection: str):
    """The MCP server over `backend(collection)` (called per request, for the collection named or the
    default); `collections()` lists what exists."""
    from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
    from mcp.server.mcpserver.utilities.types import Image
    from mcp_types import ToolAnnotations

    server = _server_class()("PageSight", instructions=INSTRUCTIONS)
    read_only = ToolAnnotations(readOnlyHint=True, openWorldHint=False)

    def open_(collection: str | None) -> tuple[Backend, str]:
        try:
            name = validate_collection_name(collection or default_collection)
            return backend(name), name
        except (PageSightError, ValueError) as e:  # a bad name, or one this caller may not use
            raise ToolError(_reason(e)) from None

    def filters(documents, tags, pages) -> Filters:
        try:
            return Filters(documents=tuple(documents) if documents else None, tags=tuple(tags) if tags else None,
                           pages=parse_pages(pages))
        except ValueError as e:
            raise ToolError(str(e)) from None

    def hit(h, collection: str) -> PageHit:
        return PageHit(doc_id=h.doc_id, file_name=h.file_name, page=h.page, score=round(h.score, 4),
                       channels=h.channels, snippet=h.text[:600], page_uri=page_uri(collection, h.doc_id, h.page))

    @server.tool(annotations=read_only)
    def search(query: Query = "", k: K = 5, documents: Refs = None, tags: Tags = None, pages: Pages = None,
               collection: CollectionName = None, image: Picture = None) -> SearchOut:
        """The pages that best match the query, best first, each with the passage that matched. With an
        `image` (base64), the pages the picture shows, found by its words."""
        found, name = open_(collection)
        try:
            result = found.search(query, k, filters(documents, tags, pages), image=_image(image))
        except (PageSightError, ValueError) as e:
            raise ToolError(_reason(e)) from None
        seen = result.picture
        said = None if seen is None else (
            f"{seen.words} words read; {seen.held:.0%} of them on the best page; "
            + ("matched" if seen.matched else result.skipped.get("picture", "no page matched")))
        return SearchOut(hits=[hit(h, name) for h in result.hits], channels=result.channels, picture=said)

    @server.tool(annotations=read_only)
    def ask(question: Query = "", k: Annotated[int | None, Field(ge=1, le=20, description="pages read")] = None,
            documents: Refs = None, tags: Tags = None, pages: Pages = None,
            collection: CollectionName = None, history: History = None, image: Picture = None) -> AnswerOut:
        """An answer from the documents, with [n] markers citing the pages (file, page, quote, box); or,
        when the pages found do not answer the question, abstained=true and a text that says so. With
        `history`, the question is a follow-up ("and the year before?") resolved against it first;
        `question` in the result says how it was searched. With an `image` (base64), the question is (also)
        that picture: the page it shows is found by its words, and a picture of nothing here is said so."""
        found, name = open_(collection)
        try:
            answer = found.ask(question, k, filters(documents, tags, pages), history=history_of(history or []),
                               image=_image(image))
        except (PageSightError, ValueError) as e:
            raise ToolError(_reason(e)) from None
        return AnswerOut(text=answer.text, abstained=answer.abstained, answerer=answer.answerer,
                         question=answer.question or question,
                         citations=[CitationOut(marker=c.marker, doc_id=c.doc_id, file_name=c.file_name, page=c.page,
                                                quote=c.quote, box=list(c.box) if c.box else None)
                                    for c in answer.citations],
                         pages_read=[hit(h, name) for h in answer.pages])

    @server.tool(annotations=read_only)
    def list_documents(tags: Tags = None, collection: CollectionName = None) -> list[DocumentOut]:
        """The documents of the collection (with `tags`, those carrying any of them)."""
        found, _ = open_(collection)
        try:
            docs = found.documents(tags)
        except PageSightError as e:
            raise ToolError(_reason(e)) from None
        return [DocumentOut(id=d.id, file_name=d.file_name, pages=d.pages, tags=d.tags,
                            ingested_at=d.ingested_at.isoformat()) for d in docs]

    @server.tool(annotations=read_only, structured_output=False)
    def get_page(document: Annotated[str, Field(min_length=1, max_length=200,
                                                description="id, id prefix or file name")],
                 page: Annotated[int, Field(ge=1, le=MAX_PAGE)], collection: CollectionName = None) -> list:
        """One page whole: its text (in reading order) and its image."""
        found, name = open_(collection)
        try:
            view = found.page_view(document, page)
        except PageSightError as e:
            raise ToolError(_reason(e)) from None
        head = f"{view.document.file_name}, page {page} of {view.document.pages} (document {view.document.id})"
        return [f"{head}\n\n{view.page.text or '(no text on this page)'}",
                Image(data=view.image, format="png" if view.media_type == "image/png" else "jpeg")]

    @server.resource("pagesight://collections", mime_type="application/json")
    def collection_list() -> list[str]:
        """The collections that exist."""
        return collections()

    @server.resource("pagesight://{collection}/documents", mime_type="application/json")
    def document_list(collection: str) -> list[dict]:
        """The documents of a collection."""
        try:
            docs = backend(validate_collection_name(collection)).documents()
        except (PageSightError, ValueError) as e:
            raise ResourceNotFoundError(_reason(e)) from None
        return [DocumentOut(id=d.id, file_name=d.file_name, pages=d.pages, tags=d.tags,
                            ingested_at=d.ingested_at.isoformat()).model_dump() for d in docs]

    @server.resource("pagesight://{collection}/documents/{doc_id}/pages/{number}", mime_type="image/jpeg")
    def page_image(collection: str, doc_id: str, number: str) -> bytes:
        """A page's image."""
        try:
            if not number.isdigit() or not 1 <= int(number) <= MAX_PAGE:
                raise ValueError(f"no page {number[:20]!r}: pages are numbered 1 to {MAX_PAGE:,}")
            found = backend(validate_collection_name(collection))
            return found.page_view(doc_id, int(number)).image
        except (PageSightError, ValueError) as e:
            raise ResourceNotFoundError(_reason(e)) from None

    return server


class HttpEndpoint:
    """The streamable HTTP endpoint at /mcp, as an ASGI app the REST app routes to (stateless: each
    request stands alone, as the REST API's do). The SDK's session manager runs once per instance, so
    each run of the app's lifespan makes a new one (`running`). Without API keys only loopback Host and
    Origin headers are accepted, so that a web page cannot reach a local server through DNS rebinding;
    with keys, the key guards it (gate.py)."""

    path = "/mcp"

    def __init__(self, server, *, keys: bool):
        from mcp.server.transport_security import TransportSecuritySettings

        loopback = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
        self.server = server
        self.security = TransportSecuritySettings(enable_dns_rebinding_protection=not keys, allowed_hosts=loopback,
                                                  allowed_origins=[f"http://{h}" for h in loopback])
        self.app = None

    @asynccontextmanager
    async def running(self):
        self.app = self.server.streamable_http_app(streamable_http_path=self.path, stateless_http=True,
                                                   json_response=True, transport_security=self.security)
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope, receive, send):
        if self.app is None:  # the app's lifespan has not run: nothing serves MCP yet
            from starlette.responses import JSONResponse

            return await JSONResponse({"detail": "not ready"}, status_code=503)(scope, receive, send)
        await self.app(scope, receive, send)


class _Answering:
    """A read stream of the stdio transport that answers what it cannot pass on (see Server.run_stdio)."""

    def __init__(self, inner, write):
        self.inner, self.write = inner, write

    def __getattr__(self, name):  # last_context and the rest of the stream's own
        return getattr(self.inner, name)

    def __aiter__(self):
        return self

    async def __anext__(self):
        while True:
            item = await self.inner.__anext__()
            if not isinstance(item, Exception):
                return item
            await self.write.send(_error_message(item))

    async def receive(self):
        return await self.__anext__()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def __aenter__(self):
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc):
        return await self.inner.__aexit__(*exc)


def _error_message(error: Exception):
    """The JSON-RPC error answering a line the transport could not read (`error`: why)."""
    from mcp.shared.message import SessionMessage
    from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
    from pydantic import ValidationError

    not_json = isinstance(error, ValidationError) and any(e["type"] == "json_invalid" for e in error.errors())
    if not_json or not isinstance(error, ValidationError):
        data = ErrorData(code=PARSE_ERROR, message="Parse error: the line is not JSON in UTF-8 text")
    else:
        data = ErrorData(code=INVALID_REQUEST, message="Invalid request: the line is no JSON-RPC 2.0 message")
    return SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=data))


def page_uri(collection: str, doc_id: str, page: int) -> str:
    return f"pagesight://{collection}/documents/{doc_id}/pages/{page}"


def _reason(e: Exception) -> str:
    return e.reason if isinstance(e, PageSightError) else str(e)


def _image(value: str | None) -> bytes | None:
    return picture_bytes(value) if value else None
