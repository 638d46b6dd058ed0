"""Conversations and their messages, kept in the app's SQL database (SQLAlchemy 2; SQLite in the data
folder by default, PostgreSQL by PAGESIGHT_DATABASE_URL). The schema is Alembic's (migrations/):
opening the store brings the database to the newest revision.

A conversation belongs to an owner: the hash of the API key that created it (never the key), or ""
when the server has no keys. Every read and write names its owner, and a conversation of another
owner is not found, exactly as one that does not exist.

What a request costs does not grow with the conversation: its messages are read a page at a time
(the latest first), a follow-up is resolved against the last few only, a new message is appended
without reading the others, and a conversation holds at most `max_messages` (Conflict beyond).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ...core.errors import Conflict, NotFound
from ...core.types import Turn
from ...generate.followup import HISTORY_TURNS
from .database import Base, Database, utc

__all__ = ["Conversation", "ConversationStore", "Message", "owner_of"]

MAX_CONVERSATIONS = 1000  # listed at once, newest first
PAGE_MESSAGES = 50  # messages a read returns unless it asks for fewer (or more, up to MAX_PAGE)
MAX_PAGE = 200


def owner_of(key: str | None) -> str:
    """Who a request acts for: the API key's hash, or "" without keys (gate.Caller.owner)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32] if key else ""


def _now() -> datetime:
    return datetime.now(UTC)


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    collection: Mapped[str | None] = mapped_column(String(64), nullable=True)
    documents: Mapped[list | None] = mapped_column(JSON, nullable=True)  # the scope: document refs
    tags: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Never loaded whole (a long conversation's messages are read a page at a time): deleting a conversation
    # deletes its messages in the database (ON DELETE CASCADE).
    messages: Mapped[list[MessageRow]] = relationship(back_populates="conversation", order_by="MessageRow.position",
                                                      cascade="all, delete-orphan", passive_deletes=True,
                                                      lazy="raise")


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_position", "conversation_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    standalone: Mapped[str | None] = mapped_column(Text, nullable=True)  # as searched, when rewritten
    rewritten_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list] = mapped_column(JSON)
    pages: Mapped[list] = mapped_column(JSON)  # the pages read, [1] first
    claims: Mapped[list | None] = mapped_column(JSON, nullable=True)
    answerer: Mapped[str] = mapped_column(String(32))
    abstained: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    timings: Mapped[dict] = mapped_column(JSON)  # milliseconds: rewrite, search, answer, total
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    picture: Mapped[str | None] = mapped_column(Text, nullable=True)  # a picture asked: its thumbnail, a data: URL
    conversation: Mapped[ConversationRow] = relationship(back_populates="messages")


@dataclass
class Message:
    id: int
    position: int
    question: str
    answer: str
    answerer: str
    created_at: datetime
    standalone: str | None = None
    rewritten_by: str | None = None
    citations: list[dict] = field(default_factory=list)
    pages: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    abstained: bool = False
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    picture: str | None = None  # the picture asked, as a thumbnail (a data: URL)

    @classmethod
    def of(cls, row: MessageRow) -> Message:
        return cls(id=row.id, position=row.position, question=row.question, answer=row.answer,
                   answerer=row.answerer, created_at=utc(row.created_at), standalone=row.standalone,
                   rewritten_by=row.rewritten_by, citations=list(row.citations or []), pages=list(row.pages or []),
                   claims=list(row.claims or []), abstained=bool(row.abstained), error=row.error,
                   timings=dict(row.timings or {}), picture=row.picture)


@dataclass
class Conversation:
    """A conversation, with some of its messages (`messages`: a page of them, oldest first; `total`: how many
    it holds; `earlier`: whether messages before this page exist)."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    collection: str | None = None
    documents: list[str] | None = None  # the scope: document ids
    tags: list[str] | None = None
    messages: list[Message] = field(default_factory=list)
    total: int = 0
    earlier: bool = False

    @classmethod
    def of(cls, row: ConversationRow, messages: list[Message] = (), total: int = 0, earlier: bool = False
           ) -> Conversation:
        return cls(id=row.id, title=row.title, created_at=utc(row.created_at), updated_at=utc(row.updated_at),
                   collection=row.collection, documents=row.documents, tags=row.tags, messages=list(messages),
                   total=total, earlier=earlier)

    def history(self, turns: int = HISTORY_TURNS) -> list[Turn]:
        """The last exchanges held (a read keeps the latest), as a follow-up is resolved against them."""
        return history_of(self.messages[-turns:])


def history_of(messages: list[Message]) -> list[Turn]:
    """Exchanges as a follow-up is resolved against them: each question as it was searched, the documents
    its answer cited; a failed exchange is left out."""
    return [Turn(m.standalone or m.question, tuple(dict.fromkeys(c["doc_id"] for c in m.citations)))
            for m in messages if not m.error]


_UNSET = object()


class ConversationStore:
    """The conversations of every owner, in the app database. Safe to share between threads."""

    def __init__(self, database: Database | str, max_messages: int = 1000):
        self.database = Database(database) if isinstance(database, str) else database
        self._owned = isinstance(database, str)
        self._session = self.database.session
        self.max_messages = max_messages

    def _row(self, session: Session, owner: str, conversation_id: str) -> ConversationRow:
        row = session.get(ConversationRow, conversation_id) if len(conversation_id) <= 32 else None
        if row is None or row.owner != owner:  # another owner's is not found, as one that does not exist
            raise NotFound(f"no conversation {conversation_id}")
        return row

    def create(self, owner: str, title: str = "", *, collection: str | None = None,
               documents: list[str] | None = None, tags: list[str] | None = None) -> Conversation:
        now = _now()
        row = ConversationRow(id=uuid.uuid4().hex, owner=owner, title=title.strip() or "New conversation",
                              collection=collection, documents=documents or None, tags=tags or None,
                              created_at=now, updated_at=now)
        with self._session() as session:
            session.add(row)
            session.flush()
            return Conversation.of(row)

    def list(self, owner: str, limit: int = MAX_CONVERSATIONS) -> list[Conversation]:
        with self._session(write=False) as session:
            rows = session.scalars(select(ConversationRow).where(ConversationRow.owner == owner)
                                   .order_by(ConversationRow.updated_at.desc()).limit(limit))
            return [Conversation.of(r) for r in rows]

    def get(self, owner: str, conversation_id: str, *, before: int | None = None,
            limit: int = PAGE_MESSAGES) -> Conversation:
        """A conversation with its latest `limit` messages (before position `before`, when given: the page
        before one already read), oldest first."""
        limit = max(1, min(limit, MAX_PAGE))
        with self._session(write=False) as session:
            row = self._row(session, owner, conversation_id)
            total = _count(session, conversation_id)
            query = select(MessageRow).where(MessageRow.conversation_id == conversation_id)
            if before is not None:
                query = query.where(MessageRow.position < before)
            rows = list(session.scalars(query.order_by(MessageRow.position.desc()).limit(limit + 1)))
            page = [Message.of(m) for m in reversed(rows[:limit])]
            return Conversation.of(row, page, total, earlier=len(rows) > limit)

    def history(self, owner: str, conversation_id: str, turns: int = HISTORY_TURNS) -> list[Turn]:
        """The last exchanges of a conversation, as a follow-up is resolved against them: they alone are read."""
        return self.get(owner, conversation_id, limit=turns).history(turns)

    def update(self, owner: str, conversation_id: str, *, title: str | None = None, documents=_UNSET,
               tags=_UNSET) -> Conversation:
        """Rename, or change the scope (None: no limit)."""
        with self._session() as session:
            row = self._row(session, owner, conversation_id)
            if title is not None:
                row.title = title.strip() or row.title
            if documents is not _UNSET:
                row.documents = list(documents) if documents else None
            if tags is not _UNSET:
                row.tags = list(tags) if tags else None
            row.updated_at = _now()
            session.flush()
            return Conversation.of(row)

    def delete(self, owner: str, conversation_id: str) -> None:
        with self._session() as session:
            session.delete(self._row(session, owner, conversation_id))

    def check_room(self, owner: str, conversation_id: str) -> None:
        """Conflict when the conversation holds as many messages as it may (NotFound for another owner's)."""
        with self._session(write=False) as session:
            self._row(session, owner, conversation_id)
            self._room(session, conversation_id)

    def _room(self, session: Session, conversation_id: str) -> int:
        """The position of the next message; Conflict when there is no room for it."""
        held = _count(session, conversation_id)
        if held >= self.max_messages:
            raise Conflict(f"this conversation holds {held} messages, the most one may "
                           "(PAGESIGHT_CONVERSATION_MAX_MESSAGES): start a new conversation")
        last = session.scalar(select(func.max(MessageRow.position))
                              .where(MessageRow.conversation_id == conversation_id))
        return 0 if last is None else last + 1

    def add_message(self, owner: str, conversation_id: str, message: Message) -> Message:
        """Append an exchange (its other messages unread); a conversation still named by default takes its
        first question as title. Text is kept without NUL characters, which no database column takes."""
        with self._session() as session:
            row = self._row(session, owner, conversation_id)
            position = self._room(session, conversation_id)
            stored = MessageRow(conversation_id=conversation_id, position=position, question=_clean(message.question),
                                standalone=_clean(message.standalone), rewritten_by=message.rewritten_by,
                                answer=_clean(message.answer), citations=_clean(message.citations),
                                pages=_clean(message.pages), claims=_clean(message.claims),
                                answerer=message.answerer, abstained=message.abstained, error=_clean(message.error),
                                timings=message.timings, created_at=message.created_at, picture=message.picture)
            session.add(stored)
            if position == 0 and row.title == "New conversation":
                row.title = _title(_clean(message.question))
            row.updated_at = _now()
            session.flush()
            return Message.of(stored)

    def close(self) -> None:
        if self._owned:
            self.database.close()


def _count(session: Session, conversation_id: str) -> int:
    return session.scalar(select(func.count()).select_from(MessageRow)
                          .where(MessageRow.conversation_id == conversation_id)) or 0


def _clean(value):
    """The value with every NUL character taken out of its text (strings in lists and dicts too)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _title(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= 80 else words[:79].rsplit(" ", 1)[0] + "…"
