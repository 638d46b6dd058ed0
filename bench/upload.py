"""A large upload through the API, the index build the server then runs by itself, and kill -9 during
that build: what a user of the web page would live through.

    python bench/upload.py [--files DIR] [--kills 10] [--probes 2] [--out bench/results/upload.json]

1. `pagesight serve` (lite) on a fresh data folder; --probes clients call /health and /v1/search in
   turn, all along. Every PDF of --files (the FinanceBench filings by default: 43 files, 3,823 pages)
   is uploaded in one request and ingested; then the server builds the collection's indexes by
   itself (index/edge.py: on a copy, in a child process). Latencies of the probes are kept apart for
   the ingest and for the build.
2. After the build, 100 searches one after another (warm); then the server is stopped, the same
   collection is built again offline (`pagesight index optimize`), and the same 100 searches are
   timed on it: the automatic build must leave a collection as fast as an offline one.
3. --kills times: a document is deleted through the API (the indexes are then behind, so the server
   starts a build when idle), and the server is killed with SIGKILL at a random moment of that build.
   It is started again each time: the collection must open (the server answers), hold every document
   but the deleted ones, with no partial one, and keep one shard.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx  # noqa: E402
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)
from common import serve, write_results

from pagesight.retrieve.metrics import percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FILINGS = ROOT.parent / "shared" / "devset" / "financebench" / "pdfs"
QUESTIONS = ROOT.parent / "shared" / "devset" / "financebench" / "questions_local_subset.jsonl"


def asked() -> list[str]:
    if QUESTIONS.is_file():
        return [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return ["What was the revenue?", "Who is the chief executive?", "What are the main risks?"]


class Probes:
    """Clients calling /health and /v1/search in turn, each latency kept with the phase it fell in."""

    def __init__(self, base: str, clients: int, questions: list[str]):
        self.phase = "start"
        self.rows: list[tuple[str, str, float, int]] = []  # phase, route, seconds, status
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(base, i, questions)) for i in range(clients)]
        for t in self._threads:
            t.start()

    def _run(self, base: str, offset: int, questions: list[str]) -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            n = offset
            while not self._stop.is_set():
                for route in ("/health", "/v1/search"):
                    started = time.perf_counter()
                    try:
                        if route == "/health":
                            status = http.get(route).status_code
                        else:
                            status = http.post(route, json={"query": questions[n % len(questions)], "k": 5}).status_code
                    except httpx.TransportError:
                        status = 0
                    self.rows.append((self.phase, route, time.perf_counter() - started, status))
                n += 1
                time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    def figures(self, phase: str) -> dict:
        out = {}
        for route in ("/health", "/v1/search"):
            ms = [1000 * s for p, r, s, _ in self.rows if p == phase and r == route]
            failed = sum(1 for p, r, _, st in self.rows if p == phase and r == route and st not in (200, 404))
            out[route] = {"requests": len(ms), "failed": failed, "p50_ms": percentile(ms, 50) if ms else None,
                          "p95_ms": percentile(ms, 95) if ms else None, "max_ms": max(ms) if ms else None}
        return out


def timed_searches(base: str, questions: list[str], n: int = 100) -> dict:
    ms = []
    with httpx.Client(base_url=base, timeout=120) as http:
        for q in questions[:10]:  # warm
            http.post("/v1/search", json={"query": q, "k": 5})
        for i in range(n):
            started = time.perf_counter()
            assert http.post("/v1/search", json={"query": questions[i % len(questions)], "k": 5}).status_code == 200
            ms.append(1000 * (time.perf_counter() - started))
    return {"searches": n, "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95)}


def behind(data: Path) -> bool:
    return (data / "collections" / "default" / "indexes-behind").exists()


def shards(data: Path) -> int:
    return sum(p.is_dir() for p in (data / "collections" / "default").glob("shard*"))


def kill_during_builds(data: Path, process, base: str, runs: int, rng: random.Random):
    """Delete a document, and kill -9 the server inside the build that follows; start it again and look."""
    kills = []
    with httpx.Client(base_url=base, timeout=120) as http:
        expected = {d["id"] for d in http.get("/v1/documents").json()}
    build_s = None
    for run in range(runs + 1):  # the first delete times a build, unkilled
        with httpx.Client(base_url=base, timeout=120) as http:
            gone = sorted(expected)[rng.randrange(len(expected))]
            assert http.delete(f"/v1/documents/{gone}").status_code == 204
        expected.discard(gone)
        folder = data / "collections" / "default"
        deadline = time.monotonic() + 30
        while not any(p.name.endswith(".building") for p in folder.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.perf_counter()
        if build_s is None:
            while behind(data):
                time.sleep(0.01)
            build_s = time.perf_counter() - started
            continue
        time.sleep(rng.uniform(0, build_s))  # somewhere inside the build
        in_build = behind(data)
        process.send_signal(signal.SIGKILL)
        process.wait()
        process, base = serve(data)
        with httpx.Client(base_url=base, timeout=120) as http:
            docs = http.get("/v1/documents").json()
            found = {d["id"] for d in docs}
            whole = all(http.get(f"/v1/documents/{d['id']}/pages/{d['pages']}").status_code == 200 for d in docs)
        kills.append({"run": run, "killed_in_build": in_build, "opened": True, "lost": len(expected - found),
                      "came_back": len(found - expected), "whole": whole, "shards_after_open": shards(data),
                      "build_s": build_s})
    return kills, process


def summary(kills: list[dict]) -> dict:
    return {"runs": len(kills), "opened": sum(k["opened"] for k in kills),
            "killed_in_build": sum(k["killed_in_build"] for k in kills),
            "lost": sum(k["lost"] for k in kills), "came_back": sum(k["came_back"] for k in kills),
            "partial": sum(not k["whole"] for k in kills),
            "leftover_shards": sum(k["shards_after_open"] - 1 for k in kills), "rows": kills}


def kills_only(args) -> None:
    import shutil

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(args.kills_on / "collections", data / "collections")
        process, base = serve(data)
        kills, process = kill_during_builds(data, process, base, args.kills, random.Random(args.seed))
        process.terminate()
        process.wait(timeout=120)
    k = summary(kills)
    print(f"kill -9 of the server during its build ({args.kills_on}): {k['runs']} kills "
          f"({k['killed_in_build']} inside a build of {kills[0]['build_s']:.1f} s), opened {k['opened']}/{k['runs']}, "
          f"lost {k['lost']}, deleted ones back {k['came_back']}, partial {k['partial']}, "
          f"leftover shards {k['leftover_shards']}")
    figures = json.loads(args.out.read_text()) if args.out.is_file() else {}
    figures["kills"] = k
    args.out.write_text(json.dumps(figures, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=Path, default=FILINGS)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--probes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "upload.json")
    parser.add_argument("--kills-on", type=Path, help="only part 3, on a copy of this data folder (an ingested "
                        "collection); its figures replace the kills of --out")
    args = parser.parse_args()
    if args.kills_on:
        return kills_only(args)
    files = sorted(args.files.glob("*.pdf"))
    questions = asked()
    machine = machine_name()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        process, base = serve(data)
        probes = Probes(base, args.probes, questions)
        try:
            probes.phase = "ingest"
            started = time.perf_counter()
            with httpx.Client(base_url=base, timeout=600) as http:
                handles = [f.open("rb") for f in files]
                job = http.post("/v1/documents", files=[("files", (f.name, h)) for f, h in zip(files, handles,
                                                                                                strict=True)]).json()
                for h in handles:
                    h.close()
                while (job := http.get(f"/v1/jobs/{job['id']}").json())["status"] != "done":
                    time.sleep(1)
            ingest_s = time.perf_counter() - started
            pages = sum(f["pages_total"] or 0 for f in job["files"] if f["status"] == "ingested")
            probes.phase = "build"
            started = time.perf_counter()
            while behind(data):
                time.sleep(0.2)
            build_s = time.perf_counter() - started
            probes.phase = "after"
        finally:
            probes.stop()
        after_auto = timed_searches(base, questions)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)

        env = {**os.environ, "PAGESIGHT_DATA_DIR": str(data), "PAGESIGHT_PROFILE": "lite"}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pagesight.api.cli", "index", "optimize"], env=env, check=True,
                       capture_output=True)
        offline_s = time.perf_counter() - started
        process, base = serve(data)
        after_offline = timed_searches(base, questions)

        kills, process = kill_during_builds(data, process, base, args.kills, rng)
        process.terminate()
        process.wait(timeout=120)

    figures = {
        "files": len(files), "pages": pages, "ingest_s": ingest_s, "pages_per_s": pages / ingest_s,
        "build_s": build_s, "during_ingest": probes.figures("ingest"), "during_build": probes.figures("build"),
        "search_after_automatic_build": after_auto, "offline_build_s": offline_s,
        "search_after_offline_build": after_offline,
        "kills": summary(kills),
    }
    print(f"Upload through the API and the automatic index build (lite, {machine})")
    print(f"{len(files)} files, {pages} pages ingested in {ingest_s:.0f} s ({pages / ingest_s:.2f} pages/s); "
          f"indexes built by the server in {build_s:.1f} s")
    print(f"{'phase':<8} {'route':<11} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    for phase in ("during_ingest", "during_build"):
        for route, f in figures[phase].items():
            if f["requests"]:
                print(f"{phase[7:]:<8} {route:<11} {f['requests']:>8} {f['failed']:>6} {f['p50_ms']:>7.0f} "
                      f"{f['p95_ms']:>7.0f} {f['max_ms']:>7.0f}")
    print(f"search after the automatic build p50/p95 {after_auto['p50_ms']:.0f}/{after_auto['p95_ms']:.0f} ms; "
          f"after an offline build ({offline_s:.0f} s) {after_offline['p50_ms']:.0f}/{after_offline['p95_ms']:.0f} ms")
    k = figures["kills"]
    print(f"kill -9 of the server during its build: {k['runs']} kills ({k['killed_in_build']} inside a build), "
          f"opened {k['opened']}/{k['runs']}, lost {k['lost']}, deleted ones back {k['came_back']}, "
          f"partial {k['partial']}, leftover shards {k['leftover_shards']}")
    write_results(args.out, machine, figures)


if __name__ == "__main__":
    main()
