"""Conversations and their messages, kept in the app's SQL database (SQLAlchemy 2; SQLite in the data
folder by default, PostgreSQL by PAGESIGHT_DATABASE_URL). The schema is Alembic's (migrations/):
opening the store brings the database to the newest revision.

A conversation belongs to an owner: the hash of the API key that created it (never the key), or ""
when the server has no keys. Every read and write names its owner, and a conversation of another
owner is not found, exactly as one that does not exist.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..core.errors import NotFound
from ..core.types import Turn
from .database import Base, Database, utc

__all__ = ["Conversation", "ConversationStore", "Message", "owner_of"]

MAX_CONVERSATIONS = 1000  # listed at once, newest first
HISTORY_TURNS = 4  # earlier exchanges a follow-up is resolved against


def owner_of(key: str | None) -> str:
    """Who a request acts for: the API key's hash, or "" without keys."""
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
    messages: Mapped[list[MessageRow]] = relationship(back_populates="conversation", order_by="MessageRow.position",
                                                      cascade="all, delete-orphan", passive_deletes=True)


class MessageRow(Base):
    __tablename__ = "messages"

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

    @classmethod
    def of(cls, row: MessageRow) -> Message:
        return cls(id=row.id, position=row.position, question=row.question, answer=row.answer,
                   answerer=row.answerer, created_at=utc(row.created_at), standalone=row.standalone,
                   rewritten_by=row.rewritten_by, citations=list(row.citations or []), pages=list(row.pages or []),
                   claims=list(row.claims or []), abstained=bool(row.abstained), error=row.error,
                   timings=dict(row.timings or {}))


@dataclass
class Conversation:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    collection: str | None = None
    documents: list[str] | None = None
    tags: list[str] | None = None
    messages: list[Message] = field(default_factory=list)

    @classmethod
    def of(cls, row: ConversationRow, with_messages: bool = False) -> Conversation:
        return cls(id=row.id, title=row.title, created_at=utc(row.created_at), updated_at=utc(row.updated_at),
                   collection=row.collection, documents=row.documents, tags=row.tags,
                   messages=[Message.of(m) for m in row.messages] if with_messages else [])

    def history(self, turns: int = HISTORY_TURNS) -> list[Turn]:
        """The last exchanges, as a follow-up is resolved against them."""
        return [Turn(m.standalone or m.question, tuple(dict.fromkeys(c["doc_id"] for c in m.citations)))
                for m in self.messages[-turns:] if not m.error]


_UNSET = object()


class ConversationStore:
    """The conversations of every owner, in the app database. Safe to share between threads."""

    def __init__(self, database: Database | str):
        self.database = Database(database) if isinstance(database, str) else database
        self._owned = isinstance(database, str)
        self._session = self.database.session

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
        with self._session() as session:
            rows = session.scalars(select(ConversationRow).where(ConversationRow.owner == owner)
                                   .order_by(ConversationRow.updated_at.desc()).limit(limit))
            return [Conversation.of(r) for r in rows]

    def get(self, owner: str, conversation_id: str) -> Conversation:
        with self._session() as session:
            return Conversation.of(self._row(session, owner, conversation_id), with_messages=True)

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

    def add_message(self, owner: str, conversation_id: str, message: Message) -> Message:
        """Append an exchange; a conversation still named by default takes its first question as title."""
        with self._session() as session:
            row = self._row(session, owner, conversation_id)
            position = len(row.messages)
            stored = MessageRow(position=position, question=message.question, standalone=message.standalone,
                                rewritten_by=message.rewritten_by, answer=message.answer,
                                citations=message.citations, pages=message.pages, claims=message.claims,
                                answerer=message.answerer, abstained=message.abstained, error=message.error,
                                timings=message.timings, created_at=message.created_at)
            row.messages.append(stored)
            if position == 0 and row.title == "New conversation":
                row.title = _title(message.question)
            row.updated_at = _now()
            session.flush()
            return Message.of(stored)

    def close(self) -> None:
        if self._owned:
            self.database.close()


def _title(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= 80 else words[:79].rsplit(" ", 1)[0] + "…"
