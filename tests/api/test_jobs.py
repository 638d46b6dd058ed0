"""Upload jobs in the app database: their outcome outlives the server, a job a stopped server left
running is failed with the reason and its uploads removed, old jobs are pruned, another key sees none."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from pagesight.api.server.database import Database
from pagesight.api.server.jobs import INTERRUPTED, Job, JobFile, JobStore
from pagesight.core.errors import NotFound
from tests import docs
from tests.api.conftest import KEY
from tests.ingest.test_extract import scanned_pdf

pytestmark = pytest.mark.e2e  # servers it kills and restarts


def test_jobs_are_kept_pruned_and_owned(database_url):
    database = Database(database_url)
    store = JobStore(database)
    old = Job(id="a" * 32, collection="default", tags=[], owner="me", files=[JobFile("old.pdf", "ingested", 3, 3)],
              status="done", finished_at=datetime.now(UTC) - timedelta(hours=30))
    recent = Job(id="b" * 32, collection="default", tags=["q3"], owner="me", files=[JobFile("new.pdf")])
    store.add(old)
    store.add(recent)
    recent.status, recent.files[0].status, recent.files[0].pages_done = "running", "ingesting", 2
    store.save(recent, force=True)
    assert store.get("me", recent.id).files[0].pages_done == 2
    with pytest.raises(NotFound):
        store.get("someone else", recent.id)

    assert store.prune(24) == 1  # finished 30 hours ago
    with pytest.raises(NotFound):
        store.get("me", old.id)
    assert store.interrupt_unfinished() == 1  # what a restart finds
    left = store.get("me", recent.id)
    assert left.status == "done" and left.files[0].status == "failed" and left.files[0].error == INTERRUPTED
    assert left.tags == ["q3"] and left.finished_at is not None
    database.close()


def serve(data, port):
    env = {**os.environ, "PAGESIGHT_DATA_DIR": str(data), "PAGESIGHT_PROFILE": "lite", "PAGESIGHT_API_KEYS": KEY}
    process = subprocess.Popen([sys.executable, "-m", "pagesight.api.cli", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
    deadline = time.monotonic() + 120
    while True:
        try:
            if http.get("/health").status_code == 200:
                return process, http
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)


def test_a_job_cut_off_by_a_killed_server_is_failed_and_cleaned_after_the_restart(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lines = ["Harbour log page {n}: the keeper counted {n}7 ships.", "Wind from the west, force {n}."]
    scans = scanned_pdf(tmp_path / "scans.pdf", [[ln.format(n=n) for ln in lines] for n in range(1, 61)])
    done_pdf = docs.simple_pdf(tmp_path / "note.pdf", ["The harbour dues rose in 1820."])
    process, http = serve(tmp_path / "data", port)
    try:
        finished = http.post("/v1/documents", files=[("files", ("note.pdf", done_pdf.read_bytes()))]).json()
        deadline = time.monotonic() + 120
        while http.get(f"/v1/jobs/{finished['id']}").json()["status"] != "done":
            assert time.monotonic() < deadline, "a one-page upload did not finish in 120 s"
            time.sleep(0.2)
        cut = http.post("/v1/documents", files=[("files", ("scans.pdf", scans.read_bytes()))]).json()
        deadline = time.monotonic() + 120
        while http.get(f"/v1/jobs/{cut['id']}").json()["files"][0]["pages_done"] < 2:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert any((tmp_path / "data" / "uploads").iterdir())  # the upload waits on disk while it runs
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        http.close()

    process, http = serve(tmp_path / "data", port)
    try:
        after = http.get(f"/v1/jobs/{cut['id']}").json()
        assert after["status"] == "done" and after["files"][0]["status"] == "failed"
        assert "server stopped" in after["files"][0]["error"]
        kept = http.get(f"/v1/jobs/{finished['id']}").json()  # a finished job outlives the process
        assert kept["files"][0]["status"] == "ingested" and kept["files"][0]["pages_total"] == 1
        assert not (tmp_path / "data" / "uploads").exists() or not any((tmp_path / "data" / "uploads").iterdir())
        assert [d["file_name"] for d in http.get("/v1/documents").json()] == ["note.pdf"]  # nothing half-written
        other = http.get(f"/v1/jobs/{finished['id']}", headers={"Authorization": "Bearer x"})
        assert other.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=30)
        http.close()


def test_the_server_builds_indexes_on_its_own_after_uploads_and_deletes_answering_the_same_meanwhile(
        api_settings, report, tmp_path, monkeypatch):
    from pagesight.api.server.app import create_app
    from pagesight.api.server.service import Service
    from pagesight.index import edge
    from tests.api.conftest import local_client, upload

    monkeypatch.setattr(Service, "idle_s", 0.1)
    go = tmp_path / "go"  # the build's child waits for it: the test sees the server while it builds
    monkeypatch.setattr(edge, "_BUILD", f"import os, time\nwhile not os.path.exists({str(go)!r}): time.sleep(0.02)\n"
                        + edge._BUILD)
    queries = ["revenue", "How many ships did the keeper count?", "lighthouse"]
    with local_client(create_app(api_settings)) as client:
        store = client.app.state.service.sight().store
        folder = store.folder

        def answers():
            return [[(h["doc_id"], h["page"], h["score"]) for h in
                     client.post("/v1/search", json={"query": q, "k": 3}).json()["hits"]] for q in queries]

        doc_id = upload(client, ("report.pdf", report.read_bytes()))["files"][0]["doc_id"]
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".building") for p in folder.iterdir()):  # the server started a build
            assert time.monotonic() < deadline, "the server never started building"
            time.sleep(0.05)
        during = answers()  # from the shard being copied: the build holds no search up
        assert client.get("/health").status_code == 200 and during[1][0][0] == doc_id
        go.touch()
        while store.unoptimised:
            assert time.monotonic() < deadline, "the build never finished"
            time.sleep(0.05)
        shard = json.loads((folder / "collection.json").read_text())["shard"]
        assert shard != "shard" and answers() == during  # the built copy answers exactly as before
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 204
        while store.unoptimised or json.loads((folder / "collection.json").read_text())["shard"] == shard:
            assert time.monotonic() < deadline, "a delete did not lead to a build"
            time.sleep(0.05)
    with local_client(create_app(api_settings)) as client:  # what a restart finds: the last built shard
        assert client.get("/v1/documents").json() == []
        named = json.loads((folder / "collection.json").read_text())["shard"]
        assert [p.name for p in folder.glob("shard*")] == [named]
