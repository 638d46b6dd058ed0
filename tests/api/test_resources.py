"""What one user's work may cost the server: extraction workers that cannot be worn down by what they
read."""

import pytest

from pagesight.api.app import create_app
from tests import docs
from tests.api.conftest import local_client, upload
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e


def test_three_thousand_pages_without_text_leave_the_workers_able_to_read(tmp_path, report):
    # Before: each such page left ~5.7 MB in its worker, and after ~450 a worker every upload failed with
    # "the parser ran out of memory" until a restart. Two files, as max_pages allows 2,000 a file.
    blank = [docs.blank_pdf(tmp_path / f"blank{i}.pdf", 1500) for i in (1, 2)]
    settings = make_settings(tmp_path / "data", profile="lite", extract_workers=2)
    with local_client(create_app(settings)) as client:
        job = upload(client, *[(p.name, p.read_bytes()) for p in blank])
        assert [f["status"] for f in job["files"]] == ["ingested", "ingested"], job
        assert [f["pages_done"] for f in job["files"]] == [1500, 1500]
        after = upload(client, ("report.pdf", report.read_bytes()))
        assert after["files"][0]["status"] == "ingested", after
        sight = client.app.state.service.sight()
        assert sight.worker_peak_rss_mb < 1024, sight.worker_peak_rss_mb
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
            time.sleep(0.5)  # the six have arrived: two admitted, four turned away
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
