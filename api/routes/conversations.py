"""Conversations: create, list, read with their messages, rename or rescope, delete; and a question
asked in one (JSON, or server-sent events as /v1/answer streams them, ending with the stored message).
A conversation belongs to the API key that created it: another key finds nothing (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from ...core.types import Answer
from ..chat import converse
from ..conversations import Message
from ..deps import OwnerDep, ServiceDep
from ..schemas import (
    AnswerOut,
    ConversationDetail,
    ConversationIn,
    ConversationOut,
    ConversationPatch,
    HitOut,
    MessageOut,
    MessageRequest,
    MessageResponse,
)
from ..sse import answer_events
from .search import STREAMS

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])

ConversationId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$", description="the conversation's id")]


@router.post("", status_code=201)
def create(service: ServiceDep, owner: OwnerDep, body: ConversationIn) -> ConversationOut:
    """A new conversation, optionally limited to some documents or tags (its scope)."""
    _check_scope(service, body.collection, body.documents)
    conversation = service.conversations.create(owner, body.title, collection=body.collection,
                                                documents=body.documents, tags=body.tags)
    return ConversationOut.of(conversation)


@router.get("")
def list_conversations(service: ServiceDep, owner: OwnerDep) -> list[ConversationOut]:
    """This key's conversations, the most recently active first."""
    return [ConversationOut.of(c) for c in service.conversations.list(owner)]


@router.get("/{conversation_id}")
def get(service: ServiceDep, owner: OwnerDep, conversation_id: ConversationId) -> ConversationDetail:
    return ConversationDetail.of(service.conversations.get(owner, conversation_id))


@router.patch("/{conversation_id}")
def update(service: ServiceDep, owner: OwnerDep, conversation_id: ConversationId,
           body: ConversationPatch) -> ConversationOut:
    """Rename, or change the scope: only the fields sent change, and null clears a scope."""
    sent = body.model_dump(include=body.model_fields_set)
    if sent.get("documents"):
        _check_scope(service, service.conversations.get(owner, conversation_id).collection, sent["documents"])
    conversation = service.conversations.update(owner, conversation_id, **sent)
    return ConversationOut.of(conversation)


@router.delete("/{conversation_id}", status_code=204)
def delete(service: ServiceDep, owner: OwnerDep, conversation_id: ConversationId) -> Response:
    service.conversations.delete(owner, conversation_id)
    return Response(status_code=204)


@router.post("/{conversation_id}/messages", responses=STREAMS)
def post_message(service: ServiceDep, owner: OwnerDep, conversation_id: ConversationId, body: MessageRequest):
    """Ask in the conversation: a follow-up is rewritten into a standalone question against the earlier
    ones (`standalone`), searched within the conversation's scope, answered and kept."""
    conversation = service.conversations.get(owner, conversation_id)
    sight = service.sight(conversation.collection)
    events = converse(sight, service.conversations, owner, conversation, body.question, body.k)
    found = next(events)  # the search runs now: its errors are this request's status
    shown = conversation.collection if conversation.collection != service.settings.collection else None
    if body.stream:
        def chained():
            yield found
            yield from events

        return StreamingResponse(answer_events(chained(), shown), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    answer = message = None
    for item in events:
        if isinstance(item, Answer):
            answer = item
        elif isinstance(item, Message):
            message = item
    return MessageResponse(message=MessageOut.of(message), answer=AnswerOut.of(answer, shown),
                           pages=[HitOut.of(h, shown) for h in found.hits])


def _check_scope(service, collection: str | None, documents: list[str] | None) -> None:
    """Each document of a scope names one document of the collection (NotFound or Ambiguous otherwise)."""
    sight = service.sight(collection)  # a valid name, too
    for ref in documents or []:
        sight.document(ref)
