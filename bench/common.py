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
