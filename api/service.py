"""What the REST API serves from: one process owns the collections (an embedded collection belongs to
one process), through one `PageSight` per collection sharing one set of models, loaded once; uploads
are ingested one job at a time by a background thread, through the same extraction workers as the CLI
(child processes with time and memory limits, so a hostile file takes down only its worker). Jobs and
conversations are kept in the app database (jobs.py, conversations.py).

When no upload is waiting, the same thread brings the indexes of any collection written since they
were built up to date (after uploads and deletes, and those a previous process left behind). The
embedded store builds them on a copy in a child process, so searches and answers go on meanwhile.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty, Queue

from ..core.settings import Settings
from ..core.types import validate_collection_name
from ..index import collection_names
from .conversations import ConversationStore
from .database import Database
from .jobs import Job, JobFile, JobStore
from .pagesight import Models, PageSight
from .pipeline import FileSpec

__all__ = ["Service"]

log = logging.getLogger(__name__)


class Service:
    idle_s = 2.0  # how long the ingest queue stays empty before indexes are built

    def __init__(self, settings: Settings):
        self.settings = settings
        self.models = Models(settings)
        self._collections: dict[str, PageSight] = {}
        self._lock = threading.Lock()
        self.database = Database(settings.database())
        self.conversations = ConversationStore(self.database, settings.conversation_max_messages)
        self.jobs = JobStore(self.database)
        self._live: dict[str, Job] = {}  # queued and running jobs, their progress a page at a time
        # A job the previous process left unfinished failed with it; its uploads went with its folder.
        if interrupted := self.jobs.interrupt_unfinished():
            log.warning("%d upload job(s) were interrupted by the last stop: marked failed", interrupted)
        self.jobs.prune(settings.job_retention_h)
        self.uploads = settings.data_dir / "uploads"
        shutil.rmtree(self.uploads, ignore_errors=True)
        self._queue: Queue[Job | None] = Queue()
        self._worker = threading.Thread(target=self._run_jobs, name="pagesight-ingest", daemon=True)
        self._worker.start()

    def sight(self, collection: str | None = None) -> PageSight:
        """The collection's PageSight, opened once and shared by every request."""
        name = validate_collection_name(collection or self.settings.collection)
        with self._lock:
            if name not in self._collections:
                self._collections[name] = PageSight(name, self.settings, models=self.models, where="this server")
            return self._collections[name]

    def collections(self) -> list[str]:
        """The collections that exist (in the data folder, or opened by this process and created since)."""
        names = set(collection_names(self.settings))
        with self._lock:
            opened = [s for s in self._collections.values() if s._store is not None and s.exists]
        return sorted(names | {s.collection for s in opened})

    def ready(self) -> dict:
        # the encoders that read the default collection: its own text runtime, not a second one
        _ = self.models.encoders_for(self.sight().store.schema)
        return {"profile": self.models.profile, "collections": self.collections()}

    def close(self) -> None:
        self._queue.put(None)
        self._worker.join(timeout=30)
        with self._lock:
            for sight in self._collections.values():
                sight.close()
            self._collections.clear()
        self.database.close()

    # ---- ingestion jobs ------------------------------------------------------------------------

    def submit(self, files: list[tuple[str, Path, str | None]], tags: list[str], collection: str | None,
               owner: str = "") -> Job:
        """Queue uploaded files (display name, saved path, the source key it replaces by or None) for ingestion."""
        name = validate_collection_name(collection or self.settings.collection)
        job = Job(id=uuid.uuid4().hex, collection=name, tags=tags, owner=owner,
                  files=[JobFile(name=n) for n, _, _ in files], paths=[p for _, p, _ in files],
                  sources=[s for _, _, s in files])
        self.jobs.add(job)
        self._live[job.id] = job
        self._queue.put(job)
        return job

    def job(self, owner: str, job_id: str) -> Job:
        """A job as it stands: live while it runs, from the database after (NotFound for another owner's)."""
        live = self._live.get(job_id)
        if live is not None and live.owner == owner:
            return live
        return self.jobs.get(owner, job_id)

    def new_upload_folder(self) -> Path:
        folder = self.uploads / uuid.uuid4().hex
        folder.mkdir(parents=True)
        return folder

    def _run_jobs(self) -> None:
        names = self.collections()  # at first, every collection: a previous process may have left one behind
        while True:
            try:
                job = self._queue.get(timeout=self.idle_s)
            except Empty:
                self._build_indexes(names)
                names = None  # from then on, the collections this process opened
                continue
            if job is None:
                return
            try:
                self._run(job)
            except Exception as e:  # never let one job stop the worker
                log.exception("job %s failed", job.id)
                for f in job.files:
                    if f.status in ("queued", "ingesting"):
                        f.status, f.error = "failed", f"unexpected error ({type(e).__name__})"
            finally:
                job.status, job.finished_at = "done", datetime.now(UTC)
                self._save(job, force=True)
                self._live.pop(job.id, None)
                if job.paths:
                    shutil.rmtree(job.paths[0].parent, ignore_errors=True)
                self._save_quietly(lambda: self.jobs.prune(self.settings.job_retention_h))

    def _build_indexes(self, names: list[str] | None) -> None:
        if names is None:
            with self._lock:
                names = [n for n, s in self._collections.items() if s._store is not None]
        for name in names:
            if not self._queue.empty():
                return  # uploads first; the next idle moment finishes this
            self.sight(name).optimize()  # logs a failure and loses nothing

    def _save(self, job: Job, force: bool = False) -> None:
        self._save_quietly(lambda: self.jobs.save(job, force=force))

    @staticmethod
    def _save_quietly(write) -> None:
        """A database hiccup costs a progress report, never the ingest itself."""
        try:
            write()
        except Exception:  # noqa: BLE001
            log.exception("could not record job progress in the database")

    def _run(self, job: Job) -> None:
        job.status = "running"
        self._save(job, force=True)
        sight = self.sight(job.collection)
        specs = []
        for entry, path, source in zip(job.files, job.paths, job.sources, strict=True):
            def progress(done: int, total: int, entry=entry) -> None:
                changed = entry.status != "ingesting"
                entry.status, entry.pages_done, entry.pages_total = "ingesting", done, total
                self._save(job, force=changed)

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
            self._save(job, force=True)

        sight.ingest_specs(specs, tags=job.tags, on_file=settled)
