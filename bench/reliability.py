"""Reliability figures: hostile files through the API, kill -9 during ingestion, ingestion under load.

    python bench/reliability.py [--kills 20] [--clients 8] [--out bench/results/reliability.json]

1. hostile files: every file of ../shared/corpus uploaded to `pagesight serve` (lite, its default
   limits): the outcome of each (ingested, or failed with the reason), whether the server stayed
   up, and the peak memory of the server process and of its extraction workers.
2. kill -9: a process ingests a folder of PDFs one by one, printing each outcome as it lands; it
   is killed with SIGKILL at a random moment, --kills times. After each kill the collection is
   opened again: it must open, show no partial document, and hold every document reported as
   ingested, whole (all its pages).
3. load: while a batch of PDFs is uploaded and ingested, and then while the server builds the
   collection's indexes by itself (in a child process, index/edge.py), --clients clients search
   and ask through the API; errors, lost documents and latencies are counted, for each phase.
5. builds: a process ingests PDFs one by one and builds the indexes after each (as a server does
   when its queue is idle); it is killed with SIGKILL at a random moment, --kills times. After each
   kill the collection must open with one shard, no partial document and every reported one.
4. attacks: the attack run's bad inputs, each sent to a server on 127.0.0.1 (API keys on, a 4 MB
   upload limit, a stub OpenAI-compatible VLM on 127.0.0.1 that cites pages it was not given); each
   row names the attack, what a safe answer is, what came, and whether it held. Bounded: the largest
   body sent is a few MB, and nothing leaves the loopback interface.
6. worn: 3,000 pages without a text layer (two files of 1,500 blank pages, each rendered for OCR) uploaded
   to a server with its default worker settings, then a small report: the workers' peak memory, how
   many times they were replaced, and whether the report after them is read and found.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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
CORPUS = ROOT.parent / "shared" / "corpus"

INGEST_ONE_BY_ONE = """
import json, sys
from pathlib import Path
from pagesight import PageSight
from pagesight.core.settings import Settings
settings = Settings(_env_file=None, data_dir=Path(sys.argv[1]), profile="lite")
with PageSight(settings=settings) as sight:
    _ = sight.models.encoders, sight.store
    print(json.dumps({"ready": True}), flush=True)
    for path in sys.argv[2:]:
        o = sight.ingest_file(Path(path))
        print(json.dumps({"path": path, "status": o.status, "doc_id": o.doc_id, "pages": o.pages}), flush=True)
"""

# The same, building the indexes after each file, and saying when a build starts and ends.
INGEST_AND_BUILD = INGEST_ONE_BY_ONE + """
        print(json.dumps({"building": True}), flush=True)
        sight.store.optimize()
        print(json.dumps({"built": True}), flush=True)
"""


def pdfs(folder: Path, n: int) -> list[Path]:
    import pymupdf

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        doc = pymupdf.open()
        for p in range(1 + i % 5):
            page = doc.new_page()
            page.insert_text((72, 72), f"Document {i}, page {p + 1}: the lighthouse log of year {1800 + i}.")
            page.insert_text((72, 100), f"Ships counted: {1000 + 37 * i + p}. Keeper number {i}.")
        doc.save(folder / f"doc{i:03d}.pdf")
        out.append(folder / f"doc{i:03d}.pdf")
    return out


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """(resident MB of the process, largest resident MB among its children) right now."""
    def rss(p: int) -> float:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    kids = []  # children of every thread: the server starts its extraction worker from the ingest thread
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids += [int(c) for c in children.read_text().split()]
        except OSError:
            pass
    return rss(pid), max((rss(k) for k in kids), default=0.0)


def hostile_files(tmp: Path) -> dict:
    if not CORPUS.is_dir():
        return {"skipped": f"no corpus at {CORPUS}"}
    process, base = serve(tmp / "hostile")
    peak = [0.0, 0.0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            main, worker = tree_rss_mb(process.pid)
            peak[0], peak[1] = max(peak[0], main), max(peak[1], worker)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    rows = []
    try:
        with httpx.Client(base_url=base, timeout=600) as http:
            for path in sorted(CORPUS.iterdir()):
                if not path.is_file():
                    continue
                with path.open("rb") as f:
                    response = http.post("/v1/documents", files=[("files", (path.name, f))])
                if response.status_code != 202:
                    rows.append({"file": path.name, "status": f"HTTP {response.status_code}",
                                 "reason": response.text[:200]})
                    continue
                job_id = response.json()["id"]
                while (job := http.get(f"/v1/jobs/{job_id}").json())["status"] != "done":
                    time.sleep(0.3)
                entry = job["files"][0]
                rows.append({"file": path.name, "status": entry["status"], "pages": entry["pages_total"],
                             "reason": entry["error"] or ""})
            alive = http.get("/health").status_code == 200
    finally:
        stop.set()
        watcher.join()
        crashed = process.poll() is not None
        process.terminate()
        process.wait(timeout=60)
    return {"files": len(rows), "ingested": sum(r["status"] in ("ingested", "unchanged") for r in rows),
            "failed": sum(r["status"] == "failed" for r in rows), "server_alive_after": alive and not crashed,
            "peak_rss_server_mb": peak[0], "peak_rss_worker_mb": peak[1], "rows": rows}


def kills(tmp: Path, runs: int, seed: int, script: str = INGEST_ONE_BY_ONE, name: str = "kill") -> dict:
    from pagesight.core.settings import Settings
    from pagesight.index import open_store

    files = pdfs(tmp / f"{name}-in", 30)
    data = tmp / f"{name}-data"
    rng = random.Random(seed)
    reported: dict[str, int] = {}  # doc id -> pages, as the killed process reported them
    results = []
    for run in range(runs):
        process = subprocess.Popen([sys.executable, "-c", script, str(data), *map(str, files)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=_read_lines, args=(process, lines), daemon=True)
        reader.start()
        while not lines and process.poll() is None:  # killed while ingesting, not while loading models
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 6.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        reader.join(timeout=5)
        events = [json.loads(line) for line in lines]
        for event in events:
            if event.get("status") in ("ingested", "replaced", "unchanged"):
                reported[event["doc_id"]] = event["pages"]
        in_build = bool(events) and "building" in events[-1]
        settings = Settings(_env_file=None, data_dir=data, profile="lite")
        try:
            with open_store(settings) as store:
                docs = {d.id: d for d in store.documents()}
                whole = all(len(store.pages(d.id)) == d.pages for d in docs.values())
                pending = store.count_state("pending")
                shards = sum(p.is_dir() for p in store.folder.glob("shard*"))
            opened, error = True, ""
        except Exception as e:  # the figure is whether it opens
            opened, error, docs, whole, pending, shards = False, f"{type(e).__name__}: {e}", {}, False, -1, 0
        lost = [d for d in reported if d not in docs]
        results.append({"run": run, "reported_so_far": len(reported), "visible": len(docs), "opened": opened,
                        "error": error, "all_whole": whole, "pending_after_open": pending, "lost": len(lost),
                        "killed_in_build": in_build, "shards_after_open": shards})
        if len(docs) == len(files):  # all in: start the next run on a fresh collection
            shutil.rmtree(data)
            reported.clear()
    return {"runs": runs, "opened": sum(r["opened"] for r in results),
            "killed_in_build": sum(r["killed_in_build"] for r in results),
            "leftover_shards": sum(max(r["shards_after_open"] - 1, 0) for r in results),
            "partial_documents_seen": sum(not r["all_whole"] for r in results),
            "reported_documents_lost": sum(r["lost"] for r in results), "rows": results}


def _read_lines(process: subprocess.Popen, lines: list[str]) -> None:
    lines.extend(iter(process.stdout.readline, ""))


def load(tmp: Path, clients: int) -> dict:
    files = pdfs(tmp / "load-in", 24)
    process, base = serve(tmp / "load")
    errors, latencies = [], {"search": [], "answer": []}
    phases = {"search": [], "answer": []}  # "ingest" or "build", for each latency
    empty = {"search": 0, "answer": 0}  # answered 404 "does not exist" before the first document was in
    phase = ["ingest"]
    lock = threading.Lock()
    stop = threading.Event()

    def client(i: int) -> None:
        route = "search" if i % 2 == 0 else "answer"
        with httpx.Client(base_url=base, timeout=300) as http:
            n = 0
            while not stop.is_set():
                body = {"query": f"ships counted in year {1800 + n % 24}"} if route == "search" else {
                    "question": f"How many ships were counted by keeper number {n % 24}?"}
                started = time.perf_counter()
                response = http.post(f"/v1/{route}", json=body)
                with lock:
                    latencies[route].append(time.perf_counter() - started)
                    phases[route].append(phase[0])
                    if response.status_code == 404 and "ingest something first" in response.text:
                        empty[route] += 1  # before the first document is in, the collection does not exist yet
                    elif response.status_code != 200:
                        errors.append(f"{route} {response.status_code} {response.text[:200]}")
                n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    try:
        with httpx.Client(base_url=base, timeout=600) as http:
            started = time.perf_counter()
            handles = [f.open("rb") for f in files]
            response = http.post("/v1/documents", files=[("files", (f.name, h)) for f, h in zip(files, handles,
                                                                                                strict=True)])
            for h in handles:
                h.close()
            job_id = response.json()["id"]
            while (job := http.get(f"/v1/jobs/{job_id}").json())["status"] != "done":
                time.sleep(0.5)
            ingest_s = time.perf_counter() - started
            listed = {d["file_name"] for d in http.get("/v1/documents").json()}
            # The server then builds the indexes by itself, answering meanwhile: until the marker goes.
            phase[0] = "build"
            started = time.perf_counter()
            behind = tmp / "load" / "collections" / "default" / "indexes-behind"
            while behind.exists() and time.perf_counter() - started < 600:
                time.sleep(0.2)
            build_s = time.perf_counter() - started
    finally:
        stop.set()
        for t in threads:
            t.join()
        process.terminate()
        process.wait(timeout=60)

    def during(name):
        return {r: [1000 * s for s, p in zip(v, phases[r], strict=True) if p == name] for r, v in latencies.items()}

    build = during("build")
    return {"clients": clients, "documents": len(files), "ingest_s": ingest_s, "build_s": build_s,
            "build_requests": {r: len(v) for r, v in build.items()},
            "build_p95_ms": {r: percentile(v, 95) if v else None for r, v in build.items()},
            "before_the_first_document": empty,
            "ingested": sum(f["status"] == "ingested" for f in job["files"]),
            "lost": len({f.name for f in files} - listed), "errors": len(errors), "error_samples": errors[:3],
            "requests": {r: len(v) for r, v in latencies.items()},
            "p50_ms": {r: percentile([1000 * s for s in v], 50) for r, v in latencies.items()},
            "p95_ms": {r: percentile([1000 * s for s in v], 95) for r, v in latencies.items()}}


ATTACK_KEY = "bench-key-0123456789"


def attacks(tmp: Path) -> dict:
    """The attack run's inputs, repeatable: one row each (attack, a safe answer, what came, held)."""
    import socket
    from urllib.parse import urlparse

    stub_dir = tmp / "stub"
    stub_dir.mkdir(parents=True)
    stub = subprocess.Popen([sys.executable, str(ROOT / "tests" / "generate" / "openai_stub.py"),
                             str(stub_dir / "port"), str(stub_dir / "log"), "sk-stub"])
    while not (stub_dir / "port").exists() or not (stub_dir / "port").read_text():
        time.sleep(0.05)
    data = tmp / "attacks"
    process, base = serve(data, api_keys=ATTACK_KEY, max_upload_mb="4", answerer="remote",
                          remote_url=f"http://127.0.0.1:{(stub_dir / 'port').read_text()}/v1", remote_model="leaky",
                          remote_api_key="sk-stub")
    auth = {"Authorization": f"Bearer {ATTACK_KEY}"}
    url = urlparse(base)
    rows: list[dict] = []

    def row(attack: str, safe: str, came: str, held: bool) -> None:
        rows.append({"attack": attack, "safe": safe, "came": came, "held": bool(held)})

    def raw(head: str, chunks=()) -> int:
        with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
            sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
            try:
                for chunk in chunks:
                    sock.sendall(chunk)
            except OSError:
                pass
            return int(sock.recv(65536).split(b" ", 2)[1])

    def chunked(payload: bytes):
        for start in range(0, len(payload), 1 << 16):
            piece = payload[start:start + (1 << 16)]
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        yield b"0\r\n\r\n"

    peak = [0.0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss_mb(process.pid)[0])
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with httpx.Client(base_url=base, headers=auth, timeout=300) as http:
            pdf = pdfs(tmp / "attack-in", 9)

            def upload(files, data=None):
                response = http.post("/v1/documents", files=files, data=data)
                if response.status_code != 202:
                    return response
                while (job := http.get(f"/v1/jobs/{response.json()['id']}").json())["status"] != "done":
                    time.sleep(0.2)
                return job

            host = f"{url.hostname}:{url.port}"  # the server's own name: a foreign one is refused first (421)
            many = ",".join(f"t{i}" for i in range(100_000))
            tags = upload([("files", ("r.pdf", pdf[0].read_bytes()))], {"tags": many})
            row("upload with 100,000 tags (700 KB)", "422", str(tags.status_code), tags.status_code == 422)
            head = f"POST /v1/documents HTTP/1.1\nHost: {host}\nAuthorization: Bearer {ATTACK_KEY}\n"
            status = raw(head + "Content-Type: multipart/form-data; boundary=x\nContent-Length: 10\n"
                         "Transfer-Encoding: chunked\n", chunked(b"A" * (6 << 20)))
            row("chunked upload of 6 MB with Content-Length: 10", "400", str(status), status == 400)
            status = raw(f"POST /v1/search HTTP/1.1\nHost: {host}\nAuthorization: Bearer {ATTACK_KEY}\n"
                         "Content-Type: application/json\nTransfer-Encoding: chunked\n",
                         chunked(b"[" + b"1," * (1 << 20)))
            row("chunked JSON of 2 MB, no Content-Length", "413", str(status), status == 413)
            started = time.perf_counter()
            status = raw(f"POST /v1/documents HTTP/1.1\nHost: {host}\nContent-Type: multipart/form-data; boundary=x\n"
                         f"Content-Length: {300 << 20}\n")
            waited = time.perf_counter() - started
            row("unauthenticated upload announcing 300 MB", "401 before the body", f"{status} in {waited:.2f} s",
                status == 401 and waited < 5)
            upload([("files", ("minutes.pdf", p.read_bytes())) for p in pdf[1:9]])
            listed = len(http.get("/v1/documents").json())
            row("8 different files named minutes.pdf", "8 documents", f"{listed} documents", listed == 8)

            def body():
                yield json.dumps({"question": "How many ships were counted?", "stream": True}).encode()

            with http.stream("POST", "/v1/answer", content=body(), headers={"Content-Type": "application/json"}) as r:
                text = "".join(r.iter_text())
            deltas = [json.loads(b.split("\n")[1][6:])["text"] for b in text.split("\n\n")
                      if b.startswith("event: delta")]
            row("streamed answer, chunked request body", "200 with events", str(r.status_code),
                r.status_code == 200 and "event: done" in text)
            leaked = [d for d in deltas if any(bad in d for bad in ("7]", "9]", "secret"))]
            row("remote VLM citing [7], [1, 9], [secret.pdf, page 4]", "none streamed", f"{len(leaked)} leaked",
                not leaked and deltas)
            status = http.post("/v1/search", content=b'{"query": "\\ud800"}',
                               headers={"Content-Type": "application/json"}).status_code
            row("lone surrogate in a JSON string", "422", str(status), status == 422)
            before = len(http.get("/v1/documents").json())
            status = http.delete("/v1/documents/").status_code
            after = len(http.get("/v1/documents").json())
            row("delete with an empty id", "4xx, nothing deleted", f"{status}, {before - after} deleted",
                400 <= status < 500 and before == after)
            http.get("/v1/documents", params={"collection": "made-up"})
            models = [m["id"] for m in http.get("/v1/models").json()["data"]]
            row("GET ?collection=made-up, then /v1/models", "not listed", ", ".join(models), "made-up" not in models)
            # Public since the eighth session: /docs reads it, and it describes the API, not what it holds.
            docs_status = httpx.get(f"{base}/openapi.json").status_code
            listed = httpx.get(f"{base}/v1/documents").status_code
            row("/openapi.json, then /v1/documents, without a key", "200, then 401", f"{docs_status}, then {listed}",
                docs_status == 200 and listed == 401)
            found = http.post("/v1/search", json={"query": "ships"}).text + http.get("/v1/documents").text
            row("server paths in /v1/search and /v1/documents", "none", "found" if str(data) in found else "none",
                str(data) not in found)
            doc = http.get("/v1/documents").json()[0]["id"]
            statuses: list[int] = []

            def read() -> None:
                with httpx.Client(base_url=base, headers=auth, timeout=60) as mine:
                    for i in range(30):
                        statuses.append(mine.get(f"/v1/documents/{doc}/pages/{i % 2 + 1}/image").status_code)

            readers = [threading.Thread(target=read) for _ in range(4)]
            for t in readers:
                t.start()
            http.delete(f"/v1/documents/{doc}")
            for t in readers:
                t.join()
            bad = [s for s in statuses if s not in (200, 404)]
            row("page images read while their document is deleted", "200 or 404", f"{len(bad)} other",
                not bad)
            alive = http.get("/health").status_code == 200
    finally:
        stop.set()
        watcher.join()
        crashed = process.poll() is not None
        process.terminate()
        process.wait(timeout=60)
        stub.kill()
    return {"rows": rows, "held": sum(r["held"] for r in rows), "attacks": len(rows),
            "server_alive_after": alive and not crashed, "peak_rss_server_mb": peak[0]}


def worn(tmp: Path) -> dict:
    """Before: every page without text left ~5.7 MB in its worker, and after ~450 pages a worker every
    upload failed with "the parser ran out of memory" until a restart."""
    sys.path.insert(0, str(ROOT))
    from pagesight.api.server.app import create_app
    from pagesight.core.settings import Settings
    from tests import docs  # the suite's PDF makers: the same blank pages the resource test reads
    from tests.api.conftest import local_client, upload

    folder = tmp / "worn"
    folder.mkdir()
    blank = [docs.blank_pdf(folder / f"blank{i}.pdf", 1500) for i in (1, 2)]
    report = docs.report_pdf(folder / "report.pdf")
    settings = Settings(_env_file=None, data_dir=folder / "data", profile="lite", extract_workers=2)
    started = time.perf_counter()
    with local_client(create_app(settings)) as client:
        job = upload(client, *[(p.name, p.read_bytes()) for p in blank], timeout_s=3600)
        seconds = time.perf_counter() - started
        after = upload(client, (report.name, report.read_bytes()))
        sight = client.app.state.service.sight()
        found = client.post("/v1/search", json={"query": "How many ships did the keeper count?", "k": 1}).json()
        return {"pages": sum(f["pages_done"] for f in job["files"]), "seconds": round(seconds, 1),
                "statuses": [f["status"] for f in job["files"]],
                "peak_rss_worker_mb": round(sight.models.extraction.peak_rss_mb),
                "recycled": sight.models.extraction.recycled,
                "next_upload": after["files"][0]["status"],
                "next_found": bool(found.get("hits")) and found["hits"][0]["file_name"] == "report.pdf"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip (their figures in --out are kept): "
                        "hostile, kills, load, attacks, builds, worn")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reliability.json")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    machine = machine_name()
    with tempfile.TemporaryDirectory() as tmp:
        # Parts skipped keep the figures --out already holds.
        kept = json.loads(args.out.read_text()) if skip and args.out.is_file() else {}
        figures = {
            "hostile": kept.get("hostile") if "hostile" in skip else hostile_files(Path(tmp)),
            "kills": kept.get("kills") if "kills" in skip else kills(Path(tmp), args.kills, args.seed),
            "load": kept.get("load") if "load" in skip else load(Path(tmp), args.clients),
            "attacks": kept.get("attacks") if "attacks" in skip else attacks(Path(tmp)),
            "builds": kept.get("builds") if "builds" in skip else kills(Path(tmp), args.kills, args.seed,
                                                                        INGEST_AND_BUILD, "build"),
            "worn": kept.get("worn") if "worn" in skip else worn(Path(tmp)),
        }
    print(f"reliability ({machine})")
    if h := figures["hostile"]:
        print(f"hostile files through the API: {h.get('files', 0)} files, {h.get('ingested', 0)} ingested, "
              f"{h.get('failed', 0)} refused with a reason; server alive after: {h.get('server_alive_after')}; "
              f"peak RSS server {h.get('peak_rss_server_mb', 0):.0f} MB, "
              f"worker {h.get('peak_rss_worker_mb', 0):.0f} MB")
        for r in h.get("rows", []):
            if r["status"] not in ("ingested", "unchanged"):
                print(f"  {r['file']:<50} {r['status']:<8} {r['reason'][:90]}")
    if k := figures["kills"]:
        print(f"kill -9 during ingestion: {k['runs']} kills, store opened {k['opened']}/{k['runs']}, "
              f"partial documents seen {k['partial_documents_seen']}, reported documents lost "
              f"{k['reported_documents_lost']}")
    if lo := figures["load"]:
        print(f"ingestion under load: {lo['documents']} PDFs in {lo['ingest_s']:.0f} s while {lo['clients']} clients "
              f"searched and asked: {lo['requests']} requests, {lo['errors']} errors "
              f"({lo.get('before_the_first_document')} answered 404 before the first document was in), "
              f"{lo['lost']} documents lost; "
              f"p50/p95 ms search {lo['p50_ms']['search']:.0f}/{lo['p95_ms']['search']:.0f}, "
              f"answer {lo['p50_ms']['answer']:.0f}/{lo['p95_ms']['answer']:.0f}")
        print(f"  then the server built the indexes in {lo['build_s']:.1f} s, answering {lo['build_requests']} "
              f"requests meanwhile; p95 ms {lo['build_p95_ms']}")
    if a := figures["attacks"]:
        print(f"attacks through the API: {a['held']} of {a['attacks']} held; server alive after: "
              f"{a['server_alive_after']}; peak RSS server {a['peak_rss_server_mb']:.0f} MB")
        print(f"  {'attack':<56} {'safe answer':<22} {'came':<24} held")
        for r in a["rows"]:
            print(f"  {r['attack'][:56]:<56} {r['safe']:<22} {r['came'][:24]:<24} {'yes' if r['held'] else 'NO'}")
    if b := figures["builds"]:
        print(f"kill -9 during ingestion and index builds: {b['runs']} kills ({b['killed_in_build']} inside a build), "
              f"store opened {b['opened']}/{b['runs']}, leftover shards {b['leftover_shards']}, partial documents "
              f"seen {b['partial_documents_seen']}, reported documents lost {b['reported_documents_lost']}")
    if w := figures.get("worn"):
        print(f"pages without text through the server: {w['pages']} pages in {w['seconds']:.0f} s "
              f"({w['statuses']}); worker peak RSS {w['peak_rss_worker_mb']} MB, replaced {w['recycled']} times; "
              f"the next upload {w['next_upload']}, found: {w['next_found']}")
    write_results(args.out, machine, figures)


if __name__ == "__main__":
    main()
