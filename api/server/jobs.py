"""Upload jobs: what the server was asked to ingest and what became of each file, kept in the app
database so that a job's outcome outlives the process that ran it.

A running job's progress lives in memory (a page at a time) and reaches the database when a file's
status changes and at most every PROGRESS_S seconds otherwise. When the server starts, a job the
previous process did not finish is marked failed with the reason (its uploaded files are gone with
that process's upload folder); finished jobs are pruned after `job_retention_h` hours. A job belongs
to the API key that submitted it, as a conversation does.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.errors import NotFound
from .database import Base, Database, utc

__all__ = ["INTERRUPTED", "Job", "JobFile", "JobStore"]

PROGRESS_S = 1.0
INTERRUPTED = "the server stopped before this file was ingested; upload it again"


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    collection: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    files: Mapped[list[JobFileRow]] = relationship(back_populates="job", order_by="JobFileRow.position",
                                                   cascade="all, delete-orphan", passive_deletes=True)


class JobFileRow(Base):
    __tablename__ = "job_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    pages_done: Mapped[int] = mapped_column(Integer)
    pages_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    doc_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # why a file was left unchanged
    job: Mapped[JobRow] = relationship(back_populates="files")


@dataclass
class JobFile:
    name: str
    status: Literal["queued", "ingesting", "ingested", "replaced", "unchanged", "failed", "cancelled"] = "queued"
    pages_done: int = 0
    pages_total: int | None = None
    doc_id: str | None = None
    error: str | None = None  # why it failed, or was cancelled
    note: str | None = None  # why it was left unchanged


@dataclass
class Job:
    id: str
    collection: str
    tags: list[str]
    files: list[JobFile]
    owner: str = ""
    status: Literal["queued", "running", "done"] = "queued"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    paths: list[Path] = field(default_factory=list, repr=False)  # the uploaded files, while queued
    sources: list[str | None] = field(default_factory=list, repr=False)  # replacement keys, when given
    languages: str | None = field(default=None, repr=False)  # what OCR reads the scans in, when given
    cancel: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)  # set: stop it

    @property
    def pages_done(self) -> int:
        return sum(f.pages_done for f in self.files)

    @property
    def pages_total(self) -> int | None:
        totals = [f.pages_total for f in self.files if f.status != "failed"]
        return None if any(t is None for t in totals) else sum(totals)

    @classmethod
    def of(cls, row: JobRow) -> Job:
        return cls(id=row.id, collection=row.collection, tags=list(row.tags), owner=row.owner,
                   status=row.status, created_at=utc(row.created_at),  # type: ignore[arg-type]
                   finished_at=utc(row.finished_at) if row.finished_at else None,
                   files=[JobFile(name=f.name, status=f.status, pages_done=f.pages_done,  # type: ignore[arg-type]
                                  pages_total=f.pages_total, doc_id=f.doc_id, error=f.error, note=f.note)
                          for f in row.files])


class JobStore:
    """Every owner's jobs, in the app database."""

    def __init__(self, database: Database):
        self.database = database
        self._saved: dict[str, float] = {}  # job id -> when its progress was last written

    def add(self, job: Job) -> None:
        with self.database.session() as session:
            session.add(JobRow(id=job.id, owner=job.owner, collection=job.collection, status=job.status,
                               tags=job.tags, created_at=job.created_at, finished_at=job.finished_at,
                               files=[_file_row(i, f) for i, f in enumerate(job.files)]))

    def get(self, owner: str, job_id: str) -> Job:
        with self.database.session() as session:
            row = session.get(JobRow, job_id) if len(job_id) <= 32 else None
            if row is None or row.owner != owner:
                raise NotFound(f"no job {job_id}")
            return Job.of(row)

    def save(self, job: Job, *, force: bool = False) -> None:
        """The job's status and its files' progress, now if `force`, else at most every PROGRESS_S."""
        now = time.monotonic()
        if not force and now - self._saved.get(job.id, 0.0) < PROGRESS_S:
            return
        self._saved[job.id] = now
        with self.database.session() as session:
            row = session.get(JobRow, job.id)
            if row is None:
                return
            row.status, row.finished_at = job.status, job.finished_at
            for stored, live in zip(row.files, job.files, strict=True):
                stored.status, stored.pages_done, stored.pages_total = live.status, live.pages_done, live.pages_total
                stored.doc_id, stored.error, stored.note = live.doc_id, live.error, live.note
        if job.status == "done":
            self._saved.pop(job.id, None)

    def interrupt_unfinished(self) -> int:
        """Jobs a previous process left queued or running: done, their unfinished files failed. How many."""
        now = datetime.now(UTC)
        with self.database.session() as session:
            rows = session.scalars(select(JobRow).where(JobRow.status != "done")).all()
            for row in rows:
                row.status, row.finished_at = "done", now
                for f in row.files:
                    if f.status in ("queued", "ingesting"):
                        f.status, f.error = "failed", INTERRUPTED
            return len(rows)

    def prune(self, older_than_h: float) -> int:
        """Delete the jobs finished more than `older_than_h` hours ago; how many."""
        cutoff = datetime.now(UTC) - timedelta(hours=older_than_h)
        with self.database.session() as session:
            ids = session.scalars(select(JobRow.id).where(JobRow.finished_at < cutoff)).all()
            if ids:
                session.execute(delete(JobFileRow).where(JobFileRow.job_id.in_(ids)))
                session.execute(delete(JobRow).where(JobRow.id.in_(ids)))
            return len(ids)


def _file_row(position: int, f: JobFile) -> JobFileRow:
    return JobFileRow(position=position, name=f.name[:300], status=f.status, pages_done=f.pages_done,
                      pages_total=f.pages_total, doc_id=f.doc_id, error=f.error, note=f.note)
