"""Extraction in child processes, each with a memory cap and a time budget per page.

A hostile file (a render bomb, a parser hang, a crash inside MuPDF) can then take down only a
child; the caller gets an `IngestError` naming the file (and the page) and the next job gets a fresh
child. A child reports every page it finishes, so the guard is a budget per page, not per file: a
long scan is not hung as long as its pages keep coming, and one page that stalls is named.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from ..core.errors import Cancelled, ExtractionCrashed, IngestError, IngestTimeout
from ..core.types import Page
from .extract import Extracted, ExtractOptions

__all__ = ["ExtractionWorker", "Opened"]

log = logging.getLogger(__name__)

CANCEL_CHECK_S = 0.2  # how often a wait for the child looks whether its work was cancelled


@dataclass
class Opened:
    """What opening a file told: its pages, and whether MuPDF had to repair it."""

    page_count: int
    repaired: bool = False
    warnings: list[str] = field(default_factory=list)


def _serve(conn, memory_mb: int) -> None:
    """Child main loop. Jobs: ("open", path, media_type, options) -> ("opened", Opened); ("pages", path,
    media_type, options, out_dir, first, last) -> ("page", Page, warnings) for each, then ("done",).
    An error ends a job with ("error", IngestError). The file opened last stays open for the next job."""
    import resource

    # Tesseract (inside MuPDF) uses OpenMP: one thread, or it fights the other processes for the cores.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    # PyMuPDF 2 imports its optional layout analyser (an ONNX model) and pymupdf4llm with `import pymupdf`:
    # 0.5 s in every child and about 60 MB of its peak (measured here: 221 -> 163 MB reading the test
    # report), for functions extraction never calls (get_layout, find_tables, to_markdown). A None in
    # sys.modules makes their import raise ImportError, which PyMuPDF reads as "not installed". Only here,
    # in a process of ours: a program using PageSight keeps whatever it imports.
    for optional in ("pymupdf.layout", "pymupdf4llm"):
        sys.modules.setdefault(optional, None)
    from .extract import Source

    held: tuple[tuple, Source] | None = None

    def source(path: Path, media_type: str, options: ExtractOptions, fresh: bool) -> Source:
        """The file open for a job: the one held if it is the same file as it is now on disk (a file
        rewritten at the same path since, in this child or read by another, is opened again), or a new
        one when `fresh` (an opening always reads the file as it is)."""
        nonlocal held
        try:
            stat = os.stat(path)
            key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, media_type, options)
        except OSError:
            key = None  # Source says what is wrong with the path
        if fresh or key is None or held is None or held[0] != key:
            if held is not None:
                held[1].close()
                held = None
            held = (key, Source(path, media_type, options))
        return held[1]

    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            kind, path, media_type, options, *rest = job
            opened = source(path, media_type, options, fresh=kind == "open")
            if kind == "open":
                conn.send(("opened", Opened(opened.page_count, opened.repaired, list(opened.warnings))))
                continue
            out_dir, first, last = rest
            for number in range(first, last + 1):
                warnings: list[str] = []
                conn.send(("page", opened.page(number, out_dir, warnings), warnings))
            conn.send(("done",))
        except IngestError as e:
            conn.send(("error", e))
        except MemoryError:
            conn.send(("error", ExtractionCrashed(f"the parser ran out of memory (cap {memory_mb} MB)")))
        except Exception as e:  # a parser bug on odd input: report it, keep the child alive
            log.exception("extraction failed")
            conn.send(("error", IngestError(f"the file cannot be read ({type(e).__name__}: {e})")))


class ExtractionWorker:
    """One long-lived child process, restarted after a stall or a crash.

    The child is a fresh interpreter (see `child_main`), not a fork: the parent may hold model threads
    and open shards, and a spawned multiprocessing child would re-import the caller's main module.
    """

    def __init__(self, memory_mb: int = 3072, *, recycle_pages: int = 2000, recycle_mb: int | None = None):
        """`recycle_pages`, `recycle_mb`: a child that has read this many pages, or holds this much memory
        after a job (default: half the cap), is replaced by a fresh one before the next job, so that no
        leak of any cause (a parser's, a library's) can grow until every job fails."""
        self.memory_mb = memory_mb
        self.recycle_pages = recycle_pages
        self.recycle_mb = recycle_mb if recycle_mb is not None else memory_mb // 2
        self.peak_rss_mb = 0.0  # the largest resident size any of its child processes reached
        self.recycled = 0  # children replaced for their age or their size
        self._served = 0  # pages the current child has read
        self._proc: subprocess.Popen | None = None
        self._conn: _Duplex | None = None

    @property
    def pid(self) -> int | None:
        """The child process that serves extractions now; None when there is none (before the first
        file, or after a child was killed: the next file starts a new one)."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _start(self) -> None:
        self._served = 0
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from pagesight.ingest.worker import child_main; child_main()",
             str(to_child_r), str(from_child_w), str(self.memory_mb)],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._conn = _Duplex(from_child_r, to_child_w)
        threading.Thread(target=_relay, args=(self._proc.stderr,), name="pagesight-extract-log", daemon=True).start()

    def open(self, path: Path, media_type: str, options: ExtractOptions, timeout: float,
             cancel: threading.Event | None = None) -> Opened:
        """Open the file (the checks a whole file needs: encryption, page count); within `timeout` s.
        `cancel`: once set, the child is stopped at once (Cancelled)."""
        (_, opened), = self._exchange(("open", path, media_type, options), path, timeout,
                                      lambda n: "opening the file", cancel)
        return opened

    def pages(self, path: Path, media_type: str, options: ExtractOptions, out_dir: Path, first: int, last: int,
              timeout: float, on_page: Callable[[Page], None] | None = None,
              cancel: threading.Event | None = None) -> tuple[list[Page], list[str]]:
        """Pages first..last (1-based, inclusive), each within `timeout` s of the one before; `cancel` as for
        `open` (in the middle of a page, if need be)."""
        pages, warnings = [], []
        for _, page, notes in self._exchange(("pages", path, media_type, options, out_dir, first, last), path,
                                             timeout, lambda n: f"page {first + n}", cancel):
            pages.append(page)
            warnings.extend(notes)
            if on_page:
                on_page(page)
        return pages, warnings

    def run(self, path: Path, media_type: str, out_dir: Path, options: ExtractOptions, timeout: float) -> Extracted:
        """The whole file in this worker, one page after another (`timeout` for each page)."""
        opened = self.open(path, media_type, options, timeout)
        pages, warnings = self.pages(path, media_type, options, out_dir, 1, opened.page_count, timeout)
        return Extracted(media_type, pages, opened.repaired, [*opened.warnings, *warnings])

    def _exchange(self, job: tuple, path: Path, timeout: float, stage: Callable[[int], str],
                  cancel: threading.Event | None = None):
        """Send a job, yield its results as they come; a silence longer than `timeout`, or a job left
        unfinished, kills the child."""
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        self._conn.send(job)
        received, finished = 0, False
        try:
            while not finished:
                message = self._next(path, timeout, stage(received), cancel)
                if message[0] == "error":  # the child finished the job cleanly: it stays
                    finished = True
                    error = message[1]
                    raise type(error)(error.reason, path) if error.path is None else error
                finished = message[0] in ("done", "opened")
                if message[0] != "done":
                    yield message
                    received += 1
                    self._served += message[0] == "page"
        finally:
            if not finished:  # a stall, a crash, or a caller that stopped reading: a fresh child next
                self._kill()
            elif self._worn():
                self.recycled += 1
                self.close()  # between jobs: the child exits cleanly, the next job starts a fresh one

    def _worn(self) -> bool:
        """Whether the child has read its share of pages, or holds more memory than it should."""
        return self._served >= self.recycle_pages or _rss_mb(self._proc.pid) > self.recycle_mb

    def _next(self, path: Path, timeout: float, stage: str, cancel: threading.Event | None = None) -> tuple:
        deadline = time.monotonic() + timeout
        while not self._conn.poll(min(CANCEL_CHECK_S, max(0.0, deadline - time.monotonic()))):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"cancelled at {stage}", path)
            if time.monotonic() >= deadline:
                raise IngestTimeout(f"{stage} took longer than the limit of {timeout:.0f} s "
                                    "(PAGESIGHT_PAGE_TIMEOUT_S); the reader stalled there", path)
        try:
            message = self._conn.recv()
        except (EOFError, ConnectionError):
            code = self._proc.wait(5) if self._proc else None
            raise ExtractionCrashed(f"the parser process died at {stage} (exit code {code}): out of memory "
                                    f"(cap {self.memory_mb} MB) or a crash in the parser", path) from None
        self._note_peak()
        return message

    def _note_peak(self) -> None:
        try:
            for line in Path(f"/proc/{self._proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_rss_mb = max(self.peak_rss_mb, int(line.split()[1]) / 1024)
        except OSError:  # not Linux, or already gone
            pass

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._note_peak()
            self._proc.kill()
            self._proc.wait(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._conn.close()  # the child sees EOF and exits
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self._kill()

    def __enter__(self) -> ExtractionWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# What Tesseract (inside MuPDF) writes about pages it cannot read well, and MuPDF about damage it repairs:
# the pages still get what could be read, and a file that fails says why in its outcome, so these are
# notes for the log, not messages for the user's terminal.
_NOTES = ("Line cannot be recognized", "Image too small to scale", "Empty page", "Detected ",
          "Warning: Invalid resolution", "Estimating resolution", "Too few characters", "MuPDF ")


def _relay(stream) -> None:
    """A child's stderr into this process's log: Tesseract's and MuPDF's notes at debug level, anything
    else (a crash report, a warning of a library) at warning level."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip()
        if line:
            log.log(logging.DEBUG if line.startswith(_NOTES) else logging.WARNING, "extraction: %s", line)
    stream.close()


class _Duplex:
    """A pickling connection over two pipe ends: read from one fd, write to the other."""

    def __init__(self, read_fd: int, write_fd: int):
        self._r = Connection(read_fd, writable=False)
        self._w = Connection(write_fd, readable=False)

    def send(self, obj) -> None:
        self._w.send(obj)

    def recv(self):
        return self._r.recv()

    def poll(self, timeout: float) -> bool:
        return self._r.poll(timeout)

    def close(self) -> None:
        self._r.close()
        self._w.close()


def _rss_mb(pid: int) -> float:
    """A process's resident memory now (0 where /proc cannot tell)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def child_main() -> None:
    """Entry point of the child: argv carries the two pipe ends and the memory cap. A terminal's Ctrl-C
    reaches the whole process group: the parent decides what it means (it stops the child itself)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    read_fd, write_fd, memory_mb = (int(a) for a in sys.argv[1:4])
    _serve(_Duplex(read_fd, write_fd), memory_mb)
