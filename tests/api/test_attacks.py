"""Attacks through the API: each answered with the right 4xx, and nothing written outside the data
directory (or left behind in it)."""

import pytest

from tests.api.conftest import upload


def files_outside(root, data_dir) -> set:
    """Every path under `root` but outside `data_dir`, which is never walked: the server's background
    jobs add and remove their upload folders there while this runs."""
    import os
    from pathlib import Path

    found = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_relative_to(data_dir)]
        found.update(Path(folder) / name for name in dirs + files)
    return found


MISSING_FILES = [{"type": "missing", "loc": ["body", "files"], "msg": "Field required"}]


@pytest.mark.parametrize(("content_type", "status", "detail"), [
    ("multipart/form-data; boundary=" + "-" * 50_000, 400, "Invalid multipart data."),
    ("multipart/form-data; " + "a=b;" * 20_000 + " boundary=x", 422, MISSING_FILES),  # parsed: an empty form
    ("application/x-www-form-urlencoded; " + '!="\\' * 20_000, 422, MISSING_FILES),
    ("multipart/form-data", 400, "Missing boundary in multipart."),  # no boundary at all
])
def test_hostile_content_types_are_refused(client, content_type, status, detail):
    response = client.post("/v1/documents", content=b"--x--\r\n", headers={"Content-Type": content_type})
    assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert client.get("/v1/documents").json() == []


def test_thousands_of_multipart_parts_are_refused_and_nothing_is_kept(client, api_settings, tmp_path):
    before = files_outside(tmp_path, api_settings.data_dir)
    parts = [("files", (f"f{i}.pdf", b"%PDF-1.4", "application/pdf")) for i in range(2000)]
    response = client.post("/v1/documents", files=parts)
    assert response.status_code in (400, 413)
    fields = client.post("/v1/documents", files=[("files", ("a.pdf", b"%PDF", "application/pdf"))],
                         data={f"field{i}": "x" for i in range(3000)})
    assert fields.status_code in (400, 413)
    assert client.get("/v1/jobs/anything").status_code == 404
    uploads = api_settings.data_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert files_outside(tmp_path, api_settings.data_dir) == before


def test_more_files_than_allowed_in_one_upload_get_413(client):
    parts = [("files", (f"f{i}.pdf", b"%PDF-1.4", "application/pdf")) for i in range(101)]
    response = client.post("/v1/documents", files=parts)
    assert response.status_code == 413 and "at most 100" in response.json()["detail"]


@pytest.mark.parametrize("path", [
    "/v1/documents/..%2F..%2F..%2Fetc%2Fpasswd",
    "/v1/documents/%2e%2e",
    "/v1/documents/" + "a" * 32 + "/pages/1%2F..%2F..%2Fx/image",
    "/v1/documents/" + "a" * 32 + "/pages/-1/image",
    "/v1/documents/" + "a" * 32 + "/pages/1/image?collection=..%2F..%2Ftmp",
    "/v1/documents?collection=..",
    "/v1/documents?collection=%2Fetc",
    "/v1/jobs/..%2F..%2Fx",
    "/static/..%2F..%2Fapp.py",
    "/static/%2e%2e/%2e%2e/core/settings.py",
])
def test_path_traversal_through_every_parameter_goes_nowhere(client, path):
    response = client.get(path)
    assert response.status_code in (404, 422), (path, response.status_code)
    assert b"import" not in response.content and b"root:" not in response.content


def test_traversal_in_bodies_and_form_fields(client, api_settings, tmp_path, report):
    before = files_outside(tmp_path, api_settings.data_dir)
    assert client.post("/v1/search", json={"query": "x", "collection": "../../etc"}).status_code == 422
    upload(client, ("report.pdf", report.read_bytes()))
    globbed = client.post("/v1/answer", json={"question": "ships", "file": "../../*"})  # a glob of display names
    assert globbed.status_code == 200 and globbed.json()["pages"] == []  # which no file name matches
    assert globbed.json()["answer"]["citations"] == []
    bad = client.post("/v1/documents", files=[("files", ("r.pdf", report.read_bytes(), "application/pdf"))],
                      data={"collection": "../../outside"})
    assert bad.status_code == 422
    job = upload(client, ("../../../../tmp/evil.pdf", report.read_bytes()))
    assert job["files"][0]["name"] == "evil.pdf"
    assert files_outside(tmp_path, api_settings.data_dir) == before


def test_an_empty_ambiguous_or_pattern_document_id_deletes_nothing(client, report, tmp_path):
    from tests import docs

    first = upload(client, ("report.pdf", report.read_bytes()))["files"][0]["doc_id"]
    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["A memo."]).read_bytes()
    second = upload(client, ("memo.pdf", memo))["files"][0]["doc_id"]
    assert client.delete("/v1/documents/").status_code == 404
    assert client.delete("/v1/documents/%20").status_code == 404
    for pattern in ("*.pdf", "*", "report*", "?emo.pdf", "[rm]*"):
        assert client.delete(f"/v1/documents/{pattern}").status_code == 404, pattern  # a name, never a pattern
    client.delete(f"/v1/documents/{second}")
    assert client.delete("/v1/documents/*").status_code == 404  # not even the only document left
    assert [d["id"] for d in client.get("/v1/documents").json()] == [first]
    again = upload(client, ("report.pdf", memo))["files"][0]["doc_id"]  # another file of the same name
    ambiguous = client.delete("/v1/documents/report.pdf")
    assert ambiguous.status_code == 409 and "matches 2 documents" in ambiguous.json()["detail"]
    assert sorted(d["id"] for d in client.get("/v1/documents").json()) == sorted([first, again])


def test_the_cli_refuses_an_empty_id_locally_and_through_a_server(served, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from pagesight.api.cli import app
    from pagesight.core.settings import get_settings
    from tests.api.conftest import KEY

    base, _ = served
    monkeypatch.setenv("PAGESIGHT_SERVER_API_KEY", KEY)
    before = CliRunner().invoke(app, ["--server", base, "documents", "list", "--json"]).stdout
    remote = CliRunner().invoke(app, ["--server", base, "documents", "delete", ""])
    assert remote.exit_code == 2 and "no document given" in remote.stderr
    assert CliRunner().invoke(app, ["--server", base, "documents", "list", "--json"]).stdout == before
    monkeypatch.setenv("PAGESIGHT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        local = CliRunner().invoke(app, ["documents", "delete", "  "])
        assert local.exit_code == 2 and "no document given" in local.stderr
    finally:
        get_settings.cache_clear()


def test_asking_about_a_collection_registers_nothing(client, report):
    upload(client, ("report.pdf", report.read_bytes()))
    assert client.get("/v1/documents", params={"collection": "made-up"}).json() == []
    client.post("/v1/search", json={"query": "x", "collection": "another"})
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["default"]
    assert client.get("/v1/collections").json() == ["default"]


def test_responses_name_no_server_path(client, api_settings, report):
    upload(client, ("report.pdf", report.read_bytes()))
    root = str(api_settings.data_dir.resolve())
    replies = [client.get("/v1/documents"), client.post("/v1/search", json={"query": "ships"}),
               client.post("/v1/answer", json={"question": "How many ships did the keeper count?"}),
               client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "ships?"}]})]
    for reply in replies:
        assert reply.status_code == 200
        assert root not in reply.text and "/tmp/" not in reply.text, reply.text[:300]
    hit = replies[1].json()["hits"][0]
    assert hit["image_url"].startswith("/v1/documents/") and "image_path" not in hit
    assert "source" not in replies[0].json()[0]
    missing = [client.post("/v1/search", json={"query": "ships", "collection": "elsewhere"}),
               client.post("/v1/answer", json={"question": "ships?", "collection": "elsewhere"}),
               client.post("/v1/chat/completions", json={"model": "default", "messages": [
                   {"role": "user", "content": "ships?"}]}, params={"collection": "elsewhere"}),
               client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                   "name": "search", "arguments": {"query": "ships", "collection": "elsewhere"}}},
                   headers={"Accept": "application/json, text/event-stream"})]
    assert missing[0].status_code == missing[1].status_code == 404
    for reply in missing:
        assert root not in reply.text and "/tmp/" not in reply.text, reply.text[:300]
    assert "collection 'elsewhere' does not exist in this server" in missing[0].json()["detail"]
    assert "does not exist in this server" in missing[3].text


def test_the_api_docs_and_the_icon_are_open_the_data_behind_the_key(tmp_path):
    from pagesight.api.server.app import create_app
    from tests.api.conftest import KEY, local_client
    from tests.conftest import make_settings

    with local_client(create_app(make_settings(tmp_path / "a", profile="lite", api_keys=KEY))) as public:
        for path in ("/docs", "/redoc", "/openapi.json", "/favicon.ico", "/static/icon.svg"):
            assert public.get(path).status_code == 200, path
        assert public.get("/v1/documents").status_code == 401  # the data stays behind the key
    with local_client(create_app(make_settings(tmp_path / "b", profile="lite", api_keys=KEY,
                                             public_docs=False))) as closed:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert closed.get(path).status_code == 401, path
        assert closed.get("/openapi.json", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200


def test_upload_tags_and_every_list_a_request_carries_are_bounded(client, report):
    many = ",".join(f"t{i}" for i in range(100_000))  # 700 KB of tags
    refused = client.post("/v1/documents", files=[("files", ("r.pdf", report.read_bytes(), "application/pdf"))],
                          data={"tags": many})
    assert refused.status_code == 422 and "at most 32 a document" in refused.json()["detail"]
    long_tag = client.post("/v1/documents", files=[("files", ("r.pdf", report.read_bytes(), "application/pdf"))],
                           data={"tags": "x" * 65})
    assert long_tag.status_code == 422 and "1-64 characters" in long_tag.json()["detail"]
    assert client.get("/v1/documents").json() == []
    huge_message = {"messages": [{"role": "user", "content": "x" * 20_001}]}
    assert client.post("/v1/chat/completions", json=huge_message).status_code == 422
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}] * 51}]}
    assert client.post("/v1/chat/completions", json=parts).status_code == 422
    assert client.post("/v1/search", json={"query": "x", "tags": ["t"] * 33}).status_code == 422
    assert client.post("/v1/search", json={"query": "x", "documents": ["d"] * 101}).status_code == 422


def test_same_named_uploads_are_different_documents_unless_a_source_says_otherwise(client, tmp_path):
    from tests import docs

    files = [("files", ("minutes.pdf", docs.simple_pdf(tmp_path / f"m{i}.pdf", [f"Minutes of meeting {i}."])
                        .read_bytes(), "application/pdf")) for i in range(8)]
    response = client.post("/v1/documents", files=files)
    from tests.api.conftest import wait_for_job

    job = wait_for_job(client, response.json()["id"])
    assert [f["status"] for f in job["files"]] == ["ingested"] * 8
    assert len(client.get("/v1/documents").json()) == 8
    # names that clean down to nothing, and one name in two folders: still apart
    names = ["...", "\x00\x01", "q1/report.pdf", "q2/report.pdf"]
    odd = [("files", (name, docs.simple_pdf(tmp_path / f"o{i}.pdf", [f"Odd name {i}."]).read_bytes(),
                      "application/pdf")) for i, name in enumerate(names)]
    job = wait_for_job(client, client.post("/v1/documents", files=odd).json()["id"])
    assert [f["status"] for f in job["files"]] == ["ingested"] * 4
    assert len(client.get("/v1/documents").json()) == 12
    # an explicit source key: a changed version of the same source replaces it
    v1 = docs.simple_pdf(tmp_path / "v1.pdf", ["Budget version one."]).read_bytes()
    v2 = docs.simple_pdf(tmp_path / "v2.pdf", ["Budget version two."]).read_bytes()
    first = wait_for_job(client, client.post("/v1/documents", files=[("files", ("budget.pdf", v1, "application/pdf"))],
                                             data={"sources": "/home/ann/budget.pdf"}).json()["id"])
    second = wait_for_job(client, client.post("/v1/documents", files=[("files", ("budget.pdf", v2, "application/pdf"))],
                                              data={"sources": "/home/ann/budget.pdf"}).json()["id"])
    assert (first["files"][0]["status"], second["files"][0]["status"]) == ("ingested", "replaced")
    ids = [d["id"] for d in client.get("/v1/documents").json()]
    assert second["files"][0]["doc_id"] in ids and first["files"][0]["doc_id"] not in ids and len(ids) == 13
    mismatch = client.post("/v1/documents", files=[("files", ("a.pdf", v1, "application/pdf"))] * 2,
                           data={"sources": "/one/only.pdf"})
    assert mismatch.status_code == 422 and "1 sources for 2 files" in mismatch.json()["detail"]


def test_text_that_is_not_unicode_is_a_422_not_a_500(client):
    for path, body in [("/v1/search", b'{"query": "\\ud800"}'), ("/v1/answer", b'{"question": "x\\udfff"}'),
                       ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "\\ud800"}]}'),
                       ("/v1/search", b'{"query": "x", "tags": ["\\ud800"]}')]:
        reply = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 422, (path, reply.text)
        assert "not valid Unicode" in reply.text
    # a query string cannot carry one: what is not UTF-8 arrives as U+FFFD, a tag like any other
    assert client.get("/v1/documents/%ED%A0%80").status_code == 404


def test_a_page_of_another_site_can_neither_rebind_nor_post_to_a_server_without_keys(tmp_path, report):
    from pagesight.api.server.app import create_app
    from tests.api.conftest import LOCAL, local_client
    from tests.conftest import make_settings

    with local_client(create_app(make_settings(tmp_path / "a", profile="lite"))) as client:
        # DNS rebinding: the attacker's name resolved to 127.0.0.1, so the browser sends it as the Host.
        for method, path in (("GET", "/v1/documents"), ("DELETE", "/v1/documents/x"), ("POST", "/v1/search")):
            refused = client.request(method, path, headers={"Host": "rebind.attacker.example:8000"},
                                     json={"query": "x"} if method == "POST" else None)
            assert refused.status_code == 421, (method, path)
        # A form on another site posts an upload (no preflight needed): refused before the body is read.
        posted = client.post("/v1/documents", files=[("files", ("r.pdf", report.read_bytes(), "application/pdf"))],
                             headers={"Origin": "https://attacker.example"})
        assert posted.status_code == 403 and "another origin" in posted.json()["detail"]
        assert client.post("/v1/search", json={"query": "x"}, headers={"Origin": "null"}).status_code == 403
        assert client.get("/v1/documents").json() == []
        # The server's own page, and programs (no Origin), go on.
        own = upload(client, ("report.pdf", report.read_bytes()))
        assert own["files"][0]["status"] == "ingested"
        same = client.post("/v1/search", json={"query": "ships"}, headers={"Origin": LOCAL})
        assert same.status_code == 200 and same.json()["hits"]
        assert client.get("/v1/documents", headers={"Origin": "https://attacker.example"}).status_code == 200
    named = make_settings(tmp_path / "b", profile="lite", allowed_hosts="pagesight.internal")
    with local_client(create_app(named)) as client:
        assert client.get("/v1/documents", headers={"Host": "pagesight.internal:8000"}).status_code == 200
        assert client.get("/v1/documents", headers={"Host": "other.internal"}).status_code == 421
    with local_client(create_app(make_settings(tmp_path / "c", profile="lite"), bound="0.0.0.0")) as client:
        assert client.get("/v1/documents", headers={"Host": "10.1.2.3:8000"}).status_code == 200


def test_cors_preflights_are_answered_before_the_key_is_asked(tmp_path):
    from pagesight.api.server.app import create_app
    from tests.api.conftest import KEY, local_client
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "d", profile="lite", api_keys=KEY, cors_origins="https://app.example")
    with local_client(create_app(settings)) as client:
        preflight = client.options("/v1/search", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        keyed = client.post("/v1/search", json={"query": "x"}, headers={
            "Origin": "https://app.example", "Authorization": f"Bearer {KEY}"})
        assert keyed.status_code == 404 and keyed.headers["access-control-allow-origin"] == "https://app.example"
        keyless = client.post("/v1/search", json={"query": "x"}, headers={"Origin": "https://app.example"})
        assert keyless.status_code == 401
        stranger = client.options("/v1/search", headers={"Origin": "https://other.example",
                                                         "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in stranger.headers
