"""`POST /v1/search` and `/v1/answer` as HTML forms and `curl -F` send them: multipart/form-data with the
picture as a file part (`image=@shot.png`) and the other fields as text. The form is read here, between
the gate (which has counted and bounded the body) and the app, and handed on as the JSON body the route
reads, the picture in base64: one body model, one validation, for both.
"""

from __future__ import annotations

import base64
import json

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from .gate import refuse

__all__ = ["FormsAsJson", "form_body"]

LISTS = frozenset({"documents", "doc_ids", "tags", "channels"})  # fields a form repeats for a list
BOOLEANS = frozenset({"stream"})


def form_body(model: type) -> dict:
    """The OpenAPI of the multipart alternative to a route's JSON body `model`: the same fields (those a form
    can carry: no nested objects), the picture as a file part."""
    fields = {name: field for name, field in model.model_json_schema()["properties"].items()
              if "$ref" not in json.dumps(field)}
    fields["image"] = {"type": "string", "format": "binary", "description": "the picture, as a file part"}
    schema = {"type": "object", "required": ["image"], "properties": fields}
    return {"requestBody": {"content": {"multipart/form-data": {"schema": schema}}}}


class FormsAsJson:
    """ASGI middleware: a multipart body to `paths` becomes the JSON body of the same fields."""

    def __init__(self, app, paths: tuple[str, ...]):
        self.app, self.paths = app, paths

    def __getattr__(self, name):  # the wrapped app's attributes (state, openapi, routes...)
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        kind = dict(scope.get("headers") or []).get(b"content-type", b"").split(b";")[0].strip().lower()
        if scope["type"] != "http" or scope["path"] not in self.paths or kind != b"multipart/form-data":
            return await self.app(scope, receive, send)
        try:
            form = await Request(scope, receive).form(max_files=1, max_fields=200)
        except MultiPartException as e:
            return await refuse(send, 400, f"invalid multipart body: {e.message}")
        fields: dict = {}
        try:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key != "image":
                        return await refuse(send, 400, f"a form's only file part is `image`, not `{key}`")
                    fields["image"] = base64.b64encode(await value.read()).decode("ascii")
                elif key in LISTS:
                    fields.setdefault(key, []).append(value)
                elif key in BOOLEANS:
                    fields[key] = value.strip().lower() in ("true", "1", "yes", "on")
                else:
                    fields[key] = value
        finally:
            await form.close()
        body = json.dumps(fields).encode()
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"content-type", b"content-length")]
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        sent = False

        async def replay():
            nonlocal sent
            if sent:  # the body was read: what comes now is the client going away (a stream listens for it)
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)
