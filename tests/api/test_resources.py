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
