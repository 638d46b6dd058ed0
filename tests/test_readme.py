"""The README as a new user lives it: every command block and the Python example taken out of README.md
and run exactly as written, in a fresh folder with a fresh data folder, with the files the README names
(`report.pdf`, `scans/`), and checked on what they print:

- the quick start (`make demo`, then the commands after it; `make test`'s own arguments, collected);
- the everyday commands with no server, then with `pagesight serve` (the server block) running on the
  same data folder, without API keys and with them (set for the server only: the commands of the
  user running it need none);
- the Python example saved as a plain script (no main guard), without a server and with one holding the
  data folder;
- the assistant configuration (`pagesight mcp` as its JSON starts it), without a server and with one.

The one liberty taken: the server listens on a free port (`--port` added), and `make demo` writes its
sample into the test's folder (`DEMO=`). A README change that breaks a journey fails here.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx
import pytest

from tests import docs
from tests.ingest.test_extract import scanned_pdf

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the environment the tests run in: pagesight is on its PATH
KEYS = "journey-key-1,journey-key-2"


def blocks() -> list[tuple[str, str, str]]:
    """Every fenced block of the README: (the heading it stands under, its language, its text)."""
    found, heading = [], ""
    lines = iter(README.read_text().splitlines())
    for line in lines:
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("```"):
            language, body = line[3:].strip(), []
            for inner in lines:
                if inner.startswith("```"):
                    break
                body.append(inner)
            found.append((heading, language, "\n".join(body)))
    return found


def block(heading: str, language: str, index: int = 0) -> str:
    return [text for h, lang, text in blocks() if h == heading and lang == language][index]


def commands(text: str) -> list[str]:
    """A bash block's commands, a line each, without their comments."""
    return [line.split("  #", 1)[0].strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


JOURNEYS = {("Quick start", "bash", 0), ("Quick start", "bash", 1), ("Everyday use", "bash", 0),
            ("Documents and questions in French", "bash", 0), ("Ask with a picture", "bash", 0),
            ("The Python API", "python", 0), ("The server", "bash", 0), ("Assistants (MCP)", "json", 0)}


def test_every_block_of_the_readme_is_a_journey_here():
    seen: dict[tuple[str, str], int] = {}
    found = set()
    for heading, language, _ in blocks():
        index = seen.get((heading, language), 0)
        seen[(heading, language)] = index + 1
        found.add((heading, language, index))
    assert found == JOURNEYS, "a README block without a journey in this module, or a journey without its block"


# ---- a new user's folder and processes --------------------------------------------------------------


@pytest.fixture
def home(tmp_path) -> Path:
    """A working folder with the files the README names, and a data folder of its own (empty)."""
    work = tmp_path / "work"
    (work / "scans").mkdir(parents=True)
    docs.report_pdf(work / "report.pdf")
    scanned_pdf(work / "scans" / "harbour-log.pdf", [["Harbour log: the pier was rebuilt in 1822."]])
    return work


def environment(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGESIGHT_") or k == "PAGESIGHT_MODELS_DIR"}
    return env | {"PAGESIGHT_DATA_DIR": str(data), "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"} | extra


def run(command: str, cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"`{command}` exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(cwd: Path, env: dict[str, str]):
    """The server block's command, on a free port, until the block ends; its URL."""
    (line,) = commands(block("The server", "bash"))
    port = free_port()
    process = subprocess.Popen(shlex.split(line) + ["--port", str(port)], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


# ---- the journeys -----------------------------------------------------------------------------------


def test_quick_start(tmp_path):
    if not (ROOT / ".venv" / "bin" / "pagesight").exists():
        pytest.skip("make demo uses the project's .venv, which `make test` sets up")
    data = tmp_path / "data"
    env = environment(data)
    first, after = commands(block("Quick start", "bash", 0)), commands(block("Quick start", "bash", 1))
    assert first == ["make demo", "make test"]  # the second is what runs this suite
    demo = run(f"make demo DEMO={tmp_path / 'pagesight-demo'}", ROOT, env, timeout=1200).stdout
    assert "telegraph" in demo.lower() and "page 4" in demo
    outputs = [run(command, ROOT, env).stdout for command in after]  # `source .venv/bin/activate` first
    joined = "\n".join(outputs)
    assert f"data folder: {data}" in joined and "sample.pdf" in joined
    assert "1858" in outputs[-1] and "sample.pdf, page 4" in outputs[-1]


@pytest.mark.parametrize("target", ["test", "test-fast"])
def test_the_second_command_make_test_is_an_invocation_pytest_accepts(target):
    """`make test` runs this suite, so it is never run here whole: its recipe's pytest arguments are, for
    collection (and `make test-fast`'s, which the README names too: on every core, with pytest-xdist).
    An option's value given as a separate word naming an existing file ("--times-file
    docs/test-times.md") is taken by pytest's first pass for a test path: the suite's conftest, which
    defines the option, is then never loaded and the run stops with "unrecognized arguments" on a fresh
    clone, where that file is committed."""
    recipe = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    (line,) = [ln.strip() for ln in recipe.splitlines() if "-m pytest" in ln]
    assert (ROOT / "docs" / "test-times.md").exists()  # what made the first pass take it for a test path
    collected = subprocess.run([*shlex.split(line.replace("$(PY)", sys.executable)), "--collect-only", "-q"],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]


def everyday(home: Path, env: dict[str, str]) -> dict[str, str]:
    """The everyday block, command by command: what each printed."""
    printed = {}
    for command in commands(block("Everyday use", "bash")):
        done = run(command, home, env)
        printed[command.split('"')[0].strip()] = done.stdout + done.stderr
    return printed


def check_everyday(printed: dict[str, str]) -> None:
    ingested = printed["pagesight ingest report.pdf scans/ --tag q3"]
    assert "2 ingested" in ingested and "report.pdf" in ingested and "harbour-log.pdf" in ingested
    listed = printed["pagesight documents list --tag q3"]
    assert "report.pdf" in listed and "harbour-log.pdf" in listed
    found = printed["pagesight search"]
    assert "1. report.pdf, page 2" in found  # the revenue table
    asked = printed["pagesight ask"]
    assert asked.startswith("North, Revenue: 1200 [1]"), asked  # the first line answers: the row and column named
    assert "report.pdf, page 2" in asked and "citations" in asked
    assert "Traceback" not in "".join(printed.values())
    assert "deleted" in printed["pagesight documents delete report.pdf"]


def test_everyday_use_without_a_server(home, tmp_path):
    printed = everyday(home, environment(tmp_path / "data"))
    check_everyday(printed)
    assert "server: none running on this data folder" in printed["pagesight info"]


@pytest.mark.parametrize("keys", [None, KEYS], ids=["no keys", "keys"])
def test_everyday_use_with_the_server_running_on_the_same_data_folder(home, tmp_path, keys):
    data = tmp_path / "data"
    server_env = environment(data, **({"PAGESIGHT_API_KEYS": keys} if keys else {}))
    with serving(home, server_env) as url:
        printed = everyday(home, environment(data))  # the commands' own shell: no key of any kind
        check_everyday(printed)
        assert f"server: {url}" in printed["pagesight info"]
        assert f"{url}/v1/documents/" in printed["pagesight ask"]  # the citations' images, on the server
        if keys:
            assert httpx.get(f"{url}/v1/documents").status_code == 401  # the others still need a key


RAPPORT = ["Rapport annuel 2019.", "Le chiffre d'affaires a atteint 1 234,5 millions d'euros en 2019,",
           "en hausse de 8 % grâce à la croissance en Asie.", "La marge opérationnelle s'établit à 12 %."]


def test_documents_and_questions_in_french(home, tmp_path):
    docs.simple_pdf(home / "rapport.pdf", RAPPORT)
    from tests.ingest.test_layout import scan_of

    page = docs.simple_pdf(tmp_path / "pv.pdf", ["Procès-verbal : la séance a été levée à 18 h."])
    scan_of(page, home / "scans" / "procès-verbal.pdf")  # an image of the page, no text layer
    env = environment(tmp_path / "data") | {"LANG": "C.UTF-8"}
    printed = {line: run(line, home, env).stdout for line in commands(block("Documents and questions in French",
                                                                             "bash"))}
    ingest_first, ingest_scans, ask, info = printed.values()
    assert "ingested" in ingest_first and "rapport.pdf" in ingest_first, ingest_first
    assert "2 ingested, 0 replaced, 0 unchanged, 0 failed" in ingest_scans, ingest_scans
    assert "Le chiffre d'affaires a atteint 1 234,5 millions d'euros en 2019" in ask, ask
    assert "multilingual-e5-small" in info and "rapports" in info, info
    with_accents = run("pagesight search 'séance levée' --collection rapports --json", home, env).stdout
    assert "la séance a été levée" in with_accents, with_accents  # the scan read in French kept its accents


def screenshot(pdf: Path, out: Path, number: int = 2) -> Path:
    """What a user grabs from a screen: the top half of a page, at a screen's 96 dpi."""
    import pymupdf

    with pymupdf.open(pdf) as doc:
        page = doc[number - 1]
        page.get_pixmap(dpi=96, clip=pymupdf.Rect(0, 0, page.rect.width, page.rect.height / 2)).save(out)
    return out


@pytest.mark.parametrize("server", [False, True], ids=["alone", "server running"])
def test_ask_with_a_picture(home, tmp_path, server):
    screenshot(home / "report.pdf", home / "shot.png")
    data = tmp_path / "data"
    with serving(home, environment(data, PAGESIGHT_API_KEYS=KEYS)) if server else nullcontext():
        printed = {line.split(" ")[1]: run(line, home, environment(data))
                   for line in commands(block("Ask with a picture", "bash"))}
    assert "1 ingested" in printed["ingest"].stdout
    found = printed["search"]
    assert found.stdout.startswith("1. report.pdf, page 2"), found.stdout  # the page the screenshot shows
    assert "100% of them on the best page" in found.stderr
    assert printed["ask"].stdout.startswith("North, Revenue: 1200 [1]"), printed["ask"].stdout
    cat = tmp_path / "cat.png"
    from PIL import Image

    Image.new("RGB", (300, 200), (200, 120, 40)).save(cat)
    nothing = run(f"pagesight ask --image {cat}", home, environment(data)).stdout
    assert nothing.startswith("Not in these documents: the picture matches no page"), nothing
    refused = subprocess.run(["bash", "-c", "pagesight search --image report.pdf"], cwd=home, env=environment(data),
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert refused.returncode != 0 and "not a picture" in refused.stderr and "Traceback" not in refused.stderr


def example_output(home: Path, env: dict[str, str]) -> str:
    script = home / "example.py"
    script.write_text(block("The Python API", "python"))  # as written: no main guard
    done = subprocess.run([sys.executable, str(script)], cwd=home, env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return done.stdout


def check_example(printed: str) -> None:
    lines = printed.splitlines()
    assert any(re.match(r"ingested .*report\.pdf 6$", line) for line in lines), printed
    assert any(re.match(r"ingested .*harbour-log\.pdf 1$", line) for line in lines), printed
    assert any(line.startswith("report.pdf 2 ") for line in lines), printed  # the revenue table, by region
    assert "1200" in printed and re.search(r"^1 report\.pdf 2 \(", printed, re.MULTILINE), printed


def test_the_python_example_as_a_plain_script(home, tmp_path):
    # A new user's first script: nothing exported yet (the text model is exported on first use, in a child
    # process that must not run the script again).
    check_example(example_output(home, environment(tmp_path / "data", PAGESIGHT_MODELS_DIR=str(tmp_path / "m"))))


def test_the_python_example_with_a_server_holding_the_data_folder(home, tmp_path):
    data = tmp_path / "data"
    with serving(home, environment(data, PAGESIGHT_API_KEYS=KEYS)):  # PageSight() could not open it now
        check_example(example_output(home, environment(data)))


@pytest.mark.parametrize("server", [False, True], ids=["data folder", "server with keys"])
def test_the_assistant_configuration(home, tmp_path, server):
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    data = tmp_path / "data"
    run("pagesight ingest report.pdf", home, environment(data))
    configured = json.loads(block("Assistants (MCP)", "json"))["mcpServers"]["pagesight"]
    env = environment(data) | {k: str(data) if k == "PAGESIGHT_DATA_DIR" else v
                               for k, v in configured["env"].items()}

    async def ask() -> tuple[set[str], dict]:
        params = StdioServerParameters(command=configured["command"], args=configured["args"], env=env, cwd=home)
        async with Client(params, read_timeout_seconds=240) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            found = await client.call_tool("search", {"query": "revenue in the north region", "k": 2})
            return tools, found

    if server:
        with serving(home, environment(data, PAGESIGHT_API_KEYS=KEYS)):
            tools, found = asyncio.run(ask())
    else:
        tools, found = asyncio.run(ask())
    assert {"search", "ask", "list_documents", "get_page"} <= tools
    assert not found.is_error, found.content
    first = found.structured_content["hits"][0]
    assert (first["file_name"], first["page"]) == ("report.pdf", 2)
