"""Reads racing deletes: a page image asked for while its document is deleted is sent whole, or
answered 404; never a 500, never a truncated file."""

import asyncio
import threading

import httpx

from pagesight.api.server.app import create_app
from pagesight.api.server.routes.documents import page_image
from tests.api.conftest import KEY, upload, uvicorn_serving
from tests.conftest import make_settings


def test_an_image_whose_document_is_deleted_while_it_is_sent_arrives_whole(client, report):
    """The exact window: the response is built, then the document is deleted, then it is sent."""
    doc_id = upload(client, ("report.pdf", report.read_bytes()))["files"][0]["doc_id"]
    expected = client.get(f"/v1/documents/{doc_id}/pages/2/image").content
    sight = client.app.state.service.sight()
    response = page_image(sight, doc_id, 2)
    sight.delete(doc_id)
    sent: list[dict] = []

    async def receive():  # the client stays: nothing more comes from it
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    asyncio.run(response({"type": "http", "method": "GET", "headers": []}, receive, send))
    assert sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in sent[1:]) == expected
    assert client.get(f"/v1/documents/{doc_id}/pages/2/image").status_code == 404  # and afterwards: gone


def test_many_reads_during_a_delete_get_the_whole_file_or_404(tmp_path, report):
    settings = make_settings(tmp_path / "data", profile="lite", api_keys=KEY)
    with uvicorn_serving(create_app(settings)) as base, httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as http:
        doc_id = upload(http, ("report.pdf", report.read_bytes()))["files"][0]["doc_id"]
        originals = {(n, kind): http.get(f"/v1/documents/{doc_id}/pages/{n}/{kind}").content
                     for n in range(1, 7) for kind in ("image", "thumbnail")}
        outcomes: list[tuple[int, bool]] = []
        stop = threading.Event()

        def read() -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as mine:
                i = 0
                while not stop.is_set() or i < 12:
                    n, kind = i % 6 + 1, ("image", "thumbnail")[i % 2]
                    r = mine.get(f"/v1/documents/{doc_id}/pages/{n}/{kind}")
                    outcomes.append((r.status_code, r.status_code != 200 or r.content == originals[(n, kind)]))
                    i += 1

        readers = [threading.Thread(target=read) for _ in range(4)]
        for t in readers:
            t.start()
        assert http.delete(f"/v1/documents/{doc_id}").status_code == 204
        stop.set()
        for t in readers:
            t.join(timeout=60)
        assert outcomes and {status for status, _ in outcomes} <= {200, 404}, outcomes
        assert all(whole for _, whole in outcomes)
        assert http.get(f"/v1/documents/{doc_id}/pages/1/image").status_code == 404
