"""Shared fixtures. Threads and the hub are set before anything imports numpy or torch."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

# One models folder for the whole run: the text model is exported to ONNX once, the tiny models built
# once, whatever data folder each test uses. Made by the process that starts the run; pytest-xdist's
# workers inherit it (their first uses of a model wait for each other: onnx_text.export_once).
if "PAGESIGHT_MODELS_DIR" not in os.environ:
    _MODELS = Path(tempfile.mkdtemp(prefix="pagesight-test-models-"))
    os.environ["PAGESIGHT_MODELS_DIR"] = str(_MODELS)
    atexit.register(shutil.rmtree, _MODELS, True)

import pytest  # noqa: E402

from pagesight.core.settings import Settings  # noqa: E402
from tests import docs  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
FINANCEBENCH = Path(__file__).resolve().parents[1].parent / "shared" / "devset" / "financebench"


def make_settings(data_dir: Path, **overrides) -> Settings:
    """Settings for a test: its own data directory, no .env file, no PAGESIGHT_ variables of the caller."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)


def extract_options(password: str | None = None, **overrides):
    """Extraction options from the default settings (with these changed), as an ingest builds them."""
    from pagesight.ingest.extract import ExtractOptions

    return ExtractOptions.from_settings(Settings(_env_file=None, **overrides), password=password)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path / "data")


STUB_KEY = "sk-test-123"


@pytest.fixture(scope="session")
def openai_stub(tmp_path_factory):
    """An OpenAI-compatible server process on 127.0.0.1 (tests/generate/openai_stub.py); (its /v1 URL,
    the log of the requests it got)."""
    import subprocess
    import sys
    import time

    folder = tmp_path_factory.mktemp("stub")
    port_file, log = folder / "port", folder / "requests.jsonl"
    stub = Path(__file__).parent / "generate" / "openai_stub.py"
    process = subprocess.Popen([sys.executable, str(stub), str(port_file), str(log), STUB_KEY])
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text():
        assert process.poll() is None and time.monotonic() < deadline, "the stub server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port_file.read_text()}/v1", log
    process.kill()
    process.wait()


@pytest.fixture(scope="session")
def text_encoder(tmp_path_factory):
    """The lite profile's text encoder as it ships: the packaged MiniLM on its default runtime."""
    from pagesight.index.profiles import default_text_runtime, load_text_encoder

    return load_text_encoder(make_settings(tmp_path_factory.mktemp("text")), default_text_runtime())


@pytest.fixture(scope="session")
def torch_text_encoder():
    """The same model on torch (sentence-transformers)."""
    import torch

    from pagesight.index.encoders import SentenceTransformerEncoder

    torch.set_num_threads(1)
    return SentenceTransformerEncoder()


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """Every tiny random model (page encoders, image encoders, generators), built once, offline."""
    from pagesight.index.tiny import build_tiny_models

    return build_tiny_models(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="session")
def report(tmp_path_factory) -> Path:
    return docs.report_pdf(tmp_path_factory.mktemp("docs") / "report.pdf")


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the real-world corpus is not here ({CORPUS}); it lives in the project's shared folder")
    return CORPUS


@pytest.fixture(scope="session")
def financebench() -> Path:
    if not (FINANCEBENCH / "questions_local_subset.jsonl").is_file():
        pytest.skip(f"the FinanceBench devset is not here ({FINANCEBENCH}); it lives in the project's shared folder")
    return FINANCEBENCH


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session (tests/postgres.py): its URL."""
    from tests.postgres import pg_bin, postgres_server

    bin_dir = pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; `make test` does)")
    with postgres_server(bin_dir) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database of each kind the app runs on."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}"
    import uuid

    from sqlalchemy import create_engine, text

    server = request.getfixturevalue("postgres")
    name = f"t{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


# ---- the suite's cost, on record: `make test` writes its slowest tests to docs/test-times.md ----------

def pytest_addoption(parser):
    parser.addoption("--times-file", default=None, help="write the run's 25 slowest tests and its total to this file")


_STARTED = pytest.StashKey[float]()  # when the run began


def pytest_sessionstart(session):
    import time

    session.config.stash[_STARTED] = time.monotonic()


def pytest_sessionfinish(session, exitstatus):
    import datetime
    import platform
    import time

    target = session.config.getoption("--times-file")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not target or reporter is None:
        return
    total = time.monotonic() - session.config.stash[_STARTED]
    times: dict[str, float] = {}
    for reports in reporter.stats.values():  # what the run reported, setup, call and teardown of each test
        for report in reports:
            if getattr(report, "when", None) in ("setup", "call", "teardown"):
                times[report.nodeid] = times.get(report.nodeid, 0.0) + report.duration
    if not times:  # nothing ran (--collect-only): the record stands
        return
    counts = {o: len(reporter.stats.get(o, [])) for o in ("passed", "failed", "skipped")}
    slowest = sorted(times.items(), key=lambda kv: -kv[1])[:25]
    lines = ["# The test suite's cost", "",
             f"Written by `make test` (tests/conftest.py) on {datetime.date.today()}: {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}. "
             f"{sum(counts.values())} tests in {total:.0f} s "
             f"({counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped; "
             f"the 25 slowest take {sum(t for _, t in slowest):.0f} s of it).", "",
             "| seconds | test (setup, call and teardown) |", "|---:|---|"]
    lines += [f"| {seconds:.1f} | `{nodeid}` |" for nodeid, seconds in slowest]
    Path(target).write_text("\n".join(lines) + "\n")
