"""OpenAI's chat-completions protocol, so OpenAI SDKs and chat front ends work unchanged: each
collection is a "model"; the last user message is the question, and the user messages before it are
the conversation it follows up on (resolved as /v1/conversations resolves a follow-up)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from itertools import chain

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse

from ....core.errors import BadPicture
from ....core.types import COLLECTION_NAME, Answer
from ....generate.followup import history_of
from ...backend import picture_bytes
from ..deps import ServiceDep
from ..schemas import AnswerOut, ChatMessage, ChatRequest
from ..sse import chat_events
from .search import STREAMS

router = APIRouter(tags=["openai"])

NO_QUESTION = "There is no question to answer: send one as a user message."


@router.get("/v1/models")
def models(service: ServiceDep) -> dict:
    names = service.collections() or [service.settings.collection]
    return {"object": "list", "data": [{"id": n, "object": "model", "created": 0, "owned_by": "pagesight"}
                                       for n in names]}


@router.post("/v1/chat/completions", responses=STREAMS)
def chat(service: ServiceDep, body: ChatRequest):
    default = service.settings.collection
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    *earlier, question = user_texts(body.messages) or [""]
    last = next((m for m in reversed(body.messages) if m.role == "user"), None)
    image = picture_of(last)
    if image is not None and not _text_of(last):  # the picture alone is the question
        earlier, question = [*earlier, question] if question else earlier, ""
    if not question and image is None:  # a valid request with nothing to answer: say so, as an assistant would
        return _reply(body.stream, completion_id, body.model or default, iter([NO_QUESTION, Answer(text=NO_QUESTION)]))
    collection = body.model if body.model and re.fullmatch(COLLECTION_NAME, body.model) else None
    if body.model and (collection is None or collection not in {*service.collections(), default}):
        raise HTTPException(404, f"no model {body.model!r}: GET /v1/models lists the collections")
    events = service.sight(collection).ask_stream(question, history=history_of(earlier), image=image)
    found = next(events)
    shown = collection if collection and collection != default else None
    return _reply(body.stream, completion_id, collection or default, chain([found], events), shown)


def _reply(stream: bool, completion_id: str, model: str, events: Iterator, collection: str | None = None):
    if stream:
        return StreamingResponse(chat_events(completion_id, model, events, collection),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    *_, final = events
    citations = [c.model_dump(mode="json") for c in AnswerOut.of(final, collection).citations]
    return {
        "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": final.text, "citations": citations}}],
        "citations": citations,
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def user_texts(messages: list[ChatMessage]) -> list[str]:
    """The text of each user message that has some, oldest first, each cut to a question's 2,000 characters."""
    return [text[:2000] for message in messages if message.role == "user" and (text := _text_of(message))]


def _text_of(message: ChatMessage) -> str:
    """A message's text: its content, or its text parts joined."""
    if isinstance(message.content, str):
        return message.content.strip()
    return " ".join(str(p.get("text", "")) for p in message.content or [] if p.get("type") == "text").strip()


def picture_of(message: ChatMessage | None) -> bytes | None:
    """The picture of a (user) message, its first `image_url` part, decoded: a data: URL only, never a remote
    URL fetched (BadPicture, a 400, says so)."""
    if message is None or not isinstance(message.content, list):
        return None
    for part in message.content:
        if part.get("type") == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            if not isinstance(url, str) or not url:
                raise BadPicture("an image_url part needs a url: a data: URL of the picture")
            return picture_bytes(url)
    return None
