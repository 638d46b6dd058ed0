"""Shared by the benchmarks: a server on 127.0.0.1 for the API benchmarks, a process's peak memory, and
the dev sets named on the command line. (Latency percentiles: pagesight.retrieve.metrics.percentile,
the one definition.)"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def serve(data: Path, **settings: str) -> tuple[subprocess.Popen, str]:
    """The server over PAGESIGHT_DATA_DIR=data (lite; `settings` as more PAGESIGHT_ variables, by their
    lower-case names), once /ready answers; (process, base URL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PAGESIGHT_DATA_DIR": str(data), "PAGESIGHT_PROFILE": "lite",
           **{f"PAGESIGHT_{k.upper()}": v for k, v in settings.items()}}
    process = subprocess.Popen([sys.executable, "-m", "pagesight.api.cli", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            key = settings.get("api_keys", "").split(",")[0]
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            if httpx.get(f"{base}/ready", timeout=120, headers=headers).status_code == 200:  # models loaded
                return process, base
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the server did not start:\n{process.stderr.read().decode()[-2000:]}")
        time.sleep(0.3)


def load(base: str, route: str, asked: list[str], requests: int, clients: int, k: int = 5) -> dict:
    """`clients` threads sending `requests` searches or questions to the server at once (the asked texts in
    turn): its throughput and latencies, and the errors it answered."""
    from pagesight.retrieve.metrics import percentile  # here: importing common must not import numpy first

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(base_url=base, timeout=300) as http:
            for i in counter:  # the shared iterator hands each request to one client
                question = asked[i % len(asked)]
                body = {"query": question, "k": k} if route == "search" else {"question": question}
                started = time.perf_counter()
                response = http.post(f"/v1/{route}", json=body)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"route": f"/v1/{route}", "clients": clients, "requests": len(latencies), "errors": len(errors),
            "error_samples": errors[:3], "rps": len(latencies) / wall,
            "p50_ms": percentile([1000 * s for s in latencies], 50),
            "p95_ms": percentile([1000 * s for s in latencies], 95)}


def peak_rss_mb() -> float:
    """This process's resident high-water mark. (getrusage's ru_maxrss would carry the parent's
    peak across fork and exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid: int) -> float:
    """Another process's resident memory now (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def drop_from_page_cache(folder: Path) -> None:
    """Evict a collection's files, and only them, from the OS page cache (posix_fadvise DONTNEED on each; never
    the machine's whole cache): a cold read as after a restart. Nobody may have them mapped meanwhile."""
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def render_floor(files: list[Path]) -> dict:
    """The least work any ingest of these files does, on one core: open each file, and for each page render
    it at the product's resolution, encode the PNG and read its text with positions. Machines of this kind
    differ up to 3x in speed, so an ingest's pages/s is quoted beside this floor measured in the same run.
    (Scans are not read: their OCR is the product's own time.)"""
    import pymupdf

    from pagesight.core.settings import Settings

    dpi = Settings(_env_file=None).render_dpi
    started, pages = time.perf_counter(), 0
    for file in files:
        with pymupdf.open(file) as doc:
            for page in doc:
                page.get_pixmap(dpi=dpi).tobytes("png")
                page.get_text("dict")
                pages += 1
    seconds = time.perf_counter() - started
    return {"pages": pages, "seconds": round(seconds, 1), "pages_per_s": round(pages / seconds, 2)}


def machine(detail: str = "") -> str:
    """The machine a figure was measured on, as every benchmark writes it."""
    found = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return f"{found}, {detail}" if detail else found


def write_results(out: Path, machine: str, figures: dict) -> None:
    """A benchmark's figures as JSON, with the machine and the date; says where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "date": time.strftime("%Y-%m-%d"), **figures}, indent=2) + "\n")
    print(f"\nwritten to {out}", file=sys.stderr)


def halves(rows: list) -> dict[str, list]:
    """A set's questions as every tuned setting splits them: "tune" those of even position (where a setting
    is chosen), "test" the odd ones (where it is reported), and "all"."""
    return {"tune": rows[0::2], "test": rows[1::2], "all": rows}


def chosen_on_tune(options: list, value) -> tuple:
    """The option that `value` scores highest on "tune", and the options tied with it; among tied options
    the middle one (a plateau's centre, not its edge)."""
    scores = {option: value(option) for option in options}
    tied = [option for option in options if scores[option] == max(scores.values())]
    return tied[len(tied) // 2], tied


DEV_SET_HELP = "NAME=DATA_DIR:QUESTIONS"


def dev_sets(specs: list[str]) -> list[tuple[str, Path, Path]]:
    """Each --set NAME=DATA_DIR:QUESTIONS as (name, the collection's data folder, the questions file)."""
    sets = []
    for spec in specs:
        name, rest = spec.split("=", 1)
        data, questions = rest.split(":", 1)
        sets.append((name, Path(data), Path(questions)))
    return sets
