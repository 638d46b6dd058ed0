"""Attacks through the API: each answered with the right 4xx, and nothing written outside the data
directory (or left behind in it)."""

import pytest

from tests.api.conftest import upload


def files_outside(root, data_dir) -> set:
    return {p for p in root.rglob("*") if not p.is_relative_to(data_dir)}


MISSING_FILES = [{"type": "missing", "loc": ["body", "files"], "msg": "Field required", "input": None}]


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
