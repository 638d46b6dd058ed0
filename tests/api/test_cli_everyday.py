"""The command line as a user lives with it (issue: the first five minutes): one data folder whatever
the directory, ids by prefix or file name, output that survives a pipe, snippets that show the match,
no noise, and the basics (--version, info, models)."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pagesight.api.cli import app
from pagesight.core.settings import Settings, default_data_dir
from tests import docs
from tests.ingest.test_extract import scanned_pdf

pytestmark = pytest.mark.e2e  # the command line as child processes

runner = CliRunner()



def invoke(*args):
    return runner.invoke(app, list(args))


@pytest.fixture
def library(data_dir, tmp_path, report):
    """The report and a memo, ingested; their ids."""
    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["Memo: the lighthouse lamp needs a new wick."])
    result = invoke("ingest", str(report), str(memo), "--json")
    assert result.exit_code == 0, result.output
    return {o["path"].rsplit("/", 1)[1]: o["doc_id"] for o in json.loads(result.stdout)}


def test_the_data_folder_is_one_place_per_user_whatever_the_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("PAGESIGHT_DATA_DIR", raising=False)
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    here = Settings(_env_file=None).data_dir
    monkeypatch.chdir(second)
    assert Settings(_env_file=None).data_dir == here == default_data_dir()
    assert here.is_absolute() and "pagesight" in here.name


def test_a_missing_collection_says_where_it_looked(data_dir):
    result = invoke("search", "When was the telegraph cable laid across the Atlantic?")
    assert result.exit_code == 2
    assert f"collection 'default' does not exist in {data_dir}; ingest something first" in result.stderr
    listed = invoke("documents", "list")
    assert listed.exit_code == 0 and f"0 documents in 'default' ({data_dir})" in listed.stdout


def test_documents_by_printed_prefix_or_file_name_everywhere(library):
    report_id = library["report.pdf"]
    for ref in (report_id[:12], "report.pdf"):
        hits = json.loads(invoke("search", "lighthouse", "--doc", ref, "--json").stdout)["hits"]
        assert hits and {h["doc_id"] for h in hits} == {report_id}
    nothing = invoke("search", "lighthouse", "--doc", "nothing.pdf")
    assert nothing.exit_code == 2 and "no document matches 'nothing.pdf'" in nothing.stderr
    pattern = invoke("documents", "delete", "*.pdf")
    assert pattern.exit_code == 2 and "no document matches '*.pdf'" in pattern.stderr
    deleted = invoke("documents", "delete", "memo.pdf")
    assert deleted.exit_code == 0 and library["memo.pdf"] in deleted.stdout


def test_piped_output_never_wraps_paths_or_ids(library, data_dir):
    found = invoke("search", "How many ships did the keeper count?", "-k", "2")
    lines = found.stdout.splitlines()
    paths = [line.strip() for line in lines if line.strip().endswith(".jpg")]
    assert paths and all(path.startswith(str(data_dir)) for path in paths)  # whole, on one line each
    listed = invoke("documents", "list").stdout.splitlines()
    assert any(library["report.pdf"] in line and "report.pdf" in line for line in listed)  # a row a line
    assert "┃" not in "".join(listed) and "│" not in "".join(listed)  # no table drawing when piped


def test_search_shows_the_passage_that_matched_and_who_found_it(data_dir, tmp_path):
    notice = docs.simple_pdf(tmp_path / "notice.pdf", [
        "FEDERAL REGISTER Vol. 85, No. 160 Proposed Rules", "Airworthiness Directives; Helicopters",
        *["Background text about rotor inspections and the service bulletin history of the type."] * 6,
        "DATES: The FAA must receive comments on this proposed AD by September 21, 2020.",
        *["ADDRESSES: You may send comments by any of the following methods."] * 4])
    assert invoke("ingest", str(notice)).exit_code == 0
    found = invoke("search", "When must the FAA receive comments?", "-k", "1")
    assert found.exit_code == 0, found.output
    assert "FAA must receive comments" in found.stdout
    assert "found by " in found.stdout and "score" not in found.stdout
    hit = json.loads(invoke("search", "When must the FAA receive comments?", "-k", "1", "--json").stdout)["hits"][0]
    assert "score" in hit and "FAA must receive comments" in hit["text"]


def test_no_noise_tesseract_notes_stay_in_the_log_and_the_profile_is_said_once(data_dir, tmp_path):
    scan = scanned_pdf(tmp_path / "scan.pdf", [["Harbour log: forty ships."], ["."]])
    first = invoke("ingest", str(scan))
    assert first.exit_code == 0, first.output
    assert "profile: lite" in first.stderr  # a new collection: what will build it
    assert "cannot be recognized" not in first.output and "too small to scale" not in first.output
    again = invoke("search", "ships")
    assert "profile:" not in again.output
    assert "profile: lite" in invoke("-v", "search", "ships").stderr


def test_version_info_and_models(library, data_dir):
    from importlib.metadata import version

    assert invoke("--version").stdout.strip() == f"pagesight {version('pagesight')}"
    info = json.loads(invoke("info", "--json").stdout)
    assert info["data_dir"] == str(data_dir) and info["server"] is None
    (default,) = info["collections"]
    assert (default["name"], default["documents"], default["pages"]) == ("default", 2, 7)
    assert default["channels"] == ["text", "bm25"] and default["encoders"]["text"].startswith(
        "sentence-transformers/all-MiniLM-L6-v2")
    assert default["profile"] == "lite" and default["answerer"] == "extractive"
    shown = invoke("info").stdout
    assert f"data folder: {data_dir}" in shown and "server: none running" in shown
    models = json.loads(invoke("models", "list", "--json").stdout)["models"]
    qwen = next(m for m in models if m["model"] == "Qwen/Qwen2-VL-2B-Instruct")
    assert not qwen["on_disk"] and qwen["download_mb"] > 1000
    assert "about 4,500 MB to download" in invoke("models", "list").stdout


def test_models_pull_names_the_folder_it_fills(data_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from huggingface_hub import constants

    result = invoke("models", "pull", "full")
    assert result.exit_code == 2 and f"into {constants.HF_HUB_CACHE}" in result.stderr


def test_a_command_uses_the_server_running_on_its_data_folder(tmp_path, report):
    """With `pagesight serve` holding the folder, commands go to it rather than failing to open the store."""
    import os
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PAGESIGHT_DATA_DIR": str(tmp_path / "data"), "PAGESIGHT_PROFILE": "lite"}
    server = subprocess.Popen([sys.executable, "-m", "pagesight.api.cli", "serve", "--port", str(port)], env=env,
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=60).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.3)

        def cli(*args):
            return subprocess.run([sys.executable, "-m", "pagesight.api.cli", *args], env=env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=300)

        ingested = cli("-v", "ingest", str(report))
        assert ingested.returncode == 0, ingested.stderr
        assert f"using the server running on {tmp_path / 'data'}: http://127.0.0.1:{port}" in ingested.stderr
        found = cli("search", "How many ships did the keeper count?", "--json")
        assert found.returncode == 0 and json.loads(found.stdout)["hits"][0]["page"] == 1
        assert "open in another process" not in found.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (tmp_path / "data" / "server.json").exists()  # gone with the server


def test_a_non_utf8_argument_is_one_line_not_a_traceback(tmp_path):
    run = subprocess.run([sys.executable, "-m", "pagesight.api.cli", "search", b"caf\xe9"], capture_output=True,
                         timeout=60, cwd=tmp_path)
    assert run.returncode == 2 and b"Traceback" not in run.stderr
    assert run.stderr.decode().strip() == ("error: argument 2 (caf\\xe9) is not valid UTF-8 text; check the "
                                           "terminal's encoding")
