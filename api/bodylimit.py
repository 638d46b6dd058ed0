"""The request-body limit, enforced before the app reads any of the body."""

from __future__ import annotations

import json
import tempfile

__all__ = ["BodyLimit", "problem"]

CHUNK = 1 << 16


def problem(status: int, detail: str) -> dict:
    """FastAPI's {"detail": ...}, plus OpenAI's {"error": {...}} so that OpenAI SDKs show the message."""
    kind = {401: "authentication_error", 404: "not_found_error", 413: "request_too_large"}.get(
        status, "invalid_request_error")
    return {"detail": detail, "error": {"message": detail, "type": kind, "code": status}}


class BodyLimit:
    """413 for a request body over the limit, before the app reads any of it: by Content-Length
    when given; a body without one (chunked) is spooled first, counting, and replayed if it fits.
    Uploads (`upload_paths`) may be large; every other body is small JSON."""

    def __init__(self, app, *, upload_bytes: int, other_bytes: int, upload_paths: tuple[str, ...]):
        self.app, self.upload_bytes, self.other_bytes, self.upload_paths = app, upload_bytes, other_bytes, upload_paths

    def __getattr__(self, name):  # the wrapped FastAPI app's attributes (state, openapi, routes...)
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.upload_bytes if scope["path"] in self.upload_paths else self.other_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await reply(send, 400, "invalid Content-Length")
            if int(declared) > limit:
                return await reply(send, 413, f"request body over the limit of {limit:,} bytes")
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
                return await reply(send, 413, f"request body over the limit of {limit:,} bytes")
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


async def reply(send, status: int, detail: str) -> None:
    body = json.dumps(problem(status, detail)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
