"""Extraction in a child process with a time limit and a memory cap.

A hostile file (a render bomb, a parser hang, a crash inside MuPDF) can then take down only the
child; the caller gets an `IngestError` and the next file gets a fresh child.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from ..core.errors import ExtractionCrashed, IngestError, IngestTimeout
from .extract import Extracted, ExtractOptions

__all__ = ["ExtractionWorker"]

log = logging.getLogger(__name__)


def _serve(conn, memory_mb: int) -> None:
    """Child main loop: one job in, one ("ok", Extracted) or ("error", IngestError) out."""
    import resource

    # Tesseract (inside MuPDF) uses OpenMP: one thread, or it fights the parent for the cores.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from .extract import extract

    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            conn.send(("ok", extract(*job)))
        except IngestError as e:
            conn.send(("error", e))
        except MemoryError:
            conn.send(("error", ExtractionCrashed(f"the parser ran out of memory (cap {memory_mb} MB)")))
        except Exception as e:  # a parser bug on odd input: report it, keep the child alive
            log.exception("extraction failed")
            conn.send(("error", IngestError(f"the file cannot be read ({type(e).__name__}: {e})")))


class ExtractionWorker:
    """One long-lived child process, restarted after a timeout or a crash.

    The child is a fresh interpreter (see `child_main`), not a fork: the parent
    may hold torch threads and open shards, and a spawned multiprocessing child would re-import the
    caller's main module.
    """

    def __init__(self, memory_mb: int = 3072):
        self.memory_mb = memory_mb
        self.peak_rss_mb = 0.0  # the largest resident size any of its child processes reached
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None

    @property
    def pid(self) -> int | None:
        """The child process that serves extractions now; None when there is none (before the first
        file, or after a child was killed: the next file starts a new one)."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from pagesight.ingest.worker import child_main; child_main()",
             str(to_child_r), str(from_child_w), str(self.memory_mb)],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._conn = _Duplex(from_child_r, to_child_w)

    def run(self, path: Path, media_type: str, out_dir: Path, options: ExtractOptions, timeout: float) -> Extracted:
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        self._conn.send((path, media_type, out_dir, options))
        if not self._conn.poll(timeout):
            self._kill()
            raise IngestTimeout(f"reading the file took longer than the limit of {timeout:.0f} s", path)
        try:
            status, payload = self._conn.recv()
            self._note_peak()
        except (EOFError, ConnectionError):
            code = self._proc.wait(5) if self._proc else None
            self._kill()
            raise ExtractionCrashed(
                f"the parser process died (exit code {code}): out of memory (cap {self.memory_mb} MB) "
                "or a crash in the parser",
                path,
            ) from None
        if status == "error":
            if payload.path is None:
                payload = type(payload)(payload.reason, path)
            raise payload
        return payload

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


def child_main() -> None:
    """Entry point of the child: argv carries the two pipe ends and the memory cap."""
    read_fd, write_fd, memory_mb = (int(a) for a in sys.argv[1:4])
    _serve(_Duplex(read_fd, write_fd), memory_mb)
