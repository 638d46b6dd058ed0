"""What the REST API serves from: one process owns the stores (an embedded collection belongs to
one process), the encoders and the answerer, loaded once and shared by every request; uploads are
ingested one job at a time by a background thread, through the same extraction worker as the CLI
(a child process with time and memory limits, so a hostile file takes down only that child).

Calls into a store are serialised by one lock: the embedded store is not documented as safe for
concurrent use, and a search takes milliseconds. Extraction and encoding of an upload run outside
the lock; only writing the finished document holds it.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Literal

from pagesight.core.settings import Settings
from pagesight.core.types import Answer, validate_collection_name

__all__ = ["Job", "JobFile", "Service", "display_name"]

log = logging.getLogger(__name__)

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069/\\\\]")


def display_name(raw: str | None) -> str:
    """An uploaded file's name for display only (never a path): its last component, without
    control characters or separators, at most 200 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("", name).strip().lstrip(".")[:200]
    return name or "upload"


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
        self.lock = threading.RLock()
        self._stores: dict[str, object] = {}
        self._encoders = None
        self._answerer = None
        self._load_lock = threading.RLock()
        self.jobs: dict[str, Job] = {}
        self._queue: Queue[Job | None] = Queue()
        self._worker = threading.Thread(target=self._run_jobs, name="pagesight-ingest", daemon=True)
        self.uploads = settings.data_dir / "uploads"
        # Jobs live in memory: uploads left by a previous process (stopped mid-job) belong to nobody.
        shutil.rmtree(self.uploads, ignore_errors=True)
        self._worker.start()

    # ---- what requests share -------------------------------------------------------------------

    def store(self, collection: str | None = None):
        from pagesight.index import open_store

        name = validate_collection_name(collection or self.settings.collection)
        with self.lock:
            if name not in self._stores:
                self._stores[name] = open_store(self.settings, name)
            return self._stores[name]

    def collections(self) -> list[str]:
        folder = self.settings.data_dir / "collections"
        names = {p.name for p in folder.iterdir() if (p / "collection.json").is_file()} if folder.is_dir() else set()
        return sorted(names | set(self._stores))

    @property
    def encoders(self):
        with self._load_lock:
            if self._encoders is None:
                from pagesight.index import load_encoders

                self._encoders = load_encoders(self.settings)
            return self._encoders

    @property
    def answerer(self):
        with self._load_lock:
            if self._answerer is None:
                from pagesight.generate import choose_answerer, load_answerer

                encoders = self.encoders
                kind, why = choose_answerer(self.settings, encoders.profile)
                log.info("answerer: %s (%s)", kind, why)
                self._answerer = load_answerer(self.settings, encoders.text, kind, encoders.profile)
            return self._answerer

    def ready(self) -> dict:
        _ = self.encoders
        self.store()
        return {"profile": self.encoders.profile, "collections": self.collections()}

    def close(self) -> None:
        self._queue.put(None)
        self._worker.join(timeout=30)
        with self.lock:
            for store in self._stores.values():
                store.close()
            self._stores.clear()

    # ---- search and answers --------------------------------------------------------------------

    def search(self, query: str, k: int, flt, file_glob: str | None, collection: str | None):
        from pagesight.retrieve import Retriever

        encoders = self.encoders
        store = self.store(collection)
        with self.lock:
            return Retriever(store, encoders, self.settings).search(query, k, flt, file_glob=file_glob)

    def answer_stream(self, question: str, k: int, flt, file_glob: str | None,
                      collection: str | None) -> tuple[object, Iterator[str | Answer]]:
        """The search result, and the answer's events (text deltas, then the Answer)."""
        from pagesight.generate import gather_evidence

        result = self.search(question, k, flt, file_glob, collection)
        store = self.store(collection)
        with self.lock:
            evidence = gather_evidence(store, result.hits, k)
        return result, self.answerer.stream(question, evidence)

    # ---- ingestion jobs ------------------------------------------------------------------------

    def submit(self, files: list[tuple[str, Path]], tags: list[str], collection: str | None) -> Job:
        """Queue uploaded files (display name, saved path) for ingestion."""
        name = validate_collection_name(collection or self.settings.collection)
        job = Job(id=uuid.uuid4().hex, collection=name, tags=tags,
                  files=[JobFile(name=n) for n, _ in files], _paths=[p for _, p in files])
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
        from pagesight.ingest.pipeline import Ingestor

        job.status = "running"
        store = self.store(job.collection)
        with Ingestor(_Serialised(store, self.lock), self.encoders, self.settings) as ingestor:
            for entry, path in zip(job.files, job._paths, strict=True):
                entry.status = "ingesting"

                def progress(done: int, total: int, entry=entry) -> None:
                    entry.pages_done, entry.pages_total = done, total

                outcome = ingestor.ingest_file(path, tags=job.tags, file_name=entry.name,
                                               source=f"upload:{job.collection}/{entry.name}", on_pages=progress)
                entry.status, entry.doc_id = outcome.status, outcome.doc_id
                if outcome.status == "failed":
                    entry.error = outcome.reason
                elif outcome.pages is not None:
                    entry.pages_done = entry.pages_total = outcome.pages


class _Serialised:
    """A store whose every method call holds the service's lock."""

    def __init__(self, store, lock):
        self._store, self._lock = store, lock

    def __getattr__(self, name):
        value = getattr(self._store, name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            with self._lock:
                return value(*args, **kwargs)

        return call
