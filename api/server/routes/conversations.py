"""Conversations: create, list, read with their messages, rename or rescope, delete; and a question
asked in one (JSON, or server-sent events as /v1/answer streams them, ending with the stored message).
A conversation belongs to the API key that created it: another key finds nothing (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from ....core.types import Answer
from ....generate.followup import HISTORY_TURNS
from ..chat import converse
from ..conversations import MAX_PAGE, PAGE_MESSAGES, Message
from ..deps import LocaleDep, OwnerDep, ServiceDep
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
    conversation = service.conversations.create(owner, body.title, collection=body.collection,
                                                documents=_scope_ids(service, body.collection, body.documents),
                                                tags=body.tags)
    return ConversationOut.of(conversation)


@router.get("")
def list_conversations(service: ServiceDep, owner: OwnerDep) -> list[ConversationOut]:
    """This key's conversations, the most recently active first."""
    return [ConversationOut.of(c) for c in service.conversations.list(owner)]


@router.get("/{conversation_id}")
def get(service: ServiceDep, owner: OwnerDep, conversation_id: ConversationId,
        before: Annotated[int | None, Query(ge=0, description="messages before this position (the page before one "
                                            "read already)")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="messages a page")] = PAGE_MESSAGES,
        ) -> ConversationDetail:
    """A conversation with its latest messages (`limit`, before position `before` when given), oldest first;
    `total` says how many it holds and `earlier` whether there are messages before these."""
    return ConversationDetail.of(service.conversations.get(owner, conversation_id, before=before, limit=limit))


@router.patch("/{conversation_id}")
def update(service: ServiceDep, owner: OwnerDep, conversation_id: ConversationId,
           body: ConversationPatch) -> ConversationOut:
    """Rename, or change the scope: only the fields sent change, and null clears a scope."""
    sent = body.model_dump(include=body.model_fields_set)
    if sent.get("documents"):
        collection = service.conversations.get(owner, conversation_id, limit=1).collection
        sent["documents"] = _scope_ids(service, collection, sent["documents"])
    conversation = service.conversations.update(owner, conversation_id, **sent)
    return ConversationOut.of(conversation)


@router.delete("/{conversation_id}", status_code=204)
def delete(service: ServiceDep, owner: OwnerDep, conversation_id: ConversationId) -> Response:
    service.conversations.delete(owner, conversation_id)
    return Response(status_code=204)


@router.post("/{conversation_id}/messages", responses=STREAMS)
def post_message(service: ServiceDep, owner: OwnerDep, locale: LocaleDep, conversation_id: ConversationId,
                 body: MessageRequest):
    """Ask in the conversation: a follow-up is rewritten into a standalone question against the earlier
    ones (`standalone`), searched within the conversation's scope, answered and kept."""
    service.conversations.check_room(owner, conversation_id)  # a full conversation: 409 before any work
    conversation = service.conversations.get(owner, conversation_id, limit=HISTORY_TURNS)  # the recent turns
    sight = service.sight(conversation.collection)
    events = converse(sight, service.conversations, owner, conversation, body.question, body.k, body.picture())
    found = next(events)  # the search runs now: its errors are this request's status
    shown = conversation.collection if conversation.collection != service.settings.collection else None
    if body.stream:
        def chained():
            yield found
            yield from events

        return StreamingResponse(answer_events(chained(), shown, locale), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    answer = message = None
    for item in events:
        if isinstance(item, Answer):
            answer = item
        elif isinstance(item, Message):
            message = item
    return MessageResponse(message=MessageOut.of(message), answer=AnswerOut.of(answer, shown),
                           pages=[HitOut.of(h, shown) for h in found.hits])


def _scope_ids(service, collection: str | None, documents: list[str] | None) -> list[str] | None:
    """The ids of the documents a scope names (NotFound or Ambiguous for a reference that names none or
    several): a scope keeps ids, so that a file of the same name uploaded later never re-targets it."""
    sight = service.sight(collection)  # a valid name, too
    return list(dict.fromkeys(sight.document(ref).id for ref in documents)) if documents else None
