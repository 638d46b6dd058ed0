"""The `pagesight` command, called in-process through Typer's runner and once as a real process."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pagesight.api.cli import app
from pagesight.core.settings import get_settings
from tests import docs

runner = CliRunner()



def invoke(*args):
    return runner.invoke(app, list(args))


def test_help_does_not_load_heavy_libraries():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from pagesight.api.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0 and 'ingest' in result.output\n"
        "print(sorted(m for m in ('torch', 'transformers', 'pymupdf', 'numpy', 'qdrant_edge') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_ingest_then_list_search_and_delete(data_dir, tmp_path, report):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(report.read_bytes())
    docs.image_file(folder / "note.png", "PNG", ["Meeting note about the lighthouse lamp"])

    result = invoke("ingest", str(folder), "--tag", "demo", "--json")
    assert result.exit_code == 0, result.output
    outcomes = json.loads(result.stdout[result.stdout.index("["):])
    assert sorted((o["path"].rsplit("/", 1)[1], o["status"], o["pages"]) for o in outcomes) == [
        ("note.png", "ingested", 1), ("report.pdf", "ingested", 6),
    ]

    again = invoke("ingest", str(folder / "report.pdf"))
    assert again.exit_code == 0 and "unchanged" in again.stdout

    listed = invoke("documents", "list", "--json")
    documents = json.loads(listed.stdout)
    assert sorted((d["file_name"], d["pages"], d["tags"]) for d in documents) == [
        ("note.png", 1, ["demo"]), ("report.pdf", 6, ["demo"]),
    ]

    found = invoke("search", "How many ships did the lighthouse keeper count in 2023?", "-k", "2", "--json")
    assert found.exit_code == 0, found.output
    result = json.loads(found.stdout)
    assert result["channels"] == ["text", "bm25"] and set(result["skipped"]) == {"visual", "figure"}
    hits = result["hits"]
    assert (hits[0]["file_name"], hits[0]["page"]) == ("report.pdf", 1)
    assert {"text", "bm25"} <= set(hits[0]["channels"]) <= {"text", "bm25", "lead"}  # lead: BM25's clear lead

    only_note = json.loads(invoke("search", "lighthouse", "--file", "note.*", "--json").stdout)["hits"]
    assert {h["file_name"] for h in only_note} == {"note.png"}
    later_pages = json.loads(invoke("search", "lighthouse", "--pages", "2-", "--json").stdout)["hits"]
    assert later_pages and all(h["page"] >= 2 for h in later_pages)
    assert json.loads(invoke("search", "lighthouse", "--tag", "nope", "--json").stdout)["hits"] == []
    # a page the document named does not have is said, beside the pages nearest to the words
    past = invoke("search", "the lighthouse on page 9", "--doc", "report.pdf")
    assert past.exit_code == 0 and "not in these documents: page 9 (report.pdf has 6)" in past.stderr
    assert json.loads(invoke("search", "the lighthouse on page 4", "--doc", "report.pdf", "--json").stdout)[
        "hits"][0]["page"] == 4

    report_id = next(d["id"] for d in documents if d["file_name"] == "report.pdf")
    deleted = invoke("documents", "delete", report_id[:10])
    assert deleted.exit_code == 0 and "deleted" in deleted.stdout
    left = json.loads(invoke("documents", "list", "--json").stdout)
    assert [d["file_name"] for d in left] == ["note.png"]


def test_failed_files_are_listed_with_reasons_and_set_the_exit_code(data_dir, tmp_path, report):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7 garbage")
    result = invoke("ingest", str(bad), str(report), str(tmp_path / "missing.pdf"))
    assert result.exit_code == 1
    assert "1 ingested" in result.stdout and "2 failed" in result.stdout
    assert "broken.pdf" in result.stdout and "missing.pdf" in result.stdout
    assert "Traceback" not in result.output


def test_delete_of_an_unknown_id_is_a_clear_error(data_dir):
    result = invoke("documents", "delete", "0123456789")
    assert result.exit_code == 2
    assert "no document matches '0123456789'" in result.output


def test_a_bad_collection_name_is_refused(data_dir):
    result = invoke("documents", "list", "--collection", "../../etc")
    assert result.exit_code == 2
    assert "invalid collection name" in result.output
    assert not (data_dir.parent / "etc").exists()


def test_the_console_script_runs_as_a_process(data_dir):
    run = subprocess.run([sys.executable, "-m", "pagesight.api.cli", "documents", "list"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "0 documents" in run.stdout


def test_the_sample_document_answers_the_sample_question(data_dir, tmp_path):
    from pagesight.api.cli.sample import SAMPLE_QUESTION

    pdf = tmp_path / "sample.pdf"
    assert invoke("sample", str(pdf)).exit_code == 0
    assert invoke("ingest", str(pdf)).exit_code == 0
    found = invoke("search", SAMPLE_QUESTION, "--json")
    hits = json.loads(found.stdout)["hits"]
    assert (hits[0]["file_name"], hits[0]["page"]) == ("sample.pdf", 4)  # the scanned page, found through OCR
    assert "telegraph" in hits[0]["text"]
    # The same sample written again, anywhere, is the same document: a second demo adds no copy.
    again = tmp_path / "elsewhere" / "sample.pdf"
    assert invoke("sample", str(again)).exit_code == 0 and again.read_bytes() == pdf.read_bytes()
    assert "1 unchanged" in invoke("ingest", str(again)).stdout


def test_hostile_file_names_are_shown_as_text_not_markup_or_terminal_codes(data_dir, tmp_path, report):
    folder = tmp_path / "hostile["
    folder.mkdir()
    for name in ["[red]r.pdf", "b\x07\x1b[31mc.pdf"]:
        (folder / name).write_bytes(report.read_bytes() + name.encode())  # distinct bytes, distinct documents
    # A broken file whose path holds "[/]": shown as markup, its reason would crash the table.
    (folder / "]broken.pdf").write_bytes(b"%PDF-1.7 junk")
    files = [str(folder / name) for name in ("[red]r.pdf", "b\x07\x1b[31mc.pdf", "]broken.pdf")]
    result = invoke("ingest", *files)
    assert result.exit_code == 1, result.output
    assert "[red]r.pdf" in result.stdout and "2 ingested" in result.stdout and "1 failed" in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    listed = invoke("documents", "list")
    assert listed.exit_code == 0, listed.output
    assert "[red]r.pdf" in listed.stdout


def test_an_unreachable_qdrant_server_is_a_clear_error(data_dir, monkeypatch):
    monkeypatch.setenv("PAGESIGHT_QDRANT_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    result = invoke("documents", "list")
    assert result.exit_code == 2
    assert "cannot open collection 'default' on http://127.0.0.1:9" in result.output
    assert "Traceback" not in result.output


def test_models_list_says_what_is_on_disk_and_what_auto_takes(data_dir):
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["auto"] == "lite" and "not on disk" in report["why"]
    rows = {(m["profile"], m["role"]): m for m in report["models"]}
    assert rows[("lite", "text")]["on_disk"] and rows[("lite", "text")]["bytes"] > 50_000_000
    assert not rows[("full", "page")]["on_disk"] and rows[("full", "page")]["model"] == "vidore/colqwen2-v1.0"


def test_models_pull_fails_fast_and_clearly_without_a_network(data_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = invoke("models", "pull", "full")
    assert result.exit_code == 2
    assert "could not download 'vidore/colqwen2-v1.0'" in result.output
    assert "Traceback" not in result.output


def test_models_build_tiny_then_ingest_with_the_tiny_profile(data_dir, monkeypatch, tmp_path):
    assert invoke("models", "build-tiny").exit_code == 0
    assert (get_settings().model_dir() / "tiny" / "colqwen2" / "config.json").is_file()
    monkeypatch.setenv("PAGESIGHT_PROFILE", "tiny")
    monkeypatch.setenv("PAGESIGHT_MAX_VISUAL_TOKENS", "128")
    get_settings.cache_clear()
    pdf = docs.simple_pdf(tmp_path / "one.pdf", ["One page about tiny models."])
    result = invoke("ingest", str(pdf))
    assert result.exit_code == 0, result.output
    assert "profile: tiny (set by PAGESIGHT_PROFILE)" in result.output


def test_ask_streams_a_quoted_answer_then_its_citations(data_dir, report):
    assert invoke("ingest", str(report)).exit_code == 0
    result = invoke("ask", "How many ships did the keeper count?")
    assert result.exit_code == 0, result.output
    assert "answerer: extractive (the lite profile has no generator)" in result.stderr
    assert result.stdout.splitlines()[0] == f'"{docs.FACT_TEXT}" [1]'  # the answer first
    assert "citations" in result.stdout and "report.pdf" in result.stdout and "p0001.jpg" in result.stdout
    assert result.stderr.count("quoted from the pages, not generated") == 1  # said once, aside

    as_json = invoke("ask", "How many ships did the keeper count?", "--json")
    answer = json.loads(as_json.stdout)["answer"]
    assert answer["extractive"] and answer["citations"][0]["page"] == 1
    assert answer["citations"][0]["quote"] == docs.FACT_TEXT


def test_ask_with_a_remote_answerer_but_no_url_says_what_is_missing(data_dir, report):
    assert invoke("ingest", str(report)).exit_code == 0
    result = invoke("ask", "anything", "--answerer", "remote")
    assert result.exit_code == 2 and "PAGESIGHT_REMOTE_URL" in result.stderr
    assert invoke("ask", "anything", "--answerer", "oracle").exit_code == 2


def test_serve_answers_health_and_the_page(tmp_path):
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PAGESIGHT_DATA_DIR": str(tmp_path / "data"), "PAGESIGHT_PROFILE": "lite"}
    process = subprocess.Popen([sys.executable, "-m", "pagesight.api.cli", "serve", "--port", str(port)],
                               env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        assert "PageSight" in httpx.get(f"http://127.0.0.1:{port}/").text
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_page_read_through_the_server_as_through_the_data_folder(served):
    import httpx

    from pagesight.api.client import ServerClient
    from pagesight.core.errors import NotFound
    from tests.api.conftest import KEY

    base, _ = served
    with ServerClient(base, KEY) as client:
        view = client.page_view("report.pdf", 1)
        assert docs.FACT_TEXT in view.page.text and view.page.regions
        assert view.media_type == "image/jpeg" and view.image[:2] == b"\xff\xd8"
        with pytest.raises(NotFound, match="no page 99"):
            client.page_view("report.pdf", 99)
    raw = httpx.get(f"{base}/v1/documents/{view.document.id}/pages/1", headers={"Authorization": f"Bearer {KEY}"})
    assert raw.json()["image_url"] == f"/v1/documents/{view.document.id}/pages/1/image"
    assert "\"source\"" not in raw.text and str(served[1].data_dir) not in raw.text  # no server paths


def test_the_cli_talks_to_a_running_server(served, tmp_path, monkeypatch):
    from tests.api.conftest import KEY

    base, settings = served
    monkeypatch.setenv("PAGESIGHT_SERVER_API_KEY", KEY)
    get_settings.cache_clear()  # the key is a setting, read once a process
    listed = runner.invoke(app, ["--server", base, "documents", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [d["file_name"] for d in json.loads(listed.stdout)] == ["report.pdf"]

    found = json.loads(runner.invoke(app, ["--server", base, "search", "How many ships did the keeper count?",
                                           "--json"]).stdout)
    assert found["channels"] == ["text", "bm25"] and found["hits"][0]["page"] == 1

    asked = runner.invoke(app, ["--server", base, "ask", "How many ships did the keeper count?"])
    assert asked.exit_code == 0 and docs.FACT_TEXT in asked.stdout
    assert f"{base}/v1/documents/" in asked.stdout and "/pages/1/image" in asked.stdout

    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["Memo: the lamp needs a new wick."])
    ingested = runner.invoke(app, ["--server", base, "ingest", str(memo), "--json"])
    assert ingested.exit_code == 0, ingested.output
    (outcome,) = json.loads(ingested.stdout[ingested.stdout.index("["):])
    assert outcome["status"] == "ingested" and outcome["pages"] == 1
    deleted = runner.invoke(app, ["--server", base, "documents", "delete", outcome["doc_id"][:10]])
    assert deleted.exit_code == 0 and "memo.pdf" in deleted.stdout

    monkeypatch.setenv("PAGESIGHT_SERVER_API_KEY", "wrong")
    get_settings.cache_clear()
    refused = runner.invoke(app, ["--server", base, "documents", "list"])
    assert refused.exit_code == 2 and "wants an API key" in refused.stderr
    gone = runner.invoke(app, ["--server", "http://127.0.0.1:9", "documents", "list"])
    assert gone.exit_code == 2 and "cannot reach the PageSight server" in gone.stderr


def test_ingest_ends_by_building_indexes_and_index_optimize_does_it_on_demand(data_dir, report, monkeypatch):
    from pagesight.index.edge import EdgeStore

    calls = []
    # Only this data folder's builds: a server of another test of this module may build its own meanwhile.
    monkeypatch.setattr(EdgeStore, "optimize",
                        lambda self, cancel=None: calls.append(self.count()) if self.folder.is_relative_to(data_dir)
                        else None)
    assert invoke("ingest", str(report)).exit_code == 0
    assert len(calls) == 1 and calls[0] > 0  # after the document was written
    result = invoke("index", "optimize")
    assert result.exit_code == 0 and "optimised 'default' in" in result.output
    assert len(calls) == 2

    def no_room(self, cancel=None):
        raise RuntimeError("Not enough space available for optimization")

    monkeypatch.setattr(EdgeStore, "optimize", no_room)
    result = invoke("index", "optimize")
    assert result.exit_code == 2 and "not optimised: Not enough space" in result.output
    assert "report" in invoke("documents", "list").output  # nothing lost
    monkeypatch.setenv("PAGESIGHT_QDRANT_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    result = invoke("index", "optimize")
    assert result.exit_code == 0 and "optimises by itself" in result.output


@pytest.mark.e2e
def test_serve_with_an_unreachable_database_says_which_and_why_in_one_line(tmp_path):
    env = {**os.environ, "PAGESIGHT_DATA_DIR": str(tmp_path / "data"), "PAGESIGHT_PROFILE": "lite",
           "PAGESIGHT_DATABASE_URL": "postgresql://pagesight:hunter2@127.0.0.1:9/app"}
    done = subprocess.run([sys.executable, "-m", "pagesight.api.cli", "serve", "--port", "9"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "cannot open the database postgresql+psycopg://pagesight:***@127.0.0.1:9/app" in lines[0]
    assert "hunter2" not in done.stderr and "refused" in lines[0].lower()


@pytest.mark.e2e
def test_ctrl_c_during_an_ingest_stops_it_promptly_and_leaves_nothing_partial(tmp_path):
    import signal
    import time

    from pagesight.index.edge import EdgeStore

    folder = tmp_path / "slow"
    folder.mkdir()
    for n in range(4):  # ~0.5 s a page to read: a minute of work in all
        docs.amplified_pdf(folder / f"ledger{n}.pdf", pages=30 + n, content_mb=16)
    env = {**os.environ, "PAGESIGHT_DATA_DIR": str(tmp_path / "data"), "PAGESIGHT_PROFILE": "lite"}
    ingest = subprocess.Popen([sys.executable, "-m", "pagesight.api.cli", "ingest", str(folder)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    staging = tmp_path / "data" / "collections" / "default" / "staging"
    deadline = time.monotonic() + 120
    while not (staging.is_dir() and any(staging.rglob("*.jpg"))):  # pages are being read
        assert ingest.poll() is None and time.monotonic() < deadline, ingest.communicate()
        time.sleep(0.1)
    pressed = time.monotonic()
    os.killpg(ingest.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    out, err = ingest.communicate(timeout=60)
    took = time.monotonic() - pressed
    assert ingest.returncode == 130, err
    assert took < 10, f"{took:.1f} s to stop"  # the figure (2 s or less) is bench/reliability.py's
    assert "interrupted: stopping" in err and "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "cancelled" in out
    with EdgeStore(tmp_path / "data" / "collections" / "default", "default") as store:
        whole = {d.file_name: d.pages for d in store.documents()}
        assert store.count_state("pending") == 0
    assert all(pages == 30 + int(name[6]) for name, pages in whole.items()), whole  # each written whole or not
    assert len(whole) < 4
    assert not any(staging.rglob("*.jpg"))


def test_a_picture_that_is_missing_too_large_or_none_is_said_before_anything_runs(data_dir, tmp_path, monkeypatch):
    big = tmp_path / "big.png"
    with big.open("wb") as f:
        f.truncate(3 * 2**20)  # three megabytes of nothing, never read
    monkeypatch.setenv("PAGESIGHT_MAX_PICTURE_MB", "1")
    get_settings.cache_clear()
    done = invoke("search", "--image", str(big))
    assert done.exit_code == 2 and "the picture is 3.0 MB; the limit is 1 MB" in done.output
    missing = invoke("ask", "--image", str(tmp_path / "nothere.png"))
    assert missing.exit_code == 2 and "cannot read the picture" in missing.output
    nothing = invoke("ask")
    assert nothing.exit_code == 2 and "give a question, --image PICTURE, or both" in nothing.output
    assert not (data_dir / "collections").exists()  # nothing was opened for them
