"""A pool of extraction workers, sized to the machine's cores: every file submitted is opened by one
worker, then its pages are read a few at a time by whichever workers are free, so the OCR of one long
scan spreads over all of them, and the next files' pages start as soon as a worker is free.

Jobs are served in the order files were submitted (a file's pages before a later file's), so results
come back in that order as far as the work allows; each file's result is all its pages, or the first
error, which names the page. Each worker is a sandboxed child (ExtractionWorker): memory cap, a time
budget per page, restarted after a crash or a stall.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from ..core.types import Page
from .extract import Extracted, ExtractOptions
from .worker import ExtractionWorker

__all__ = ["ExtractionPool"]

log = logging.getLogger(__name__)

CHUNK_PAGES = 4  # pages a worker takes at a time: small enough to share a scan, large enough to cost nothing


@dataclass
class _File:
    path: Path
    media_type: str
    out_dir: Path
    options: ExtractOptions
    future: Future
    on_page: Callable[[int, int], None] | None
    page_count: int = 0
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
                 recycle_pages: int = 2000, recycle_mb: int | None = None):
        self.size = workers or os.cpu_count() or 1
        self.page_timeout_s = page_timeout_s
        self.workers = [ExtractionWorker(memory_mb, recycle_pages=recycle_pages, recycle_mb=recycle_mb)
                        for _ in range(self.size)]
        self._jobs: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads = [threading.Thread(target=self._serve, args=(w,), name=f"pagesight-extract-{i}", daemon=True)
                         for i, w in enumerate(self.workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, path: Path, media_type: str, out_dir: Path, options: ExtractOptions,
               on_page: Callable[[int, int], None] | None = None) -> Future:
        """Extract a file into `out_dir`; a Future of its Extracted (or of the IngestError that stopped it).
        `on_page(done, total)` as pages come in (from the pool's threads)."""
        file = _File(path, media_type, out_dir, options, Future(), on_page, chunks_left=1)
        self._jobs.put((next(self._order), 0, "open", file, 0, 0))
        return file.future

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
        while True:
            order, chunk, kind, file, first, last = self._jobs.get()
            if kind == "stop":
                return
            if file.error is not None:
                file.finish_chunk()  # an earlier part of this file failed: the rest is not worth reading
                continue
            try:
                if kind == "open":
                    self._open(worker, file, order)
                else:
                    self._read(worker, file, first, last)
            except Exception as e:  # IngestError from the worker, or a bug: the file fails, the pool goes on
                file.finish_chunk(e)

    def _open(self, worker: ExtractionWorker, file: _File, order: int) -> None:
        opened = worker.open(file.path, file.media_type, file.options, self.page_timeout_s)
        file.page_count, file.repaired, file.warnings = opened.page_count, opened.repaired, list(opened.warnings)
        starts = range(1, opened.page_count + 1, CHUNK_PAGES)
        with file.lock:
            file.chunks_left += len(starts)
        if file.on_page:
            file.on_page(0, file.page_count)
        for chunk, first in enumerate(starts, start=1):  # the file's order: before any later file's pages
            self._jobs.put((order, chunk, "pages", file, first, min(first + CHUNK_PAGES - 1, opened.page_count)))
        file.finish_chunk()  # the opening itself

    def _read(self, worker: ExtractionWorker, file: _File, first: int, last: int) -> None:
        def got(page: Page) -> None:
            with file.lock:
                file.pages[page.number] = page
                done = len(file.pages)
            if file.on_page:
                file.on_page(done, file.page_count)

        _, warnings = worker.pages(file.path, file.media_type, file.options, file.out_dir, first, last,
                                   self.page_timeout_s, got)
        file.chunk_warnings[first] = warnings
        file.finish_chunk()

    def close(self) -> None:
        for i, _ in enumerate(self._threads):
            self._jobs.put((float("inf"), i, "stop", None, 0, 0))
        for thread in self._threads:
            thread.join(timeout=30)
        for worker in self.workers:
            worker.close()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
