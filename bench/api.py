"""REST API throughput and latency: /v1/search and /v1/answer with 1 and 8 concurrent clients.

    python bench/api.py [--data DIR] [--questions FILE] [--requests 48] [--out bench/results/api.json]

`pagesight serve` runs in its own process on 127.0.0.1 (lite profile, one torch thread) over the
collection in --data (PAGESIGHT_DATA_DIR of an ingested collection, e.g. the FinanceBench devset);
without --data, FinanceBench's six shortest filings (or, without the devset, the sample PDF) are
ingested into a temporary one. Clients send the questions of --questions (FinanceBench JSONL) in
turn, each client with its own connection; every request must succeed. Figures: requests per
second over the whole run, and p50/p95 latency per request. The last row: 8 clients searching while 2
more stream answers all along (an answer's generation must not hold searches up).
"""

from __future__ import annotations

import argparse
import json
import os
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
from common import load, serve, write_results
from common import machine as machine_name  # noqa: E402  (bench/ is the script's folder)

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT.parent / "shared" / "devset" / "financebench"
SHORTEST = ["FOOTLOCKER_2022_8K_dated-2022-05-20", "PEPSICO_2023_8K_dated-2023-05-05", "AMCOR_2022_8K_dated-2022-07-01",
            "ULTABEAUTY_2023Q4_EARNINGS", "AMCOR_2023Q4_EARNINGS", "MGMRESORTS_2022Q4_EARNINGS"]


def prepare(data: Path) -> str:
    """Ingest a small collection into `data`; what it holds."""
    env = {**os.environ, "PAGESIGHT_DATA_DIR": str(data), "PAGESIGHT_PROFILE": "lite"}
    if (DEVSET / "pdfs").is_dir():
        files = [str(DEVSET / "pdfs" / f"{name}.pdf") for name in SHORTEST]
        what = "FinanceBench, 6 shortest filings (56 pages)"
    else:
        sample = data.parent / "sample.pdf"
        subprocess.run([sys.executable, "-m", "pagesight.api.cli", "sample", str(sample)], env=env, check=True,
                       capture_output=True)
        files, what = [str(sample)], "the sample PDF (4 pages)"
    subprocess.run([sys.executable, "-m", "pagesight.api.cli", "ingest", *files], env=env, check=True,
                   capture_output=True)
    return what


def questions(path: Path | None) -> list[str]:
    if path and path.is_file():
        return [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]
    return ["When was the telegraph cable laid across the Atlantic?", "How many ships were logged in 1812?",
            "What does the bar chart show?", "Which lighthouse is the oldest?"]


def while_answers_stream(base: str, asked: list[str], requests: int) -> dict:
    """8 clients searching while 2 clients stream answers, one after another, until the searches end."""
    stop = threading.Event()
    streamed = []

    def streamer(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=300) as http:
            n = offset
            while not stop.is_set():
                with http.stream("POST", "/v1/answer", json={"question": asked[n % len(asked)], "stream": True}) as r:
                    for _ in r.iter_lines():
                        pass
                streamed.append(r.status_code)
                n += 2

    streamers = [threading.Thread(target=streamer, args=(i,)) for i in range(2)]
    for t in streamers:
        t.start()
    time.sleep(1.0)  # the answers are under way
    row = load(base, "search", asked, requests, 8)
    stop.set()
    for t in streamers:
        t.join()
    row["route"] = "/v1/search, 2 answers streaming"
    row["answers_streamed"] = len(streamed)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="PAGESIGHT_DATA_DIR of an ingested lite collection")
    parser.add_argument("--questions", type=Path, default=DEVSET / "questions_local_subset.jsonl")
    parser.add_argument("--requests", type=int, default=48, help="requests per route and concurrency")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "api.json")
    args = parser.parse_args()

    machine = machine_name("1 torch thread")
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        what = f"the collection in {data}"
        if data is None:
            data = Path(tmp) / "data"
            what = prepare(data)
        asked = questions(args.questions)
        process, base = serve(data)
        try:
            load(base, "search", asked, 4, 1)  # warm-up
            rows = [load(base, route, asked, args.requests, clients)
                    for route in ("search", "answer") for clients in (1, 8)]
            rows.append(while_answers_stream(base, asked, args.requests))
        finally:
            process.terminate()
            process.wait(timeout=60)

    print(f"REST API on 127.0.0.1, lite profile, {what} ({machine})")
    print(f"{'route':<34} {'clients':>7} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for r in rows:
        print(f"{r['route']:<34} {r['clients']:>7} {r['requests']:>9} {r['errors']:>7} {r['rps']:>7.1f} "
              f"{r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f}")
    write_results(args.out, machine, {"collection": what, "rows": rows})
    if any(r["errors"] for r in rows):
        raise SystemExit("some requests failed: " + "; ".join(s for r in rows for s in r["error_samples"]))


if __name__ == "__main__":
    main()
