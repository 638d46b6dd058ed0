"""Every route of the REST API, errors included, in-process."""

import json
from pathlib import Path

import pytest

from pagesight.api.server.app import create_app
from tests import docs
from tests.api.conftest import KEY, local_client, upload, wait_for_job
from tests.conftest import make_settings


def test_health_and_ready(client, report):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["profile"] == "lite" and ready["collections"] == []
    upload(client, ("report.pdf", report.read_bytes()))
    assert client.get("/ready").json()["collections"] == ["default"]


def test_upload_progress_list_images_and_delete(client, report, tmp_path):
    job = upload(client, ("report.pdf", report.read_bytes()), tags="annual, q3")
    (entry,) = job["files"]
    assert (entry["name"], entry["status"], entry["pages_done"], entry["pages_total"]) == (
        "report.pdf", "ingested", 6, 6)
    assert job["pages_done"] == job["pages_total"] == 6
    doc_id = entry["doc_id"]

    (listed,) = client.get("/v1/documents").json()
    assert (listed["id"], listed["file_name"], listed["pages"], listed["tags"]) == (
        doc_id, "report.pdf", 6, ["annual", "q3"])
    assert client.get(f"/v1/documents/{doc_id}").json()["file_name"] == "report.pdf"
    image = client.get(f"/v1/documents/{doc_id}/pages/1/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"
    thumb = client.get(f"/v1/documents/{doc_id}/pages/6/thumbnail")
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"

    assert client.delete(f"/v1/documents/{doc_id}").status_code == 204
    assert client.get(f"/v1/documents/{doc_id}").status_code == 404
    assert client.get("/v1/documents").json() == []


def test_a_bad_file_fails_alone_and_nothing_of_it_is_indexed(client, report):
    job = upload(client, ("notes.pdf", b"this is plain text, not a PDF"), ("report.pdf", report.read_bytes()),
                 ("empty.png", b""))
    by_name = {f["name"]: f for f in job["files"]}
    assert by_name["report.pdf"]["status"] == "ingested"
    assert by_name["notes.pdf"]["status"] == "failed" and "judged by its content" in by_name["notes.pdf"]["error"]
    assert by_name["empty.png"]["status"] == "failed" and "empty" in by_name["empty.png"]["error"]
    assert [d["file_name"] for d in client.get("/v1/documents").json()] == ["report.pdf"]


def test_uploaded_names_are_only_displayed_never_used_as_paths(client, api_settings, tmp_path):
    pdf = docs.simple_pdf(tmp_path / "x.pdf", ["escape attempt"]).read_bytes()
    job = upload(client, ("../../../outside.pdf", pdf), ("/etc/cron.d/evil.pdf", pdf),
                 ("a\x00b\u202e" + "n" * 300 + ".pdf", pdf))
    names = [f["name"] for f in job["files"]]
    assert names[0] == "outside.pdf" and names[1] == "evil.pdf"
    assert "\x00" not in names[2] and "\u202e" not in names[2] and len(names[2]) <= 200
    assert not (tmp_path / "outside.pdf").exists() and not list(tmp_path.parent.glob("outside.pdf"))
    assert list((api_settings.data_dir / "uploads").iterdir()) == []  # uploads removed once ingested


def test_bodies_over_the_limit_get_413_before_being_read(tmp_path):
    settings = make_settings(tmp_path / "data", profile="lite", max_upload_mb=0.01, max_picture_mb=0.5)
    with local_client(create_app(settings)) as client:
        big = client.post("/v1/documents", files=[("files", ("big.pdf", b"%PDF" + b"0" * 20_000, "application/pdf"))])
        assert big.status_code == 413 and "over the limit" in big.json()["detail"]

        def chunks(n: int):  # no Content-Length: the body is counted as it arrives
            for _ in range(n):
                yield b"x" * 1000

        chunked = client.post("/v1/conversations", content=chunks(1100), headers={"Content-Type": "application/json"})
        assert chunked.status_code == 413  # JSON bodies: 1 MiB
        # A question may carry a picture: 4/3 of PAGESIGHT_MAX_PICTURE_MB (base64) and 1 MiB, here 1.67 MiB.
        chunked_picture = client.post("/v1/search", content=chunks(1800), headers={"Content-Type": "application/json"})
        assert chunked_picture.status_code == 413
        chunked_upload = client.post("/v1/documents", content=chunks(20),
                                     headers={"Content-Type": "multipart/form-data; boundary=x"})
        assert chunked_upload.status_code == 413
        huge_json = client.post("/v1/search", json={"query": "x" * (2 << 20)})
        assert huge_json.status_code == 413
        assert client.get("/v1/documents").json() == []


def test_unknown_ids_and_bad_parameters(client, report):
    doc_id = upload(client, ("report.pdf", report.read_bytes()))["files"][0]["doc_id"]
    assert client.get("/v1/documents/" + "0" * 32).status_code == 404
    assert client.get("/v1/documents/..%2F..%2Fetc").status_code == 404
    assert client.delete("/v1/documents/" + "f" * 32).status_code == 404
    assert client.get("/v1/jobs/nope").status_code == 404
    assert client.get(f"/v1/documents/{doc_id}/pages/99/image").status_code == 404
    assert client.get(f"/v1/documents/{doc_id}/pages/0/image").status_code == 422
    assert client.get("/v1/documents", params={"collection": "../x"}).status_code == 422
    assert client.post("/v1/search", json={"query": "x", "pages": "a-b"}).status_code == 422
    assert client.post("/v1/search", json={"query": ""}).status_code == 422
    unknown = client.post("/v1/search", json={"query": "x", "documents": ["../etc"]})
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("no document matches '../etc'")
    assert client.post("/v1/search", json={"query": "x", "documents": ["x" * 201]}).status_code == 422
    assert [d["id"] for d in client.get("/v1/documents").json()] == [doc_id]  # nothing lost


def test_search_with_filters(client, report, tmp_path):
    report_id = upload(client, ("report.pdf", report.read_bytes()), tags="annual")["files"][0]["doc_id"]
    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["Memo: the lighthouse lamp needs a new wick."])
    memo_id = upload(client, ("memo.pdf", memo.read_bytes()), tags="memos")["files"][0]["doc_id"]
    found = client.post("/v1/search", json={"query": "How many ships did the keeper count?", "k": 3}).json()
    assert found["channels"] == ["text", "bm25"] and set(found["skipped"]) == {"visual", "figure"}
    assert (found["hits"][0]["doc_id"], found["hits"][0]["page"]) == (report_id, 1)
    memos = client.post("/v1/search", json={"query": "lighthouse", "tags": ["memos"]}).json()["hits"]
    assert {h["doc_id"] for h in memos} == {memo_id}
    later = client.post("/v1/search", json={"query": "lighthouse", "pages": "2-", "file": "report*"}).json()["hits"]
    assert later and all(h["doc_id"] == report_id and h["page"] >= 2 for h in later)


def test_answers_plain_and_streamed(client, report):
    doc_id = upload(client, ("report.pdf", report.read_bytes()))["files"][0]["doc_id"]
    question = "How many ships did the keeper count?"
    body = client.post("/v1/answer", json={"question": question}).json()
    assert body["answer"]["extractive"] and docs.FACT_TEXT in body["answer"]["text"]
    first = body["answer"]["citations"][0]
    assert (first["doc_id"], first["page"], first["page_width"]) == (doc_id, 1, 612)

    with client.stream("POST", "/v1/answer", json={"question": question, "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = [(block.split("\n")[0][len("event: "):], json.loads(block.split("\n")[1][len("data: "):]))
              for block in raw.strip().split("\n\n")]
    names = [name for name, _ in events]
    assert names[0] == "pages" and names[-2:] == ["citations", "done"] and set(names[1:-2]) == {"delta"}
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    citations = events[-2][1]
    assert streamed.strip() == citations["answer"]["text"]
    assert citations["citations"][0]["image_url"] == f"/v1/documents/{doc_id}/pages/1/image"
    assert "image_path" not in citations["citations"][0]  # server paths stay on the server


def test_chat_completions_and_models(client, report):
    upload(client, ("report.pdf", report.read_bytes()))
    assert client.get("/v1/models").json()["data"][0]["id"] == "default"
    reply = client.post("/v1/chat/completions", json={
        "model": "default", "temperature": 0.2,
        "messages": [{"role": "system", "content": "be brief"},
                     {"role": "user", "content": [{"type": "text", "text": "How many ships did the keeper count?"}]}],
    }).json()
    message = reply["choices"][0]["message"]
    assert reply["object"] == "chat.completion" and message["role"] == "assistant"
    assert docs.FACT_TEXT in message["content"] and reply["citations"][0]["page"] == 1
    assert client.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": [
        {"role": "user", "content": "hi"}]}).status_code == 404
    nothing = client.post("/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "hi"}]})
    assert "no question to answer" in nothing.json()["choices"][0]["message"]["content"]


ROUTES = [("GET", "/ready"), ("GET", "/v1/documents"), ("GET", "/v1/documents/" + "0" * 32),
          ("DELETE", "/v1/documents/" + "0" * 32), ("GET", "/v1/documents/" + "0" * 32 + "/pages/1"),
          ("GET", "/v1/documents/" + "0" * 32 + "/pages/1/image"),
          ("GET", "/v1/documents/" + "0" * 32 + "/pages/1/thumbnail"), ("GET", "/v1/jobs/x"),
          ("DELETE", "/v1/jobs/x"),
          ("POST", "/v1/search"), ("POST", "/v1/answer"), ("POST", "/v1/chat/completions"),
          ("GET", "/v1/models"), ("POST", "/v1/documents"), ("GET", "/v1/collections"),
          ("GET", "/v1/collections/default"), ("POST", "/v1/conversations"), ("GET", "/v1/conversations"),
          ("GET", "/v1/conversations/" + "0" * 32), ("PATCH", "/v1/conversations/" + "0" * 32),
          ("DELETE", "/v1/conversations/" + "0" * 32), ("POST", "/v1/conversations/" + "0" * 32 + "/messages")]
ADMIN_ROUTES = {("POST", "/v1/documents"), ("DELETE", "/v1/documents/" + "0" * 32), ("DELETE", "/v1/jobs/x")}


def test_api_keys_guard_every_route_but_health(tmp_path, report):
    settings = make_settings(tmp_path / "data", profile="lite", api_keys=f"other,{KEY}")
    app = create_app(settings)
    routes = list(ROUTES)
    schema_routes = {(m.upper(), p.replace("{ref}", "0" * 32).replace("{n}", "1").replace("{job_id}", "x")
                      .replace("{name}", "default").replace("{conversation_id}", "0" * 32))
                     for p, ops in app.openapi()["paths"].items() for m in ops if p != "/health"}
    assert schema_routes == set(routes)  # the list covers every route
    routes.append(("POST", "/mcp"))  # the MCP endpoint is not in the OpenAPI schema, and guarded the same
    with local_client(app) as client:
        assert client.get("/health").status_code == 200
        for method, path in routes:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
                response = client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, path, headers)
        authorised = {"Authorization": f"Bearer {KEY}"}
        assert client.get("/v1/documents", headers=authorised).status_code == 200
        assert client.get("/", headers={}).status_code == 200  # the static page: no data, asks for the key


def test_cors_is_closed_unless_configured(tmp_path):
    request = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    with local_client(create_app(make_settings(tmp_path / "a", profile="lite"))) as client:
        assert "access-control-allow-origin" not in client.options("/v1/search", headers=request).headers
    settings = make_settings(tmp_path / "b", profile="lite", cors_origins="https://app.example")
    with local_client(create_app(settings)) as client:
        allowed = client.options("/v1/search", headers={**request, "Origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert "access-control-allow-origin" not in client.options("/v1/search", headers=request).headers


@pytest.mark.parametrize(("path", "media", "holds"), [
    ("/", "text/html", "<title>PageSight</title>"),
    ("/static/app.js", "javascript", "/v1/conversations"),
    ("/static/style.css", "text/css", "body"),
])
def test_the_web_page_is_served(client, path, media, holds):
    response = client.get(path)
    assert response.status_code == 200 and media in response.headers["content-type"]
    assert holds in response.text


def test_nothing_is_written_outside_the_data_directory(client, api_settings, tmp_path, report):
    before = {p for p in tmp_path.rglob("*") if not p.is_relative_to(api_settings.data_dir)}
    doc_id = upload(client, ("../report.pdf", report.read_bytes()))["files"][0]["doc_id"]
    client.post("/v1/answer", json={"question": "ships"})
    after = {p for p in tmp_path.rglob("*") if not p.is_relative_to(api_settings.data_dir)}
    assert after == before
    # what was written is where it belongs: the document's pages under its collection
    pages = Path(api_settings.data_dir) / "collections" / "default" / "pages" / doc_id
    assert sorted(p.name for p in pages.glob("p????.jpg")) == [f"p{n:04d}.jpg" for n in range(1, 7)]


def test_failure_reasons_never_show_the_servers_upload_paths(client, api_settings):
    job = upload(client, ("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50))
    (entry,) = job["files"]
    assert entry["status"] == "failed" and entry["error"]
    assert str(api_settings.data_dir) not in entry["error"] and "uploads" not in entry["error"]
    assert "broken.pdf" in entry["error"]  # the name the user gave, in its place


def test_streamed_answers_and_chat_chunks_carry_only_checked_citations(tmp_path, report, openai_stub):
    """A remote VLM that cites [7], [1, 9] and [secret.pdf, page 4]: neither the answer's deltas nor
    the OpenAI-compatible chunks ever carry them, and the text streamed is the final text."""
    from tests.conftest import STUB_KEY

    url, _ = openai_stub
    settings = make_settings(tmp_path / "data", profile="lite", answerer="remote", remote_url=url,
                             remote_model="leaky", remote_api_key=STUB_KEY)
    with local_client(create_app(settings)) as client:
        upload(client, ("report.pdf", report.read_bytes()))
        question = {"question": "How many ships did the keeper count?", "stream": True}
        with client.stream("POST", "/v1/answer", json=question) as response:
            raw = "".join(response.iter_text())
        events = [(block.split("\n")[0][len("event: "):], json.loads(block.split("\n")[1][len("data: "):]))
                  for block in raw.strip().split("\n\n")]
        deltas = [data["text"] for name, data in events if name == "delta"]
        final = next(data for name, data in events if name == "citations")["answer"]
        assert "".join(deltas) == final["text"] == (
            "The keeper counted 4217 ships. The log agrees [1] and so does. Nothing else [2].")
        assert not any(bad in delta for delta in deltas for bad in ("7]", "9]", "secret.pdf"))
        assert sorted(final["dropped_citations"]) == ["[7]", "[9]", "[secret.pdf, page 4]"]

        chat = {"messages": [{"role": "user", "content": "How many ships did the keeper count?"}], "stream": True}
        with client.stream("POST", "/v1/chat/completions", json=chat) as response:
            lines = [line[6:] for line in response.iter_lines() if line.startswith("data: ") and "[DONE]" not in line]
        chunks = [json.loads(line) for line in lines]
        content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
        assert content == final["text"] and "secret" not in content and "7]" not in content


def test_a_read_key_reads_and_asks_and_a_key_keeps_to_its_collections(tmp_path, report):
    """Keys with roles (PAGESIGHT_API_KEYS entries KEY:ROLE[:COLLECTION|...]): a reader gets 403 on exactly the
    routes that upload or delete, and every other route as an admin does; a key limited to some collections
    is refused the others on every route that names one, and sees only its own listed."""
    admin, reader, papers = "admin-key-0123456789", "reader-key-0123456789", "papers-key-0123456789"
    settings = make_settings(tmp_path / "data", profile="lite",
                             api_keys=f"{admin}:admin, {reader}:read, {papers}:read:papers")
    with local_client(create_app(settings)) as client:
        as_admin = {"Authorization": f"Bearer {admin}"}
        for collection in ("default", "papers"):
            job = client.post("/v1/documents", files=[("files", ("report.pdf", report.read_bytes()))],
                              data={"collection": collection}, headers=as_admin).json()
            client.headers.update(as_admin)
            wait_for_job(client, job["id"])
        client.headers.clear()
        upload_file = [("files", ("memo.pdf", b"%PDF-1.4 not much"))]
        for method, path in ROUTES:
            for key in (admin, reader):
                extra = {"files": upload_file} if path == "/v1/documents" and method == "POST" else {}
                answer = client.request(method, path, headers={"Authorization": f"Bearer {key}"}, **extra)
                if key == reader and (method, path) in ADMIN_ROUTES:
                    assert answer.status_code == 403 and "not upload or delete" in answer.json()["detail"], path
                else:
                    assert answer.status_code != 403, (key[:6], method, path, answer.text)
        as_papers = {"Authorization": f"Bearer {papers}"}
        assert client.get("/v1/collections", headers=as_admin).json() == ["default", "papers"]
        assert client.get("/v1/collections", headers=as_papers).json() == ["papers"]
        assert [m["id"] for m in client.get("/v1/models", headers=as_papers).json()["data"]] == ["papers"]
        question = "How many ships did the keeper count?"
        refused = [client.post("/v1/search", json={"query": question}, headers=as_papers),
                   client.post("/v1/answer", json={"question": question}, headers=as_papers),
                   client.get("/v1/documents", headers=as_papers),
                   client.get("/v1/collections/default", headers=as_papers),
                   client.post("/v1/chat/completions", json={"model": "default", "messages": [
                       {"role": "user", "content": question}]}, headers=as_papers),
                   client.post("/v1/conversations", json={"collection": "default"}, headers=as_papers)]
        for answer in refused:
            assert answer.status_code in (403, 404), answer.text  # a model not its own is no model of its
            assert "default" not in answer.text or "may not use collection 'default'" in answer.text
        allowed = client.post("/v1/search", json={"query": question, "collection": "papers"}, headers=as_papers)
        assert allowed.status_code == 200 and allowed.json()["hits"][0]["file_name"] == "report.pdf"
        mcp = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "search", "arguments": {"query": question}}},
            headers={**as_papers, "Accept": "application/json, text/event-stream"})
        assert "may not use collection 'default'" in mcp.text
        mcp_papers = client.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "search", "arguments": {"query": question, "collection": "papers"}}},
            headers={**as_papers, "Accept": "application/json, text/event-stream"})
        assert mcp_papers.json()["result"]["structuredContent"]["hits"][0]["file_name"] == "report.pdf"
    with pytest.raises(ValueError, match="entry 2: write KEY, KEY:ROLE"):
        create_app(make_settings(tmp_path / "bad", profile="lite", api_keys=f"{admin}, {reader}:owner"))
