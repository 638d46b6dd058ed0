"""The API under test: an app over a fresh lite collection, in-process (TestClient) or served by
uvicorn on 127.0.0.1 for real HTTP clients (the openai package, a browser)."""

import socket
import threading
import time
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from pagesight.api.server.app import create_app
from pagesight.core.settings import get_settings
from tests.conftest import make_settings

KEY = "test-key-0123456789"
LOCAL = "http://127.0.0.1:8000"  # TestClient's own host, "testserver", is no name a loopback server answers to


def local_client(app, **kwargs) -> TestClient:
    """A TestClient that calls the app as a browser or a program on this machine does (Host 127.0.0.1)."""
    return TestClient(app, base_url=LOCAL, **kwargs)


def wait_for_job(client, job_id: str, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] == "done":
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def upload(client, *files: tuple[str, bytes], tags: str | None = None, timeout_s: float = 120) -> dict:
    response = client.post("/v1/documents", files=[("files", (name, data, "application/octet-stream"))
                                                   for name, data in files],
                           data={"tags": tags} if tags else None)
    assert response.status_code == 202, response.text
    return wait_for_job(client, response.json()["id"], timeout_s)


@pytest.fixture
def api_settings(tmp_path):
    return make_settings(tmp_path / "data", profile="lite")


@pytest.fixture
def client(api_settings):
    with local_client(create_app(api_settings)) as c:
        yield c


@contextmanager
def uvicorn_serving(app):
    """The app served by uvicorn on a free port of 127.0.0.1, in a thread; yields the base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory, report):
    """uvicorn serving the app on a free port, with the report ingested; (base URL, settings)."""
    import httpx

    settings = make_settings(tmp_path_factory.mktemp("served") / "data", profile="lite", api_keys=KEY)
    with uvicorn_serving(create_app(settings)) as base:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http:
            upload(http, ("report.pdf", report.read_bytes()))
        yield base, settings


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A data folder of the test's own for the command line (PAGESIGHT_DATA_DIR), run from the test's folder
    (no stray .env of the caller's), settings read afresh."""
    monkeypatch.setenv("PAGESIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()
