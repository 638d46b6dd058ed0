"""Shared by the benchmarks: a server on 127.0.0.1 for the API benchmarks, and a process's peak memory.
(Latency percentiles: pagesight.retrieve.metrics.percentile, the one definition.)"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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


def peak_rss_mb() -> float:
    """This process's resident high-water mark. (getrusage's ru_maxrss would carry the parent's
    peak across fork and exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
