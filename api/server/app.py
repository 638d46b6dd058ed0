"""The REST API (FastAPI), versioned under /v1, with the chat web page at `/`.

    uvicorn --factory pagesight.api.server.app:create_app     (or: pagesight serve)

Routers per resource (routes/): documents and jobs, search and answers, conversations, OpenAI's chat
protocol; the Model Context Protocol at /mcp (mcp.py).
Uploads are answered 202 with a job id and ingested in the background (service.py). Answers stream
as server-sent events (sse.py).

Safety: the API key, the framing and the size of a request are checked before its body is read
(gate.py);
file types come from the bytes; uploaded names are only ever displayed, files are saved under
generated names; responses carry URLs and display names, never server paths; with
PAGESIGHT_API_KEYS set, every route but /health needs `Authorization: Bearer <key>` (the page at /
is static and holds no data; it asks for the key); CORS stays closed unless PAGESIGHT_CORS_ORIGINS
names origins.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

from ...core.errors import Ambiguous, Busy, Conflict, Forbidden, NotFound, PageSightError
from ...core.i18n import say
from ...core.settings import Settings, get_settings
from ..mcp import HttpEndpoint, build_mcp
from .deps import get_locale
from .forms import FormsAsJson
from .gate import Caller, RequestGate, api_keys, host_names, problem
from .routes import conversations, documents, openai, search
from .schemas import Problem
from .service import Service

__all__ = ["create_app"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")


def create_app(settings: Settings | None = None, *, local_key: str | None = None, bound: str | None = None) -> FastAPI:
    """The app. `local_key`: one more key, for the commands of the user who runs the server on its data
    folder (it is in their data folder's server note, local_server.py); only where keys are asked at all.
    `bound`: the address the server listens on, whose name it answers to (gate.py; loopback when not
    given)."""
    settings = settings or get_settings()
    service = Service(settings)
    keys = api_keys(settings.api_keys)
    if keys and local_key:
        keys[local_key] = Caller(owner="local")  # the user running the server, on its data folder: an admin
    assistant = HttpEndpoint(build_mcp(service.sight, service.collections, settings.collection), keys=bool(keys))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with assistant.running():
            yield
        service.close()

    # No redirects between /x and /x/: a request means the route it names (DELETE /v1/documents/ is no
    # document, not a redirect to the list).
    app = FastAPI(title="PageSight", version="1", lifespan=lifespan, redirect_slashes=False,
                  description="Ask your PDFs and images: ingestion, search, grounded answers with citations.")
    app.state.service = service
    app.router.routes.append(Route(assistant.path, assistant, methods=["GET", "POST", "DELETE"]))  # MCP (mcp.py)

    errors = {code: {"model": Problem} for code in (400, 401, 403, 404, 409, 413, 422, 503)}
    for router in (documents.router, search.router, conversations.router, openai.router):
        app.include_router(router, responses=errors)

    def said(request: Request, detail: str) -> str:  # in the request's language (core/i18n.py)
        return say(detail, get_locale(request))

    @app.exception_handler(PageSightError)
    async def pagesight_error(request: Request, e: PageSightError) -> JSONResponse:
        if isinstance(e, Busy):
            return _error(503, said(request, e.reason), {"Retry-After": str(e.retry_after_s)})
        status = (404 if isinstance(e, NotFound) else 409 if isinstance(e, Ambiguous | Conflict)
                  else 403 if isinstance(e, Forbidden) else 400)
        return _error(status, said(request, e.reason), kind=type(e).__name__)  # a client raises the same

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> JSONResponse:
        return _error(e.status_code, said(request, str(e.detail)), e.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        # Where and why, never the input itself: a reply that quotes a hostile body can fail to
        # encode (a lone surrogate), and echoes what it was sent.
        fields = [{"type": err["type"], "loc": list(err["loc"]), "msg": err["msg"]} for err in e.errors()]
        return _SafeJSON(problem(422, said(request, "invalid request")) | {"detail": fields}, status_code=422)

    @app.get("/health", tags=["service"])
    async def health() -> dict:  # on the event loop: no worker thread to wait for, however busy they are
        return {"status": "ok"}

    @app.get("/ready", tags=["service"], responses=errors | {503: {"model": Problem}})
    def ready() -> dict:
        try:
            return {"status": "ready", **service.ready()}
        except PageSightError as e:
            raise HTTPException(503, f"not ready: {e.reason}") from e

    page = (STATIC / "index.html").read_text(encoding="utf-8")
    if settings.locale != "auto":  # the page's language is fixed; else the browser's chooses (strings.js)
        page = page.replace('<html lang="en">', f'<html lang="en" data-locale="{settings.locale}">', 1)

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:  # browsers ask for it whatever the page says
        return FileResponse(STATIC / "icon.svg", media_type="image/svg+xml")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    origins = tuple(o.strip() for o in (settings.cors_origins or "").split(",") if o.strip())
    if origins:
        from fastapi.middleware.cors import CORSMiddleware

        methods, headers = ["GET", "POST", "PATCH", "DELETE"], ["Authorization", "Content-Type"]
        app.add_middleware(CORSMiddleware, allow_origins=list(origins), allow_methods=methods, allow_headers=headers)
    forms = FormsAsJson(app, ("/v1/search", "/v1/answer"))  # a picture as a file part, as curl -F sends it
    return RequestGate(forms, keys=keys, upload_bytes=int(settings.max_upload_mb * 2**20), other_bytes=1 << 20,
                       upload_paths=(documents.UPLOAD_PATH,),
                       picture_bytes=int(settings.max_picture_mb * 2**20 * 4 / 3) + (1 << 20),
                       picture_paths=r"/v1/(?:search|answer|chat/completions|conversations/[0-9a-f]{32}/messages)",
                       public_docs=settings.public_docs,
                       hosts=host_names(settings.allowed_hosts, bound), origins=origins, locale=settings.locale)


class _SafeJSON(JSONResponse):
    """JSON as ASCII: whatever a message quotes, the reply encodes."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _error(status: int, detail: str, headers: dict | None = None, kind: str | None = None) -> JSONResponse:
    """A problem body; `kind`: the PageSight error it was (core/errors.py), for ServerClient to raise again."""
    return _SafeJSON(problem(status, detail) | ({"kind": kind} if kind else {}), status_code=status,
                     headers=headers)

