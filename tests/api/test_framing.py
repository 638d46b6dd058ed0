"""Requests framed to get past the gate, sent byte by byte to a real uvicorn on 127.0.0.1: the key is
checked before any body is read, a body is counted as it is read whatever its headers say, and
a request with both Content-Length and Transfer-Encoding is refused."""

import json
import socket
import time
from urllib.parse import urlparse

import httpx
import pytest

from pagesight.api.server.app import create_app
from tests.api.conftest import KEY, uvicorn_serving
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e  # a uvicorn server spoken to over raw sockets

UPLOAD_MB = 1


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """A server with API keys and a 1 MB upload limit; (base URL, settings)."""
    settings = make_settings(tmp_path_factory.mktemp("gated") / "data", profile="lite", api_keys=KEY,
                             max_upload_mb=UPLOAD_MB)
    with uvicorn_serving(create_app(settings)) as base:
        yield base, settings


def raw(base: str, head: str, body_chunks=(), pause_s: float = 0.0, read_timeout: float = 30) -> tuple[int, bytes]:
    """Send a request as raw bytes (the head, then each chunk as given); (status, response body)."""
    url = urlparse(base)
    with socket.create_connection((url.hostname, url.port), timeout=read_timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
                time.sleep(pause_s)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the body was done: what these tests want
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 1 << 30


def chunked(payload: bytes, size: int = 1 << 16):
    for start in range(0, len(payload), size):
        piece = payload[start:start + size]
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def uploads_left(settings) -> list:
    folder = settings.data_dir / "uploads"
    return list(folder.rglob("*")) if folder.exists() else []


def test_content_length_and_transfer_encoding_together_are_refused(gated):
    base, settings = gated
    body = b"--x\r\n" + b"A" * (3 * UPLOAD_MB << 20)
    status, reply = raw(base, f"POST /v1/documents HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {KEY}\n"
                              "Content-Type: multipart/form-data; boundary=x\nContent-Length: 10\n"
                              "Transfer-Encoding: chunked\n", chunked(body))
    assert status == 400 and "not both" in json.loads(reply)["detail"]
    assert uploads_left(settings) == []
    status, reply = raw(base, f"POST /v1/search HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {KEY}\n"
                              "Content-Type: application/json\nContent-Length: 10\nTransfer-Encoding: chunked\n",
                        chunked(json.dumps({"query": "x" * (8 << 20)}).encode()))
    assert status == 400


def test_a_chunked_body_over_the_limit_is_counted_and_refused(gated):
    base, settings = gated
    upload = (b"--x\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.pdf\"\r\n"
              b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n" + b"0" * (3 * UPLOAD_MB << 20) + b"\r\n--x--\r\n")
    status, reply = raw(base, f"POST /v1/documents HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {KEY}\n"
                              "Content-Type: multipart/form-data; boundary=x\nTransfer-Encoding: chunked\n",
                        chunked(upload))
    assert status == 413 and "over the limit of 1,048,576 bytes" in json.loads(reply)["detail"]
    assert uploads_left(settings) == []
    status, _ = raw(base, f"POST /v1/conversations HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {KEY}\n"
                          "Content-Type: application/json\nTransfer-Encoding: chunked\n",
                    chunked(json.dumps({"title": "x" * (2 << 20)}).encode()))
    assert status == 413  # JSON bodies: 1 MiB (those that may carry a picture: tests/api/test_app.py)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as http:
        assert http.get("/v1/documents").json() == []


def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(gated):
    base, settings = gated
    declared = 300 << 20  # the server is told 300 MiB are coming; only the head is ever sent
    started = time.monotonic()
    status, reply = raw(base, "POST /v1/documents HTTP/1.1\nHost: 127.0.0.1\n"
                              "Content-Type: multipart/form-data; boundary=x\n"
                              f"Content-Length: {declared}\n", read_timeout=10)
    assert status == 401 and "API key" in json.loads(reply)["detail"]
    assert time.monotonic() - started < 5  # answered at once: it did not wait for the body
    assert uploads_left(settings) == []


def test_streamed_answers_work_with_a_chunked_request_body(served):
    base, _ = served

    def body():
        yield json.dumps({"question": "How many ships did the keeper count?", "stream": True}).encode()

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http:
        with http.stream("POST", "/v1/answer", content=body(), headers={"Content-Type": "application/json"}) as r:
            assert r.status_code == 200
            text = "".join(r.iter_text())
        assert "event: pages" in text and "event: citations" in text and text.rstrip().endswith("data: {}")
        chat = {"messages": [{"role": "user", "content": "How many ships did the keeper count?"}], "stream": True}
        with http.stream("POST", "/v1/chat/completions", content=iter([json.dumps(chat).encode()]),
                         headers={"Content-Type": "application/json"}) as r:
            assert r.status_code == 200
            assert "".join(r.iter_text()).rstrip().endswith("data: [DONE]")
