"""What the REST API serves from: one process owns the collections (an embedded collection belongs to
one process), through one `PageSight` per collection sharing one set of models, loaded once; uploads
are ingested one job at a time by a background thread, through the same extraction worker as the CLI
(a child process with time and memory limits, so a hostile file takes down only that child).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Literal

from ..core.settings import Settings
from ..core.types import validate_collection_name
from .conversations import ConversationStore
from .pagesight import Models, PageSight
from .pipeline import FileSpec

__all__ = ["Job", "JobFile", "Service"]

log = logging.getLogger(__name__)


@dataclass
class JobFile:
    name: str
    status: Literal["queued", "ingesting", "ingested", "replaced", "unchanged", "failed"] = "queued"
    pages_done: int = 0
    pages_total: int | None = None
    doc_id: str | None = None
    error: str | None = None


@dataclass
class Job:
    id: str
    collection: str
    tags: list[str]
    files: list[JobFile]
    status: Literal["queued", "running", "done"] = "queued"
    created_at: float = field(default_factory=time.time)
    _paths: list[Path] = field(default_factory=list, repr=False)
    _sources: list[str | None] = field(default_factory=list, repr=False)  # replacement keys, when given

    @property
    def pages_done(self) -> int:
        return sum(f.pages_done for f in self.files)

    @property
    def pages_total(self) -> int | None:
        totals = [f.pages_total for f in self.files if f.status != "failed"]
        return None if any(t is None for t in totals) else sum(totals)


class Service:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.models = Models(settings)
        self._collections: dict[str, PageSight] = {}
        self._lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self._queue: Queue[Job | None] = Queue()
        self._worker = threading.Thread(target=self._run_jobs, name="pagesight-ingest", daemon=True)
        self.uploads = settings.data_dir / "uploads"
        # Jobs live in memory: uploads left by a previous process (stopped mid-job) belong to nobody.
        shutil.rmtree(self.uploads, ignore_errors=True)
        self._worker.start()
        self._conversations: ConversationStore | None = None

    @property
    def conversations(self) -> ConversationStore:
        """The app database's conversations, opened (and migrated) on first use."""
        with self._lock:
            if self._conversations is None:
                self._conversations = ConversationStore(self.settings.database())
            return self._conversations

    def sight(self, collection: str | None = None) -> PageSight:
        """The collection's PageSight, opened once and shared by every request."""
        name = validate_collection_name(collection or self.settings.collection)
        with self._lock:
            if name not in self._collections:
                self._collections[name] = PageSight(name, self.settings, models=self.models)
            return self._collections[name]

    def collections(self) -> list[str]:
        """The collections that exist (in the data folder, or opened by this process and created since)."""
        folder = self.settings.data_dir / "collections"
        names = {p.name for p in folder.iterdir() if (p / "collection.json").is_file()} if folder.is_dir() else set()
        with self._lock:
            opened = [s for s in self._collections.values() if s._store is not None and s.exists]
        return sorted(names | {s.collection for s in opened})

    def ready(self) -> dict:
        _ = self.models.encoders
        _ = self.sight().store
        return {"profile": self.models.profile, "collections": self.collections()}

    def close(self) -> None:
        self._queue.put(None)
        self._worker.join(timeout=30)
        with self._lock:
            for sight in self._collections.values():
                sight.close()
            self._collections.clear()
            if self._conversations is not None:
                self._conversations.close()
                self._conversations = None

    # ---- ingestion jobs ------------------------------------------------------------------------

    def submit(self, files: list[tuple[str, Path, str | None]], tags: list[str], collection: str | None) -> Job:
        """Queue uploaded files (display name, saved path, the source key it replaces by or None) for ingestion."""
        name = validate_collection_name(collection or self.settings.collection)
        job = Job(id=uuid.uuid4().hex, collection=name, tags=tags, files=[JobFile(name=n) for n, _, _ in files],
                  _paths=[p for _, p, _ in files], _sources=[s for _, _, s in files])
        self.jobs[job.id] = job
        self._queue.put(job)
        return job

    def new_upload_folder(self) -> Path:
        folder = self.uploads / uuid.uuid4().hex
        folder.mkdir(parents=True)
        return folder

    def _run_jobs(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                self._run(job)
            except Exception as e:  # never let one job stop the worker
                log.exception("job %s failed", job.id)
                for f in job.files:
                    if f.status in ("queued", "ingesting"):
                        f.status, f.error = "failed", f"unexpected error ({type(e).__name__})"
            finally:
                job.status = "done"
                if job._paths:
                    shutil.rmtree(job._paths[0].parent, ignore_errors=True)

    def _run(self, job: Job) -> None:
        job.status = "running"
        sight = self.sight(job.collection)
        specs = []
        for entry, path, source in zip(job.files, job._paths, job._sources, strict=True):
            def progress(done: int, total: int, entry=entry) -> None:
                entry.status, entry.pages_done, entry.pages_total = "ingesting", done, total

            # A display name is no identity: an upload replaces only what its own source key names.
            specs.append(FileSpec(path, entry.name, source or "", progress))
        outcomes = iter(job.files)

        def settled(outcome) -> None:
            entry = next(outcomes)
            entry.status, entry.doc_id = outcome.status, outcome.doc_id
            if outcome.status == "failed":
                entry.error = outcome.reason
            else:
                entry.pages_done = entry.pages_total = outcome.pages

        sight.ingest_specs(specs, tags=job.tags, on_file=settled)
