"""The remote answerer against an OpenAI-compatible server process started here on 127.0.0.1."""

import base64
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from pagesight.core.errors import GenerationError
from pagesight.generate.remote import RemoteVLMAnswerer

QUESTION = "How many ships did the keeper count?"
KEY = "sk-test-123"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stub")
    port_file, log = folder / "port", folder / "requests.jsonl"
    process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("openai_stub.py")), str(port_file),
                                str(log), KEY])
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text():
        assert process.poll() is None and time.monotonic() < deadline, "the stub server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port_file.read_text()}/v1", log
    process.kill()
    process.wait()


def requests(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def remote(url: str, model: str = "echo", **options) -> RemoteVLMAnswerer:
    options = {"api_key": KEY, "max_pixels": 50_000, "backoff_s": 0.01, **options}
    return RemoteVLMAnswerer(url, model, **options)


def test_streams_the_answer_keeps_valid_citations_and_sends_pages_as_data_urls(server, library):
    url, log = server
    evidence, ids = library
    pages = evidence(QUESTION, k=2)
    log.write_text("")
    *deltas, final = list(remote(url).stream(QUESTION, pages))
    assert deltas == ["The keeper counted ", "4217 ships", " [1].", " A page never given [7]."]
    assert final.text == "The keeper counted 4217 ships [1]. A page never given." and final.dropped_citations == ["[7]"]
    assert [(c.marker, c.doc_id, c.page) for c in final.citations] == [(1, pages[0].hit.doc_id, pages[0].hit.page)]

    (sent,) = requests(log)
    assert sent["path"] == "/v1/chat/completions" and sent["authorization"] == f"Bearer {KEY}"
    body = sent["body"]
    assert body["model"] == "echo" and body["stream"] is True and body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and system["content"].startswith("You answer questions using only")
    images = [p["image_url"]["url"] for p in user["content"] if p["type"] == "image_url"]
    assert len(images) == 2 and all(u.startswith("data:image/png;base64,") for u in images)
    image = Image.open(io.BytesIO(base64.b64decode(images[0].split(",", 1)[1])))
    assert image.width * image.height <= 50_000  # scaled to the pixel budget before sending
    assert user["content"][-1] == {"type": "text", "text": f"Question: {QUESTION}"}


def test_a_503_is_retried(server, library):
    url, log = server
    evidence, _ = library
    log.write_text("")
    answer = remote(url, "flaky").answer(QUESTION, evidence(QUESTION, k=1))
    assert answer.text.startswith("The keeper counted 4217 ships [1].")
    assert len(requests(log)) == 2


def test_a_wrong_key_is_a_clear_error_and_not_retried(server, library):
    url, log = server
    evidence, _ = library
    log.write_text("")
    with pytest.raises(GenerationError, match="answered 401: Incorrect API key provided"):
        remote(url, api_key="wrong").answer(QUESTION, evidence(QUESTION, k=1))
    assert len(requests(log)) == 1


def test_timeouts_and_unreachable_servers_are_clear_errors(server, library):
    url, _ = server
    evidence, _ = library
    pages = evidence(QUESTION, k=1)
    with pytest.raises(GenerationError, match=r"did not answer within 0.5 s \(2 attempts\)"):
        remote(url, "slow", timeout_s=0.5, retries=1).answer(QUESTION, pages)
    with pytest.raises(GenerationError, match="cannot reach the remote VLM at http://127.0.0.1:9/v1"):
        remote("http://127.0.0.1:9/v1", retries=0).answer(QUESTION, pages)
    with pytest.raises(GenerationError, match="sent an event that is not JSON"):
        remote(url, "garbled").answer(QUESTION, pages)
