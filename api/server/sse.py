"""Server-sent events: PageSight's own answer events and OpenAI's chat-completion chunks."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from ...core.errors import PageSightError
from ...core.i18n import say
from ...core.types import Answer, SearchResult
from .conversations import Message
from .schemas import AnswerOut, HitOut, MessageOut, PictureOut

__all__ = ["answer_events", "chat_events", "event"]


def event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def answer_events(events: Iterator[SearchResult | str | Answer | Message], collection: str | None,
                  locale: str = "en") -> Iterator[bytes]:
    """`pages` (the hits read, and the question searched when a follow-up was rewritten; `absent` in
    `locale`), `delta`... (text), `citations` (the answer), in a conversation `message` (as stored), `done`;
    `error` on failure."""
    try:
        for item in events:
            if isinstance(item, SearchResult):
                picture = PictureOut.of(item.picture)
                yield event("pages", {"pages": [HitOut.of(h, collection).model_dump(mode="json") for h in item.hits],
                                      "channels": item.channels, "skipped": item.skipped,
                                      "question": item.question, "rewritten_by": item.rewritten_by,
                                      "picture": picture.model_dump() if picture else None,
                                      "absent": item.absent and say(item.absent, locale)})
            elif isinstance(item, Message):
                yield event("message", MessageOut.of(item).model_dump(mode="json"))
            elif isinstance(item, Answer):
                out = AnswerOut.of(item, collection).model_dump(mode="json")
                yield event("citations", {"answer": {k: v for k, v in out.items() if k != "citations"},
                                          "citations": out["citations"]})
            else:
                yield event("delta", {"text": item})
    except PageSightError as e:
        yield event("error", {"detail": e.reason})
    yield event("done", {})


def chat_events(completion_id: str, model: str, events: Iterator[SearchResult | str | Answer],
                collection: str | None) -> Iterator[bytes]:
    def chunk(delta: dict, finish: str | None = None, **extra) -> bytes:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    try:
        for item in events:
            if isinstance(item, Answer):
                citations = [c.model_dump(mode="json") for c in AnswerOut.of(item, collection).citations]
                yield chunk({}, "stop", citations=citations)
            elif isinstance(item, str):
                yield chunk({"content": item})
    except PageSightError as e:
        yield chunk({"content": f"\n[error: {e.reason}]"}, "stop")
    yield b"data: [DONE]\n\n"
