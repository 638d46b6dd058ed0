"""What the REST API serves from: one process owns the collections (an embedded collection belongs to
one process), through one `PageSight` per collection sharing one set of models, loaded once; uploads
are ingested in the background through the same extraction workers as the CLI (child processes with
time and memory limits, so a hostile file takes down only its worker). Jobs and conversations are kept
in the app database (jobs.py, conversations.py).

Upload jobs wait in one queue per owner (API key), and the owners take turns: up to
`ingest_concurrency` jobs run at once, never two of one owner, each in its own lane of the extraction
pool. One key's long or hostile upload then holds up only that key's next ones. A job can be cancelled
(`cancel`): a queued one never starts, a running one stops (the file being read is abandoned, the files
written before it stay).

When no upload is waiting or running, a runner brings the indexes of any collection written since they
were built up to date (after uploads and deletes, and those a previous process left behind). The
embedded store builds them on a copy in a child process, so searches and answers go on meanwhile.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from ...core.errors import Conflict, Forbidden
from ...core.settings import Settings
from ...core.types import validate_collection_name
from ...index import collection_names
from ..pagesight import Models, PageSight
from ..pipeline import FileSpec
from .conversations import ConversationStore
from .database import Database
from .gate import CALLER
from .jobs import Job, JobFile, JobStore

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
        self._waiting: dict[str, deque[Job]] = {}  # owner -> their queued jobs, in order
        self._turns: deque[str] = deque()  # the owners with queued jobs, in the order they take turns
        self._running: set[str] = set()  # owners with a job running
        self._changed = threading.Condition()
        self._closing = False
        self._built_once = False  # the first idle moment looks at every collection, the later ones at those opened
        self._building = False
        self._runners = [threading.Thread(target=self._run_jobs, name=f"pagesight-ingest-{i}", daemon=True)
                         for i in range(settings.ingest_concurrency)]
        for runner in self._runners:
            runner.start()

    def allowed(self, collection: str | None = None) -> str:
        """The collection's name, if the request's caller (gate.CALLER) may use it (Forbidden otherwise)."""
        name = validate_collection_name(collection or self.settings.collection)
        if not CALLER.get().may_use(name):
            raise Forbidden(f"this API key may not use collection {name!r}")
        return name

    def sight(self, collection: str | None = None) -> PageSight:
        """The collection's PageSight, opened once and shared by every request. Every face reaches a collection
        through here, so here the request's caller must be allowed it (`allowed`)."""
        name = self.allowed(collection)
        with self._lock:
            if name not in self._collections:
                self._collections[name] = PageSight(name, self.settings, models=self.models, where="this server")
            return self._collections[name]

    def collections(self) -> list[str]:
        """The collections that exist (in the data folder, or opened by this process and created since)."""
        names = set(collection_names(self.settings))
        with self._lock:
            opened = [s for s in self._collections.values() if s._store is not None and s.exists]
        caller = CALLER.get()
        return sorted(name for name in names | {s.collection for s in opened} if caller.may_use(name))

    def ready(self) -> dict:
        # the encoders that read the default collection: its own text runtime, not a second one
        _ = self.models.encoders_for(self.sight().store.schema)
        return {"profile": self.models.profile, "collections": self.collections()}

    def close(self) -> None:
        with self._changed:
            self._closing = True
            for job in self._live.values():
                job.cancel.set()  # running ones stop at their next page
            self._changed.notify_all()
        for runner in self._runners:
            runner.join(timeout=30)
        with self._lock:
            for sight in self._collections.values():
                sight.close()
            self._collections.clear()
        self.models.close()
        self.database.close()

    # ---- ingestion jobs ------------------------------------------------------------------------

    def submit(self, files: list[tuple[str, Path, str | None]], tags: list[str], collection: str | None,
               owner: str = "", languages: str | None = None) -> Job:
        """Queue uploaded files (display name, saved path, the source key it replaces by or None) for ingestion;
        `languages`: what OCR reads their scans in (the settings' choice when None)."""
        name = self.allowed(collection)
        job = Job(id=uuid.uuid4().hex, collection=name, tags=tags, owner=owner,
                  files=[JobFile(name=n) for n, _, _ in files], paths=[p for _, p, _ in files],
                  sources=[s for _, _, s in files], languages=languages)
        self.jobs.add(job)
        with self._changed:
            self._live[job.id] = job
            if owner not in self._waiting:
                self._waiting[owner] = deque()
                self._turns.append(owner)
            self._waiting[owner].append(job)
            self._changed.notify()
        return job

    def cancel(self, owner: str, job_id: str) -> Job:
        """Cancel a job of this owner: a queued one never starts (done now, its files cancelled); a running one
        stops at its next page (done soon). Conflict for a job that has finished; NotFound for another's."""
        with self._changed:
            job = self._live.get(job_id)
            if job is not None and job.owner == owner:
                job.cancel.set()
                queued = self._waiting.get(owner)
                if queued is not None and job in queued:
                    queued.remove(job)
                    self._finish(job)
                return job
        finished = self.jobs.get(owner, job_id)  # NotFound for none of this owner's
        raise Conflict(f"job {finished.id} has finished ({', '.join(f.status for f in finished.files)}): "
                       "nothing to cancel; delete the documents it made instead")

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

    def _next(self) -> Job | None:
        """The first queued job of the next owner in turn with none running (that owner goes last); under
        the lock."""
        for _ in range(len(self._turns)):
            owner = self._turns.popleft()
            queued = self._waiting[owner]
            if owner in self._running or not queued:
                if queued:
                    self._turns.append(owner)
                else:
                    del self._waiting[owner]
                continue
            job = queued.popleft()
            if queued:
                self._turns.append(owner)
            else:
                del self._waiting[owner]
            self._running.add(owner)
            return job
        return None

    def _run_jobs(self) -> None:
        while True:
            with self._changed:
                job = self._next()
                while job is None and not self._closing:
                    idle = not self._changed.wait(timeout=self.idle_s)
                    job = self._next()
                    if job is None and idle and not self._running and not self._waiting and not self._building:
                        self._building = True
                        break
                if self._closing:
                    return
            if job is None:
                try:
                    self._build_indexes()
                finally:
                    with self._changed:
                        self._building = False
                continue
            try:
                self._run(job)
            except Exception as e:  # never let one job stop the runner
                log.exception("job %s failed", job.id)
                for f in job.files:
                    if f.status in ("queued", "ingesting"):
                        f.status, f.error = "failed", f"unexpected error ({type(e).__name__})"
            finally:
                with self._changed:
                    self._running.discard(job.owner)
                    self._finish(job)
                    self._changed.notify_all()

    def _finish(self, job: Job) -> None:
        """A job is done: files it never came to are cancelled, its record written, its uploads removed."""
        for f in job.files:
            if f.status in ("queued", "ingesting"):
                f.status, f.error = "cancelled", "the job was cancelled before this file was written"
        job.status, job.finished_at = "done", datetime.now(UTC)
        self._save(job, force=True)
        self._live.pop(job.id, None)
        if job.paths:
            shutil.rmtree(job.paths[0].parent, ignore_errors=True)
        self._save_quietly(lambda: self.jobs.prune(self.settings.job_retention_h))

    def _build_indexes(self) -> None:
        """The indexes of every collection written since they were built: at first every collection (a
        previous process may have left one behind), then those this process opened. An upload that comes
        in meanwhile goes first: the next idle moment finishes the rest."""
        if self._built_once:
            with self._lock:
                names = [n for n, s in self._collections.items() if s._store is not None]
        else:
            names, self._built_once = self.collections(), True
        for name in names:
            with self._changed:
                if self._waiting or self._closing:
                    return
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
            if outcome.status in ("failed", "cancelled"):
                entry.error = outcome.reason
            else:
                entry.pages_done = entry.pages_total = outcome.pages
                entry.note = outcome.reason or None  # unchanged: already indexed, or the same as another file
            self._save(job, force=True)

        sight.ingest_specs(specs, tags=job.tags, on_file=settled, lane=job.owner, cancel=job.cancel,
                           languages=job.languages)
