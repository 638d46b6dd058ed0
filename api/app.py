"""The REST API (FastAPI), versioned under /v1, with the chat web page at `/`.

    uvicorn --factory pagesight.api.app:create_app     (or: pagesight serve)

Uploads are answered 202 with a job id and ingested in the background (see service.py). Answers
stream as server-sent events; /v1/chat/completions speaks OpenAI's chat-completions protocol so
OpenAI SDKs and chat front ends work unchanged, each collection being a "model".

Safety: request bodies over the limit are refused with 413 before they are read (by
Content-Length, and by counting when there is none); file types come from the bytes; uploaded
names are only ever displayed, files are saved under generated names; with PAGESIGHT_API_KEYS set,
every route but /health needs `Authorization: Bearer <key>` (the page at / is static and holds
no data; it asks for the key); CORS stays closed unless PAGESIGHT_CORS_ORIGINS names origins.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from pagesight.api.service import Service, display_name
from pagesight.core.errors import PageSightError
from pagesight.core.settings import Settings, get_settings
from pagesight.core.types import Answer, Citation, Document, Hit

__all__ = ["create_app"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
DOC_ID = re.compile(r"[0-9a-f]{32}")
COLLECTION = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
PAGE_RANGE = r"^(?:[1-9][0-9]{0,5}(?:-(?:[1-9][0-9]{0,5})?)?|-[1-9][0-9]{0,5})$"
UPLOAD_PATHS = ("/v1/documents",)
CHUNK = 1 << 16
NO_QUESTION = "There is no question to answer: send one as a user message."


# ---- request and response bodies -------------------------------------------------------------

class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_ids: list[Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]] | None = Field(default=None, max_length=1000)
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=100)
    file: str | None = Field(default=None, max_length=200, description="file-name glob")
    pages: str | None = Field(default=None, pattern=PAGE_RANGE, description="3-7, 3-, -7 or 5 (pages from 1)")
    collection: str | None = Field(default=None, pattern=COLLECTION)


class SearchRequest(Filters):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=5, ge=1, le=100)


class SearchResponse(BaseModel):
    hits: list[Hit]
    channels: list[str]
    skipped: dict[str, str]


class AnswerRequest(Filters):
    question: str = Field(min_length=1, max_length=2000)
    k: int | None = Field(default=None, ge=1, le=20, description="pages the answerer reads")
    stream: StrictBool = False


class AnswerResponse(BaseModel):
    answer: Answer
    pages: list[Hit]


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


class Problem(BaseModel):
    detail: str | list[dict] = Field(description="what went wrong; for invalid fields, one entry per field")


# ---- the app -----------------------------------------------------------------------------------

def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    service = Service(settings)
    keys = [k.strip() for k in (settings.api_keys or "").split(",") if k.strip()]

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        service.close()

    app = FastAPI(title="PageSight", version="1", lifespan=lifespan,
                  description="Ask your PDFs and images: ingestion, search, grounded answers with citations.")
    app.state.service = service

    def authorised(request: Request) -> None:
        if not keys:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not any(hmac.compare_digest(token.encode(), k.encode()) for k in keys):
            raise HTTPException(401, "missing or wrong API key: send Authorization: Bearer <key>",
                                headers={"WWW-Authenticate": "Bearer"})

    guarded = [Depends(authorised)]
    errors = {code: {"model": Problem} for code in (400, 401, 404, 413, 422)}
    streams = {200: {"content": {"application/json": {}, "text/event-stream": {}},
                     "description": "JSON, or with \"stream\": true, server-sent events"}}

    @app.exception_handler(PageSightError)
    async def pagesight_error(request: Request, e: PageSightError) -> JSONResponse:
        return _error(400, e.reason)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> JSONResponse:
        return _error(e.status_code, str(e.detail), e.headers)

    @app.get("/health", tags=["service"])
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/ready", tags=["service"], dependencies=guarded, responses=errors | {503: {"model": Problem}})
    def ready() -> dict:
        try:
            return {"status": "ready", **service.ready()}
        except PageSightError as e:
            raise HTTPException(503, f"not ready: {e.reason}") from e

    # ---- documents and jobs ----

    @app.post("/v1/documents", status_code=202, tags=["documents"], dependencies=guarded, response_model=JobOut,
              responses=errors)
    async def upload(files: Annotated[list[UploadFile], File(description="PDFs and images")],
                     tags: Annotated[list[str] | None, Form()] = None,
                     collection: Annotated[str | None, Form(pattern=COLLECTION)] = None) -> JobOut:
        if not files:
            raise HTTPException(422, "no files in the upload")
        if len(files) > settings.max_upload_files:
            raise HTTPException(413, f"{len(files)} files; at most {settings.max_upload_files} per upload")
        tag_list = sorted({t.strip() for raw in (tags or []) for t in raw.split(",") if t.strip()})
        if any(len(t) > 100 for t in tag_list):
            raise HTTPException(422, "tags are at most 100 characters")
        folder = service.new_upload_folder()
        saved = []
        for i, upload_file in enumerate(files):
            path = folder / f"{i:04d}"  # a generated name: the uploaded one is only displayed
            with path.open("wb") as out:
                while chunk := await upload_file.read(CHUNK):
                    out.write(chunk)
            saved.append((display_name(upload_file.filename), path))
        return _job(service.submit(saved, tag_list, collection))

    @app.get("/v1/jobs/{job_id}", tags=["documents"], dependencies=guarded, response_model=JobOut,
             responses=errors)
    def job(job_id: str) -> JobOut:
        found = service.jobs.get(job_id)
        if found is None:
            raise HTTPException(404, "no such job")
        return _job(found)

    @app.get("/v1/documents", tags=["documents"], dependencies=guarded, responses=errors)
    def documents(collection: Annotated[str | None, Query(pattern=COLLECTION)] = None) -> list[Document]:
        store = service.store(collection)
        with service.lock:
            return store.documents()

    @app.get("/v1/documents/{doc_id}", tags=["documents"], dependencies=guarded, responses=errors)
    def document(doc_id: str, collection: Annotated[str | None, Query(pattern=COLLECTION)] = None) -> Document:
        return _document(service, doc_id, collection)

    @app.delete("/v1/documents/{doc_id}", status_code=204, tags=["documents"], dependencies=guarded,
                responses=errors)
    def delete(doc_id: str, collection: Annotated[str | None, Query(pattern=COLLECTION)] = None) -> None:
        _document(service, doc_id, collection)
        store = service.store(collection)
        with service.lock:
            store.delete_document(doc_id)

    def page_file(doc_id: str, n: int, collection: str | None, kind: str) -> FileResponse:
        _document(service, doc_id, collection)
        store = service.store(collection)
        with service.lock:
            page = store.page(doc_id, n)
        if page is None:
            raise HTTPException(404, "no such page")
        relative = store.images.relative(doc_id, page.image if kind == "image" else page.thumbnail)
        path = store.image_path(relative).resolve()
        if not path.is_relative_to(store.folder.resolve()) or not path.is_file():
            raise HTTPException(404, "no image for this page")
        media = "image/png" if path.suffix == ".png" else "image/jpeg"
        return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/v1/documents/{doc_id}/pages/{n}/image", tags=["documents"], dependencies=guarded,
             response_class=FileResponse, responses=errors)
    def page_image(doc_id: str, n: Annotated[int, PathParam(ge=1, le=100_000)],
                   collection: Annotated[str | None, Query(pattern=COLLECTION)] = None) -> FileResponse:
        return page_file(doc_id, n, collection, "image")

    @app.get("/v1/documents/{doc_id}/pages/{n}/thumbnail", tags=["documents"], dependencies=guarded,
             response_class=FileResponse, responses=errors)
    def page_thumbnail(doc_id: str, n: Annotated[int, PathParam(ge=1, le=100_000)],
                       collection: Annotated[str | None, Query(pattern=COLLECTION)] = None) -> FileResponse:
        return page_file(doc_id, n, collection, "thumbnail")

    # ---- search and answers ----

    @app.post("/v1/search", tags=["search"], dependencies=guarded, responses=errors)
    def search(body: SearchRequest) -> SearchResponse:
        result = service.search(body.query, body.k, _filter(body), body.file, body.collection)
        return SearchResponse(hits=result.hits, channels=result.channels, skipped=result.skipped)

    @app.post("/v1/answer", tags=["search"], dependencies=guarded, responses=errors | streams)
    def answer(body: AnswerRequest):
        k = body.k or settings.answer_pages
        result, events = service.answer_stream(body.question, k, _filter(body), body.file, body.collection)
        if body.stream:
            return StreamingResponse(_answer_events(result, events), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        *_, final = events
        return AnswerResponse(answer=final, pages=result.hits)

    # ---- OpenAI-compatible ----

    @app.get("/v1/models", tags=["openai"], dependencies=guarded, responses=errors)
    def models() -> dict:
        names = service.collections() or [settings.collection]
        return {"object": "list", "data": [{"id": n, "object": "model", "created": 0, "owned_by": "pagesight"}
                                           for n in names]}

    @app.post("/v1/chat/completions", tags=["openai"], dependencies=guarded, responses=errors | streams)
    def chat(body: ChatRequest):
        question = _last_user_text(body.messages)
        if not question:  # a valid request with nothing to answer: say so, as an assistant would
            events: Iterator[str | Answer] = iter([NO_QUESTION, Answer(text=NO_QUESTION)])
            return _chat_reply(body.stream, f"chatcmpl-{uuid.uuid4().hex}", body.model or settings.collection, events)
        collection = body.model if body.model and re.fullmatch(COLLECTION, body.model) else None
        if body.model and collection is None:
            raise HTTPException(404, f"no model {body.model!r}: GET /v1/models lists the collections")
        if collection and collection not in {*service.collections(), settings.collection}:
            raise HTTPException(404, f"no model {collection!r}: GET /v1/models lists the collections")
        result, events = service.answer_stream(question, settings.answer_pages, _filter(Filters()), None, collection)
        return _chat_reply(body.stream, f"chatcmpl-{uuid.uuid4().hex}", collection or settings.collection, events)

    # ---- the web page ----

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=[o.strip() for o in settings.cors_origins.split(",")],
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])
    return BodyLimit(app, upload_bytes=int(settings.max_upload_mb * 2**20), other_bytes=1 << 20)


def _problem(status: int, detail: str) -> dict:
    """FastAPI's {"detail": ...}, plus OpenAI's {"error": {...}} so that OpenAI SDKs show the message."""
    kind = {401: "authentication_error", 404: "not_found_error", 413: "request_too_large"}.get(
        status, "invalid_request_error")
    return {"detail": detail, "error": {"message": detail, "type": kind, "code": status}}


def _error(status: int, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(_problem(status, detail), status_code=status, headers=headers)


def _document(service: Service, doc_id: str, collection: str | None) -> Document:
    if not DOC_ID.fullmatch(doc_id):
        raise HTTPException(404, "no such document")
    store = service.store(collection)
    with service.lock:
        found = store.get_document(doc_id)
    if found is None:
        raise HTTPException(404, "no such document")
    return found


def _filter(body: Filters):
    from pagesight.index.store import SearchFilter

    try:
        pages = SearchFilter.parse_pages(body.pages)
    except ValueError as e:
        raise HTTPException(422, str(e)) from e
    return SearchFilter(doc_ids=tuple(body.doc_ids) if body.doc_ids else None,
                        tags=tuple(body.tags) if body.tags else None, pages=pages)


def _job(job) -> JobOut:
    return JobOut(id=job.id, collection=job.collection, status=job.status, pages_done=job.pages_done,
                  pages_total=job.pages_total,
                  files=[JobFileOut(**{k: getattr(f, k) for k in JobFileOut.model_fields}) for f in job.files])


def _citations(citations: list[Citation]) -> list[dict]:
    return [c.model_dump(mode="json", exclude={"image_path"}) | {
        "image_url": f"/v1/documents/{c.doc_id}/pages/{c.page}/image"} for c in citations]


def _sse(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _answer_events(result, events: Iterator[str | Answer]) -> Iterator[bytes]:
    yield _sse("pages", {"pages": [h.model_dump(mode="json", exclude={"image_path"}) for h in result.hits]})
    try:
        for event in events:
            if isinstance(event, Answer):
                yield _sse("citations", {"answer": event.model_dump(mode="json", exclude={"citations"}),
                                         "citations": _citations(event.citations)})
            else:
                yield _sse("delta", {"text": event})
    except PageSightError as e:
        yield _sse("error", {"detail": e.reason})
    yield _sse("done", {})


def _chat_reply(stream: bool, completion_id: str, model: str, events: Iterator[str | Answer]):
    if stream:
        return StreamingResponse(_chat_events(completion_id, model, events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    *_, final = events
    citations = _citations(final.citations)
    return {
        "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": final.text, "citations": citations}}],
        "citations": citations,
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chat_events(completion_id: str, model: str, events: Iterator[str | Answer]) -> Iterator[bytes]:
    def chunk(delta: dict, finish: str | None = None, **extra) -> bytes:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    try:
        for event in events:
            if isinstance(event, Answer):
                yield chunk({}, "stop", citations=_citations(event.citations))
            else:
                yield chunk({"content": event})
    except PageSightError as e:
        yield chunk({"content": f"\n[error: {e.reason}]"}, "stop")
    yield b"data: [DONE]\n\n"


def _last_user_text(messages: list[ChatMessage]) -> str:
    """The question: the last user message's text ("" when there is none)."""
    for message in reversed(messages):
        if message.role != "user":
            continue
        if isinstance(message.content, str):
            text = message.content
        else:
            text = " ".join(str(p.get("text", "")) for p in message.content or [] if p.get("type") == "text")
        if text.strip():
            return text.strip()[:2000]
    return ""


class BodyLimit:
    """413 for a request body over the limit, before the app reads any of it: by Content-Length
    when given; a body without one (chunked) is spooled first, counting, and replayed if it fits.
    Uploads may be large; every other body is small JSON."""

    def __init__(self, app, *, upload_bytes: int, other_bytes: int):
        self.app, self.upload_bytes, self.other_bytes = app, upload_bytes, other_bytes

    def __getattr__(self, name):  # the wrapped FastAPI app's attributes (state, openapi, routes...)
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.upload_bytes if scope["path"] in UPLOAD_PATHS else self.other_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await _reply(send, 400, "invalid Content-Length")
            if int(declared) > limit:
                return await _reply(send, 413, f"request body over the limit of {limit:,} bytes")
            return await self.app(scope, receive, send)
        spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)
        seen = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            seen += len(message.get("body", b""))
            if seen > limit:
                spool.close()
                return await _reply(send, 413, f"request body over the limit of {limit:,} bytes")
            spool.write(message.get("body", b""))
            if not message.get("more_body"):
                break
        spool.seek(0)

        async def replay():
            chunk = spool.read(CHUNK)
            more = spool.tell() < seen
            if not more:
                spool.close()
            return {"type": "http.request", "body": chunk, "more_body": more}

        await self.app(scope, replay, send)


async def _reply(send, status: int, detail: str) -> None:
    body = json.dumps(_problem(status, detail)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
