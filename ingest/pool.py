"""A pool of extraction workers, sized to the machine's cores: every file submitted is opened by one
worker, then its pages are read a few at a time by whichever workers are free, so the OCR of one long
scan spreads over all of them, and the next files' pages start as soon as a worker is free.

Files come in lanes (a server gives each API key its own): the lanes take turns, a few pages each, so
one lane's long or hostile file never holds up another's. Within a lane, jobs are served in the order
files were submitted (a file's pages before a later file's), so results come back in that order as far
as the work allows; each file's result is all its pages, or the first error, which names the page.

Each worker is a sandboxed child (ExtractionWorker): memory cap, a time budget per page, restarted
after a crash or a stall, replaced when worn. A file has a budget of its own too: the workers' time on
it may not pass `grace + pages read x page_budget` seconds, nor `document_budget` (a file whose every
page stays just inside the per-page budget would otherwise take hours); and a file can be cancelled
(`cancel`), which stops its reading at once, in the middle of a page if need be.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import Cancelled, IngestTimeout
from ..core.types import Page
from .extract import Extracted, ExtractOptions
from .worker import ExtractionWorker

__all__ = ["ExtractionPool"]

log = logging.getLogger(__name__)

CHUNK_PAGES = 4  # pages a worker takes at a time: small enough to share a scan, large enough to cost nothing


@dataclass(frozen=True)
class Budget:
    """What a file may cost the workers, in seconds of their time: `grace` plus `per_page` for each page
    read so far, and never more than `ceiling` in all."""

    per_page: float = 5.0
    grace: float = 120.0
    ceiling: float = 7200.0

    def exceeded(self, spent: float, pages: int) -> str | None:
        """Why a file that took `spent` seconds for `pages` pages is over its budget; None when it is not."""
        if spent > self.ceiling:
            return f"reading it took more than {self.ceiling:.0f} s (PAGESIGHT_DOCUMENT_BUDGET_S)"
        if spent > self.grace + pages * self.per_page:
            return (f"its first {pages} pages took {spent:.0f} s, more than {self.per_page:g} s a page "
                    f"(PAGESIGHT_PAGE_BUDGET_S) after {self.grace:.0f} s of grace: pages that each stay under the "
                    "per-page limit but never end (a decompression bomb, say)")
        return None


@dataclass
class _File:
    path: Path
    media_type: str
    out_dir: Path
    options: ExtractOptions
    future: Future
    on_page: Callable[[int, int], None] | None
    cancel: threading.Event | None = None
    page_count: int = 0
    spent: float = 0.0  # seconds of the workers' time on this file
    repaired: bool = False
    warnings: list[str] = field(default_factory=list)
    pages: dict[int, Page] = field(default_factory=dict)
    chunk_warnings: dict[int, list[str]] = field(default_factory=dict)  # first page of a chunk -> its warnings
    chunks_left: int = 0
    error: Exception | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finish_chunk(self, error: Exception | None = None) -> None:
        """One part of the file is done (or skipped, or failed); the last one settles the future: all the
        pages, or the first error. Until then no worker writes into the file's folder any more."""
        with self.lock:
            self.error = self.error or error
            self.chunks_left -= 1
            if self.chunks_left > 0:
                return
        if self.error is not None:
            self.future.set_exception(self.error)
            return
        warnings = self.warnings + [w for first in sorted(self.chunk_warnings) for w in self.chunk_warnings[first]]
        pages = [self.pages[n] for n in range(1, self.page_count + 1)]
        self.future.set_result(Extracted(self.media_type, pages, self.repaired, warnings))


class ExtractionPool:
    def __init__(self, workers: int = 0, memory_mb: int = 3072, page_timeout_s: float = 120.0, *,
                 recycle_pages: int = 2000, recycle_mb: int | None = None, budget: Budget = Budget()):
        self.size = workers or os.cpu_count() or 1
        self.page_timeout_s = page_timeout_s
        self.budget = budget
        self.workers = [ExtractionWorker(memory_mb, recycle_pages=recycle_pages, recycle_mb=recycle_mb)
                        for _ in range(self.size)]
        self._lanes: dict[str, list] = {}  # lane -> its jobs, a heap by (file order, chunk)
        self._turns: deque[str] = deque()  # the lanes with jobs, in the order they take turns
        self._ready = threading.Condition()
        self._stopping = False
        self._order = itertools.count()
        self._queued = 0  # jobs waiting in the lanes
        self._idle_warm = 0  # workers waiting for a job whose child is running
        self._threads = [threading.Thread(target=self._serve, args=(w,), name=f"pagesight-extract-{i}", daemon=True)
                         for i, w in enumerate(self.workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, path: Path, media_type: str, out_dir: Path, options: ExtractOptions,
               on_page: Callable[[int, int], None] | None = None, *, lane: str = "",
               cancel: threading.Event | None = None) -> Future:
        """Extract a file into `out_dir`; a Future of its Extracted (or of the IngestError that stopped it:
        Cancelled once `cancel` is set). `on_page(done, total)` as pages come in (from the pool's threads).
        `lane`: whose file it is; lanes take turns."""
        file = _File(path, media_type, out_dir, options, Future(), on_page, cancel, chunks_left=1)
        self._put(lane, (next(self._order), 0, "open", file, 0, 0))
        return file.future

    def _put(self, lane: str, job: tuple) -> None:
        with self._ready:
            if lane not in self._lanes:
                self._lanes[lane] = []
                self._turns.append(lane)
            heapq.heappush(self._lanes[lane], (*job[:2], id(job[3]), job))
            self._queued += 1
            self._ready.notify_all()  # a cold worker may leave the job to a warm one: each decides (_take)

    def _take(self, worker: ExtractionWorker) -> tuple | None:
        """The next job: the first of the lane whose turn it is (that lane then goes last); None to stop.
        A worker with no child yet (or a dead one) leaves a job to an idle worker whose child is running
        unless there are more jobs than those: a child costs a second to start, and a few small files
        need one, a long scan all of them."""
        with self._ready:
            while True:
                if self._stopping:
                    return None
                warm = worker.pid is not None
                if self._queued and (warm or self._queued > self._idle_warm):
                    break
                self._idle_warm += warm
                self._ready.wait()
                self._idle_warm -= warm
            self._queued -= 1
            lane = self._turns.popleft()
            jobs = self._lanes[lane]
            *_, job = heapq.heappop(jobs)
            if jobs:
                self._turns.append(lane)
            else:
                del self._lanes[lane]
            return (*job, lane)

    def extract(self, path: Path, media_type: str, out_dir: Path, options: ExtractOptions,
                on_page: Callable[[int, int], None] | None = None) -> Extracted:
        return self.submit(path, media_type, out_dir, options, on_page).result()

    @property
    def peak_rss_mb(self) -> float:
        """The largest resident size any worker's child reached so far."""
        return max(w.peak_rss_mb for w in self.workers)

    @property
    def recycled(self) -> int:
        """Worker children replaced so far for the pages they had read or the memory they held."""
        return sum(w.recycled for w in self.workers)

    def _serve(self, worker: ExtractionWorker) -> None:
        following = None  # a file's first chunk, read by the worker that opened it
        while (taken := following or self._take(worker)) is not None:
            following = None
            order, chunk, kind, file, first, last, lane = taken
            if self._stopping:  # a first chunk its opener kept, while the pool closes: as for the queued ones
                file.finish_chunk(Cancelled("the extraction pool was closed before the file was read", file.path))
                continue
            if file.error is not None:
                file.finish_chunk()  # an earlier part of this file failed: the rest is not worth reading
                continue
            if file.cancel is not None and file.cancel.is_set():
                file.finish_chunk(Cancelled("the upload was cancelled", file.path))
                continue
            try:
                if kind == "open":
                    following = self._open(worker, file, order, lane)
                else:
                    self._read(worker, file, first, last)
            except Exception as e:  # IngestError from the worker, or a bug: the file fails, the pool goes on
                file.finish_chunk(e)

    def _open(self, worker: ExtractionWorker, file: _File, order: int, lane: str) -> tuple | None:
        """Open the file and queue its chunks but the first, which this worker reads next (returned as a
        job): its child is started and warm, and a file of a few pages then needs no second child."""
        opened = worker.open(file.path, file.media_type, file.options, self.page_timeout_s, file.cancel)
        file.page_count, file.repaired, file.warnings = opened.page_count, opened.repaired, list(opened.warnings)
        chunks = [(order, chunk, "pages", file, first, min(first + CHUNK_PAGES - 1, opened.page_count))
                  for chunk, first in enumerate(range(1, opened.page_count + 1, CHUNK_PAGES), start=1)]
        with file.lock:
            file.chunks_left += len(chunks)
        if file.on_page:
            file.on_page(0, file.page_count)
        for job in chunks[1:]:  # the file's order: before any later file's pages
            self._put(lane, job)
        file.finish_chunk()  # the opening itself
        return (*chunks[0], lane) if chunks else None

    def _read(self, worker: ExtractionWorker, file: _File, first: int, last: int) -> None:
        since = time.monotonic()

        def got(page: Page) -> None:
            nonlocal since
            now = time.monotonic()
            with file.lock:
                file.pages[page.number] = page
                done = len(file.pages)
                file.spent += now - since
                spent = file.spent
            since = now
            if file.cancel is not None and file.cancel.is_set():  # raised here, the worker's child is stopped
                raise Cancelled("the upload was cancelled", file.path)
            if (over := self.budget.exceeded(spent, done)) is not None:
                raise IngestTimeout(f"stopped at page {page.number}: {over}", file.path)
            if file.on_page:
                file.on_page(done, file.page_count)

        _, warnings = worker.pages(file.path, file.media_type, file.options, file.out_dir, first, last,
                                   self.page_timeout_s, got, file.cancel)
        file.chunk_warnings[first] = warnings
        file.finish_chunk()

    def close(self) -> None:
        with self._ready:
            self._stopping = True
            self._ready.notify_all()
        for thread in self._threads:
            thread.join(timeout=30)
        with self._ready:  # files left waiting: none will be read now, so none may be waited for
            left = [job for jobs in self._lanes.values() for *_, job in jobs]
            self._lanes.clear()
            self._turns.clear()
        for _, _, _, file, _, _ in left:
            file.finish_chunk(Cancelled("the extraction pool was closed before the file was read", file.path))
        for worker in self.workers:
            worker.close()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
