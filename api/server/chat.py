"""A question asked in a conversation: resolved against the conversation's earlier exchanges (a
follow-up becomes a standalone question), searched within the conversation's scope, answered, and kept
as a message with what it read, what it cited and how long each part took. A failure is kept too (the
message carries the error), so the conversation shows what happened."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

from ...core.errors import PageSightError
from ...core.types import Answer, Filters, SearchResult
from ..pagesight import PageSight
from .conversations import Conversation, ConversationStore, Message
from .schemas import CitationOut, HitOut

__all__ = ["converse", "scope_of"]


def scope_of(conversation: Conversation) -> Filters | None:
    """The documents and tags a conversation is limited to."""
    if not conversation.documents and not conversation.tags:
        return None
    return Filters(documents=tuple(conversation.documents) if conversation.documents else None,
                   tags=tuple(conversation.tags) if conversation.tags else None)


PICTURE = "[picture]"  # a question asked by a picture alone, as the conversation keeps it (the picture is not kept)


def converse(sight: PageSight, store: ConversationStore, owner: str, conversation: Conversation, question: str,
             k: int | None = None, image: bytes | None = None) -> Iterator[SearchResult | str | Answer | Message]:
    """As `PageSight.ask_stream`, then the stored Message. The search runs on the first `next()`, so its
    errors (a document of the scope deleted since) reach the caller before anything streams. A picture's
    words are kept as the question searched (`standalone`): a follow-up is resolved against them."""
    started = time.perf_counter()
    events = sight.ask_stream(question, k, scope_of(conversation), history=conversation.history(), image=image)
    found = next(events)
    searched = time.perf_counter()
    yield found
    shown = conversation.collection if conversation.collection != sight.settings.collection else None
    record = Message(id=0, position=0, question=question.strip() or PICTURE, answer="", answerer="",
                     created_at=datetime.now(UTC),
                     standalone=found.question if found.rewritten_by or found.picture else None,
                     rewritten_by=found.rewritten_by or ("picture" if found.picture else None),
                     pages=[HitOut.of(h, shown).model_dump(mode="json", exclude={"text"}) for h in found.hits],
                     picture=(found.picture.thumbnail or None) if found.picture else None)
    try:
        for item in events:
            if isinstance(item, Answer):
                record.answer, record.answerer, record.abstained = item.text, item.answerer, item.abstained
                record.citations = [CitationOut.of(c, shown).model_dump(mode="json") for c in item.citations]
                record.claims = [c.model_dump(mode="json") for c in item.claims]
            yield item
    except PageSightError as e:
        record.error = e.reason
        raise
    finally:
        done = time.perf_counter()
        record.timings = {"search_ms": round(1000 * (searched - started), 1),
                          "answer_ms": round(1000 * (done - searched), 1),
                          "total_ms": round(1000 * (done - started), 1)}
        stored = store.add_message(owner, conversation.id, record) if record.answer or record.error else None
    if stored is not None:
        yield stored
