"""What one user's work may cost the server: extraction workers that cannot be worn down by what they
read."""

import pytest

from pagesight.api.server.app import create_app
from tests import docs
from tests.api.conftest import local_client, upload
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e


def test_pages_without_text_leave_the_workers_able_to_read(tmp_path, report):
    # Before: each such page left ~5.7 MB in its worker, and after ~450 a worker every upload failed with
    # "the parser ran out of memory" until a restart. Workers are replaced every 150 pages here (the
    # default is 2,000), so a replacement happens inside a file and must lose none of its pages; a leak
    # would still show, 150 pages x 5.7 MB (855 MB) being far above the 700 MB mark (a worker peaks near
    # 230 MB without). bench/reliability.py (worn) sends 3,000 with the default settings.
    blank = [docs.blank_pdf(tmp_path / f"blank{i}.pdf", 200) for i in (1, 2)]
    settings = make_settings(tmp_path / "data", profile="lite", extract_workers=2, worker_recycle_pages=150)
    with local_client(create_app(settings)) as client:
        job = upload(client, *[(p.name, p.read_bytes()) for p in blank], timeout_s=600)
        assert [f["status"] for f in job["files"]] == ["ingested", "ingested"], job
        assert [f["pages_done"] for f in job["files"]] == [200, 200]
        after = upload(client, ("report.pdf", report.read_bytes()))
        assert after["files"][0]["status"] == "ingested", after
        sight = client.app.state.service.sight()
        assert sight.models.extraction.recycled >= 2, sight.models.extraction.recycled
        assert sight.models.extraction.peak_rss_mb < 700, sight.models.extraction.peak_rss_mb
        found = client.post("/v1/search", json={"query": "How many ships did the keeper count?", "k": 1}).json()
        assert found["hits"][0]["file_name"] == "report.pdf"


def test_a_slow_answerer_takes_its_share_of_the_server_and_no_more(tmp_path, report, openai_stub):
    """Answers from a remote VLM that takes 3 s each: one generates, one waits, the rest are told to come
    back (503, Retry-After) at once; health and search answer meanwhile."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.api.conftest import uvicorn_serving
    from tests.conftest import STUB_KEY

    url, _ = openai_stub
    settings = make_settings(tmp_path / "data", profile="lite", answerer="remote", remote_url=url,
                             remote_model="slow", remote_api_key=STUB_KEY, answer_concurrency=1, answer_queue=1)
    with uvicorn_serving(create_app(settings)) as base, httpx.Client(base_url=base, timeout=60) as http:
        upload(http, ("report.pdf", report.read_bytes()))
        question = {"question": "How many ships did the keeper count?"}
        with ThreadPoolExecutor(6) as pool:
            asked = [pool.submit(http.post, "/v1/answer", json=question) for _ in range(6)]
            deadline = time.monotonic() + 30
            while sum(a.done() for a in asked) < 4:  # the six have arrived: two admitted, four turned away
                assert time.monotonic() < deadline, "four of six answers were not turned away at once"
                time.sleep(0.02)
            started = time.monotonic()
            assert http.get("/health").status_code == 200
            found = http.post("/v1/search", json={"query": "ships", "k": 1})
            assert found.status_code == 200 and found.json()["hits"]
            assert time.monotonic() - started < 2.0, "health and search waited behind the answers"
            replies = [a.result() for a in asked]
    codes = sorted(r.status_code for r in replies)
    assert codes == [200, 200, 503, 503, 503, 503], codes
    busy = next(r for r in replies if r.status_code == 503)
    assert busy.headers["retry-after"].isdigit() and "ask again shortly" in busy.json()["detail"]
    assert all("4217" in r.json()["answer"]["text"] for r in replies if r.status_code == 200)


def test_one_keys_slow_upload_holds_up_neither_another_key_nor_its_own_cancel(tmp_path, report):
    import time

    from tests.api.conftest import KEY, wait_for_job

    other = "another-key-9876543210"
    slow = docs.amplified_pdf(tmp_path / "slow.pdf", pages=80, content_mb=16)  # ~0.5 s a page, 80 pages
    settings = make_settings(tmp_path / "data", profile="lite", api_keys=f"{KEY},{other}")
    with local_client(create_app(settings)) as client:
        a, b = {"Authorization": f"Bearer {KEY}"}, {"Authorization": f"Bearer {other}"}
        started = client.post("/v1/documents", files=[("files", ("slow.pdf", slow.read_bytes()))], headers=a)
        job = started.json()["id"]
        deadline = time.monotonic() + 120
        while client.get(f"/v1/jobs/{job}", headers=a).json()["pages_done"] < 2:  # A's file is being read
            assert time.monotonic() < deadline, "the slow upload never started"
            time.sleep(0.1)
        began = time.monotonic()
        quick = client.post("/v1/documents", files=[("files", ("report.pdf", report.read_bytes()))], headers=b)
        client.headers.update(b)
        done = wait_for_job(client, quick.json()["id"], timeout_s=60)
        assert done["files"][0]["status"] == "ingested" and time.monotonic() - began < 45
        assert client.get(f"/v1/jobs/{job}", headers=a).json()["status"] == "running"  # A's still going
        assert client.delete(f"/v1/jobs/{job}", headers=b).status_code == 404  # not B's to cancel
        cancelled = client.delete(f"/v1/jobs/{job}", headers=a)
        assert cancelled.status_code == 202
        client.headers.update(a)
        ended = wait_for_job(client, job, timeout_s=30)
        assert ended["files"][0]["status"] == "cancelled" and ended["files"][0]["doc_id"] is None
        assert [d["file_name"] for d in client.get("/v1/documents").json()] == ["report.pdf"]  # nothing partial
        again = client.delete(f"/v1/jobs/{job}")
        assert again.status_code == 409 and "nothing to cancel" in again.json()["detail"]
        queued = client.post("/v1/documents", files=[("files", ("slow.pdf", slow.read_bytes()))]).json()["id"]
        behind = client.post("/v1/documents", files=[("files", ("memo.pdf", docs.simple_pdf(
            tmp_path / "memo.pdf", ["A memo."]).read_bytes()))]).json()["id"]
        gone = client.delete(f"/v1/jobs/{behind}").json()  # queued behind A's own: cancelled before it starts
        assert gone["status"] == "done" and gone["files"][0]["status"] == "cancelled"
        client.delete(f"/v1/jobs/{queued}")
        assert wait_for_job(client, queued, timeout_s=30)["files"][0]["status"] == "cancelled"
