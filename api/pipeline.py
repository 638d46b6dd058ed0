"""The ingest pipeline: files through extraction (ingest: a pool of sandboxed workers, one per core)
and then indexing (index: encode, write whole), overlapped so that both cores work all the time.

While the caller's thread encodes and writes the files that are read, the pool reads the next ones,
a few pages at a time per worker (so one long scan's OCR spreads over every core). Files that are
read by the time the writer comes to them are encoded together, one call for all their texts. A
file is written whole or not at all, and outcomes come back in the order the files were given.

Several pipelines may run on one collection at once (a server's uploads of different keys): they read
side by side, each in its own lane of the pool, and write one at a time (`write_lock`), each checking
again, once it holds the lock, that what it writes is not there already. A pipeline is cancelled by
its `cancel` event: the file being read stops, nothing more is started or written, and the files not
written are "cancelled"; the files written before stay, each whole.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import Cancelled, PageSightError
from ..core.settings import Settings
from ..core.types import Document, FileOutcome, Page
from ..index import Indexer, Store
from ..index.store import now
from ..ingest import ExtractionPool, ExtractOptions, document_id, inspect

__all__ = ["FileSpec", "Pipeline"]

log = logging.getLogger(__name__)

BATCH_PAGES = 64  # read files written together when they hold at most this many pages between them
# Files handed to the pool ahead of the writer. The writer waits for the first file in order; while it
# waits, the other workers need pages of later files to read, or they stand idle (scanned group,
# bench/ingest.py: 2 workers, 1 file per worker ahead, the machine 79% busy, 1.12 pages/s; 4 per
# worker, 95%, 1.34; 8 per worker, no better). Pages read and not yet written are held in this
# process, so no more files are started once the waiting files hold READ_AHEAD_PAGES pages.
AHEAD_PER_WORKER = 4
READ_AHEAD_PAGES = 256


@dataclass
class FileSpec:
    """One file to ingest. `file_name` stands in for the path's name (an upload's temporary file);
    `source` is the key a later version replaces it by (None: the path); `on_pages(done, total)`."""

    path: Path
    file_name: str | None = None
    source: str | None = None
    on_pages: Callable[[int, int], None] | None = None


@dataclass
class _InFlight:
    spec: FileSpec
    outcome: FileOutcome | None = None  # settled before extraction (unchanged, refused by a check)
    doc_id: str = ""
    media_type: str = ""
    source: str = ""
    replaces: list[str] = field(default_factory=list)
    staging: Path | None = None
    future: Future | None = None
    pages_total: int = 0

    @property
    def ready(self) -> bool:
        return self.outcome is not None or self.future.done()


class Pipeline:
    """Ingests FileSpecs into one store with an indexer and an extraction pool (both owned by the caller)."""

    def __init__(self, store: Store, indexer: Callable[[list[Page]], Indexer], pool: ExtractionPool,
                 settings: Settings, write_lock: threading.Lock | None = None):
        """`indexer(pages)`: the collection's indexer, given the pages about to be written (a new collection's
        text model depends on their language)."""
        self.store, self.indexer, self.pool, self.settings = store, indexer, pool, settings
        self.write_lock = write_lock or threading.Lock()
        self.ahead = AHEAD_PER_WORKER * pool.size
        self.lane, self.cancel, self.languages = "", threading.Event(), None

    def run(self, specs: list[FileSpec | FileOutcome], tags: list[str], password: str | None,
            on_file: Callable[[FileOutcome], None] | None = None,
            on_progress: Callable[[int, int, int], None] | None = None, *, lane: str = "",
            cancel: threading.Event | None = None, languages: str | None = None) -> list[FileOutcome]:
        """An outcome per spec, in order (a FileOutcome given for an input is passed through);
        `on_progress(pages read, pages written, pages known)`. `lane`: whose files these are (the pool's
        lanes take turns); `cancel`: set, the ingest stops (see the module's text); `languages`: what OCR
        reads these files' scans in ("fra+eng"; the settings' choice when None)."""
        self.lane, self.cancel, self.languages = lane, cancel or threading.Event(), languages
        outcomes: list[FileOutcome] = []
        waiting: deque[_InFlight | FileOutcome] = deque()
        counts = {"read": {}, "written": 0, "known": {}}
        in_this_run: dict[str, str] = {}  # document id -> the path that brings it

        def progress(item: _InFlight, done: int, total: int) -> None:
            counts["read"][id(item)], counts["known"][id(item)] = done, total
            item.pages_total = total
            if item.spec.on_pages:
                item.spec.on_pages(done, total)
            if on_progress:
                on_progress(sum(counts["read"].values()), counts["written"], sum(counts["known"].values()))

        def settle(ready: list) -> None:
            for outcome in self._write(ready, tags):
                outcomes.append(outcome)
                counts["written"] += outcome.pages if outcome.status in ("ingested", "replaced") else 0
                if on_file:
                    on_file(outcome)
            if on_progress:
                on_progress(sum(counts["read"].values()), counts["written"], sum(counts["known"].values()))

        for spec in specs:
            if self.cancel.is_set() and not isinstance(spec, FileOutcome):
                spec = _cancelled(spec.path)
            waiting.append(spec if isinstance(spec, FileOutcome) else
                           self._start(spec, password, in_this_run, progress))
            while waiting and (self._full(waiting) or _ready(waiting[0])):
                settle(self._take(waiting))
        while waiting:
            settle(self._take(waiting))
        return outcomes

    def _full(self, waiting: deque) -> bool:
        """No more files may be started until the first waiting one is written."""
        return len(waiting) > self.ahead or sum(_pages(item) for item in waiting) >= READ_AHEAD_PAGES

    def _take(self, waiting: deque) -> list:
        """The first waiting file (waited for), and the ones after it that are ready too, up to a batch."""
        first = waiting.popleft()
        if isinstance(first, _InFlight) and first.outcome is None:
            _wait(first.future)
        taken, pages = [first], _pages(first)
        while waiting and _ready(waiting[0]) and pages + _pages(waiting[0]) <= BATCH_PAGES:
            pages += _pages(waiting[0])
            taken.append(waiting.popleft())
        return taken

    def _start(self, spec: FileSpec, password: str | None, in_this_run: dict[str, str],
               progress: Callable) -> _InFlight:
        """The checks that need no parser, then the file handed to the pool."""
        item = _InFlight(spec)
        path = spec.path = Path(spec.path).resolve()
        try:
            item.media_type = inspect(path, self.settings.max_file_mb)
            item.doc_id = document_id(path)
            existing = self.store.get_document(item.doc_id)
            if existing is not None:
                item.outcome = FileOutcome(str(path), "unchanged", item.doc_id, existing.pages,
                                           reason="already indexed")
                return item
            if item.doc_id in in_this_run:
                item.outcome = FileOutcome(str(path), "unchanged", item.doc_id,
                                           reason=f"the same bytes as {in_this_run[item.doc_id]}")
                return item
            in_this_run[item.doc_id] = spec.file_name or path.name  # as the user named it (an upload's own)
            item.source = str(path) if spec.source is None else spec.source
            item.replaces = [d.id for d in self.store.documents_from(item.source)] if item.source else []
            item.staging = self.store.images.new_staging(item.doc_id)
            options = ExtractOptions.from_settings(self.settings, password=password, languages=self.languages)
            item.future = self.pool.submit(path, item.media_type, item.staging, options,
                                           lambda done, total: progress(item, done, total), lane=self.lane,
                                           cancel=self.cancel)
        except Exception as e:  # noqa: BLE001 (reported as the file's outcome, like any failure)
            item.outcome = self._failed(item, e)
        return item

    def _write(self, taken: list, tags: list[str]) -> list[FileOutcome]:
        """Encode the read files together, write each whole; an outcome for each, in order."""
        with self.write_lock:
            return self._write_alone(taken, tags)

    def _write_alone(self, taken: list, tags: list[str]) -> list[FileOutcome]:
        docs, outcomes = [], {}
        for i, item in enumerate(taken):
            if isinstance(item, FileOutcome) or item.outcome is not None:
                outcomes[i] = item if isinstance(item, FileOutcome) else item.outcome
                continue
            try:
                extracted = item.future.result()
            except Exception as e:  # noqa: BLE001
                outcomes[i] = self._failed(item, e)
                continue
            if self.cancel.is_set():  # read, but not written: the ingest was cancelled meanwhile
                outcomes[i] = _cancelled(item.spec.path)
                continue
            if (existing := self.store.get_document(item.doc_id)) is not None:  # another ingest wrote it meanwhile
                outcomes[i] = FileOutcome(str(item.spec.path), "unchanged", item.doc_id, existing.pages,
                                          reason="already indexed")
                continue
            doc = Document(id=item.doc_id, file_name=item.spec.file_name or item.spec.path.name, source=item.source,
                           media_type=item.media_type, pages=len(extracted.pages), tags=tags, ingested_at=now(),
                           repaired=extracted.repaired, warnings=extracted.warnings)
            docs.append((i, item, doc, extracted))
        if docs:
            indexer = self.indexer([page for *_, extracted in docs for page in extracted.pages])
            errors = indexer.add_many([(doc, ex.pages, item.staging, item.replaces) for _, item, doc, ex in docs],
                                           self.cancel)
            for (i, item, doc, extracted), error in zip(docs, errors, strict=True):
                if error is not None:
                    outcomes[i] = self._failed(item, error)
                    continue
                outcomes[i] = FileOutcome(str(item.spec.path), "replaced" if item.replaces else "ingested", doc.id,
                                          doc.pages, warnings=extracted.warnings)
                if item.spec.on_pages:
                    item.spec.on_pages(doc.pages, doc.pages)
        for item in taken:
            if isinstance(item, _InFlight) and item.staging is not None:
                shutil.rmtree(item.staging, ignore_errors=True)  # what a failure left; a written file's moved
        return [outcomes[i] for i in range(len(taken))]

    def _failed(self, item: _InFlight, error: Exception) -> FileOutcome:
        if isinstance(error, Cancelled):
            return _cancelled(item.spec.path)
        path, name = str(item.spec.path), item.spec.file_name or item.spec.path.name
        if isinstance(error, PageSightError):
            log.info("%s failed: %s", path, error.reason)
            reason = error.reason
        elif isinstance(error, OSError):
            reason = f"cannot read the file ({error.strerror or error})"
        else:  # a bug or an encoder failure: the store is already rolled back
            log.error("unexpected failure ingesting %s", path, exc_info=error)
            reason = f"unexpected error ({type(error).__name__}: {error})"
        # Reasons quote library messages, which may name the path; an upload's path is the server's business.
        return FileOutcome(path, "failed", reason=reason.replace(path, name))


def _cancelled(path) -> FileOutcome:
    return FileOutcome(str(path), "cancelled", reason="the ingest was cancelled before this file was written")


def _ready(item) -> bool:
    return isinstance(item, FileOutcome) or item.ready


def _pages(item) -> int:
    return item.pages_total if isinstance(item, _InFlight) else 0


def _wait(future: Future) -> None:
    try:
        future.exception()  # waits; the error, if any, is read when the file is written
    except Exception:  # noqa: BLE001
        pass
