"""The gate every request passes before the app reads a byte of its body: the API key, the framing
of the body, and its size.

- With API keys set, a request without a right key is answered 401 at once: its body is never read
  (an unauthenticated upload is not spooled to disk first). Open paths: /health, the page, its icon
  and static files, and the API docs (they describe the routes and hold no data) unless
  PAGESIGHT_PUBLIC_DOCS=false.
- The Host a request names must be one the server answers to (421 otherwise): its loopback names, the
  name or address it is bound to, or those PAGESIGHT_ALLOWED_HOSTS lists. A web page that rebinds a
  name of its own to 127.0.0.1 (DNS rebinding) reaches the server under that name, and is refused.
- Without API keys, a request that changes something (POST, PUT, PATCH, DELETE) from a browser page
  of another origin is refused (403): a form on any web site can post to a server on loopback without
  a preflight. Same-origin requests (the chat page), origins PAGESIGHT_CORS_ORIGINS names, and
  requests without an Origin (programs, the CLI) pass. With keys, the key guards it: a page of
  another origin cannot send it without the server's CORS consent.
- CORS preflights (OPTIONS with Access-Control-Request-Method) are answered before the key check, by
  the CORS middleware, when PAGESIGHT_CORS_ORIGINS names origins: a browser never sends a key with them.
- A request carrying both Content-Length and Transfer-Encoding is refused (400): the two can
  disagree about where the body ends, and RFC 9112 lets a server refuse such a request.
- The body is counted as the app reads it, whatever the headers say; past the limit (or past a
  declared Content-Length) the app sees the client go away and the client gets 413. A declared
  Content-Length over the limit is refused before anything is read. Nothing is spooled or replayed:
  the app streams the body as it arrives.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from contextvars import ContextVar
from dataclasses import dataclass

from ...core.i18n import locale_of, say

__all__ = ["CALLER", "EVERYONE", "LOOPBACK", "Caller", "RequestGate", "api_keys", "host_names", "keys_match",
           "problem"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::", "")
CHANGES = (b"POST", b"PUT", b"PATCH", b"DELETE")

OPEN_PATHS = ("/health", "/", "/favicon.ico")
OPEN_PREFIXES = ("/static/",)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")


@dataclass(frozen=True)
class Caller:
    """Whom a request acts for: `owner`, the hash of its API key (never the key; "" without keys), owns its
    conversations and jobs; `admin` may upload and delete documents (a reader searches, asks and keeps
    conversations); `collections`, when given, are the only collections it may use."""

    owner: str = ""
    admin: bool = True
    collections: frozenset[str] | None = None

    def may_use(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections


EVERYONE = Caller()  # a server without keys: one user, who may do anything
# The caller of the request being served: the gate sets it before the app runs, for the routes and for
# what they call (a collection's opening checks it: service.py), MCP's tools included.
CALLER: ContextVar[Caller] = ContextVar("pagesight_caller", default=EVERYONE)
ROLES = {"admin": True, "read": False}


def problem(status: int, detail: str) -> dict:
    """FastAPI's {"detail": ...}, plus OpenAI's {"error": {...}} so that OpenAI SDKs show the message."""
    kind = {401: "authentication_error", 404: "not_found_error", 413: "request_too_large"}.get(
        status, "invalid_request_error")
    return {"detail": detail, "error": {"message": detail, "type": kind, "code": status}}


def api_keys(configured: str | None) -> dict[str, Caller]:
    """The keys of PAGESIGHT_API_KEYS and whom each acts for; empty: no key asked. Entries are separated
    by commas, each `KEY`, `KEY:ROLE` or `KEY:ROLE:COLLECTION|COLLECTION...`; the role is admin (upload
    and delete, the default) or read; the collections, when given, the only ones the key may use.
    ValueError names the entry it cannot read (never the key)."""
    keys = {}
    for number, entry in enumerate((e.strip() for e in (configured or "").split(",")), start=1):
        if not entry:
            continue
        key, _, rest = entry.partition(":")
        role, _, named = rest.partition(":")
        if not key.strip() or (role.strip() or "admin") not in ROLES:
            raise ValueError(f"PAGESIGHT_API_KEYS entry {number}: write KEY, KEY:ROLE or KEY:ROLE:COLLECTION|... "
                             f"with ROLE admin or read")
        collections = frozenset(c.strip() for c in named.split("|") if c.strip()) or None
        keys[key.strip()] = Caller(_owner(key.strip()), ROLES[role.strip() or "admin"], collections)
    return keys


def _owner(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def host_names(configured: str | None, bound: str | None) -> frozenset[str] | None:
    """The Host names the server answers to (lower case, without a port); None for any. Configured
    (PAGESIGHT_ALLOWED_HOSTS, "*" for any), else the loopback names and the name it is bound to; bound
    to every interface, any (it is reached by whatever names its network gives it)."""
    if configured and configured.strip():
        names = {n.strip().lower().strip("[]") for n in configured.split(",") if n.strip()}
        return None if "*" in names else frozenset(names | set(LOOPBACK))
    if bound is not None and bound.strip("[]") in WILDCARD:
        return None
    return frozenset({*LOOPBACK, *([bound.lower().strip("[]")] if bound else [])})


def _host_of(value: str) -> str:
    """A Host header's name, without its port: "127.0.0.1:8000" -> 127.0.0.1, "[::1]:80" -> ::1."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def keys_match(given: str, keys: dict[str, Caller]) -> Caller | None:
    """Whom an Authorization header's key acts for, if it carries one of the keys (every key is compared,
    each in constant time)."""
    scheme, _, token = given.partition(" ")
    found = None
    for key, caller in keys.items():
        if hmac.compare_digest(token.encode(), key.encode()) and scheme.lower() == "bearer":
            found = caller
    return found


class RequestGate:
    """ASGI middleware around the FastAPI app. Uploads (`upload_paths`) may be large; every other
    body is small JSON."""

    def __init__(self, app, *, keys: dict[str, Caller], upload_bytes: int, other_bytes: int,
                 upload_paths: tuple[str, ...], picture_bytes: int = 0, picture_paths: str = r"(?!)",
                 public_docs: bool = False, hosts: frozenset[str] | None = None, origins: tuple[str, ...] = (),
                 locale: str = "auto"):
        """`hosts`: the Host names answered (None: any); `origins`: other origins whose pages may change
        things on a server without keys (those CORS admits); `locale`: PAGESIGHT_LOCALE, what its refusals
        are said in (auto: each request's Accept-Language)."""
        self.app, self.keys = app, keys
        self.upload_bytes, self.other_bytes, self.upload_paths = upload_bytes, other_bytes, upload_paths
        # A question may carry a picture (base64 in JSON: 4/3 of its bytes), on the paths that take one.
        self.picture_bytes, self.picture_paths = max(picture_bytes, other_bytes), re.compile(picture_paths)
        self.open_paths = OPEN_PATHS + (DOCS_PATHS if public_docs else ())
        self.hosts, self.origins = hosts, frozenset(o.rstrip("/").lower() for o in origins)
        self.locale = locale

    def __getattr__(self, name):  # the wrapped FastAPI app's attributes (state, openapi, routes...)
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {}
        for name, value in scope.get("headers") or []:
            headers.setdefault(name.lower(), []).append(value)
        path = scope["path"]
        languages = b", ".join(headers.get(b"accept-language", [])).decode("latin-1")
        locale = locale_of(languages, self.locale)

        def reply(send, status: int, detail: str, extra: list | None = None):  # in the request's language
            return refuse(send, status, say(detail, locale), extra)

        host = b", ".join(headers.get(b"host", [])).decode("latin-1")
        if self.hosts is not None and _host_of(host) not in self.hosts:
            return await reply(send, 421, "this server does not answer to that Host name (PAGESIGHT_ALLOWED_HOSTS "
                                          "lists the names it answers to)")
        if not self.keys and scope["method"].encode() in CHANGES and b"origin" in headers:
            origin = headers[b"origin"][0].decode("latin-1").strip().rstrip("/").lower()
            own = origin.split("://", 1)[-1] == host.strip().lower()
            if not own and origin not in self.origins:
                return await reply(send, 403, "a page of another origin may not change anything here: without API "
                                              "keys only this server's own page may (PAGESIGHT_CORS_ORIGINS admits "
                                              "others)")
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers and self.origins:
            return await self.app(scope, receive, send)  # a CORS preflight carries no key: CORS answers it
        caller = EVERYONE
        if self.keys and not (path in self.open_paths or path.startswith(OPEN_PREFIXES)):
            given = b", ".join(headers.get(b"authorization", [])).decode("latin-1")
            if (caller := keys_match(given, self.keys)) is None:
                return await reply(send, 401, "missing or wrong API key: send Authorization: Bearer <key>",
                                   [(b"www-authenticate", b"Bearer")])
        CALLER.set(caller)  # this request's task, and what it hands work to, see it
        if b"transfer-encoding" in headers and b"content-length" in headers:
            return await reply(send, 400, "a request may carry Content-Length or Transfer-Encoding, not both")
        limit = (self.upload_bytes if path in self.upload_paths else
                 self.picture_bytes if self.picture_paths.fullmatch(path) else self.other_bytes)
        declared = headers.get(b"content-length")
        if declared is not None:
            if len(declared) != 1 or not declared[0].isdigit():
                return await reply(send, 400, "invalid Content-Length")
            if int(declared[0]) > limit:
                return await reply(send, 413, f"request body over the limit of {limit:,} bytes")
            limit = int(declared[0])  # a body longer than it said is refused as well
        await _Counted(self.app, limit, locale).run(scope, receive, send)


class _Counted:
    """One request whose body is counted as the app reads it. Past the limit the app is told the client
    left, its own response is held back, and the client gets 413."""

    def __init__(self, app, limit: int, locale: str = "en"):
        self.app, self.limit, self.seen, self.locale = app, limit, 0, locale
        self.over = False
        self.started = False

    async def run(self, scope, receive, send) -> None:
        async def counted_receive():
            if self.over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                self.seen += len(message.get("body", b""))
                if self.seen > self.limit:
                    self.over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if self.over and not self.started:
                return  # the app's answer to a body it never got whole: the client gets 413 instead
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not self.over:
                raise
        if self.over and not self.started:
            await refuse(send, 413, say(f"request body over the limit of {self.limit:,} bytes", self.locale))


async def refuse(send, status: int, detail: str, headers: list | None = None) -> None:
    body = json.dumps(problem(status, detail)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
