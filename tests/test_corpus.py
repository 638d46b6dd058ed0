"""Every real-world PDF of ../shared/corpus either ingests or fails with a clear reason; none crashes.

Skipped with a reason when the corpus folder is absent. The files are never copied into the repo.
"""

from pathlib import Path

import pytest

from pagesight.api.pagesight import Models, PageSight
from pagesight.index.profiles import Encoders
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

# The hostile files and why they must be refused; every other file of the corpus must ingest.
EXPECTED_FAILURES = {
    "pdfplumber__empty.pdf": "empty",
    "ocrmypdf__invalid.pdf": "not a readable PDF",
    "pdfplumber__password-example.pdf": "encrypted",
    "docling__2206.01062_pg3.pdf": "encrypted",
    "ocrmypdf__hugemono.pdf": "decompression bomb",
}
PASSWORDS = {"pdfplumber__password-example.pdf": "test", "docling__2206.01062_pg3.pdf": "1234"}
WORKER_MEMORY_MB = 3072


@pytest.fixture(scope="module")
def ingested(corpus, tmp_path_factory, text_encoder):
    settings = make_settings(tmp_path_factory.mktemp("corpus") / "data", worker_memory_mb=WORKER_MEMORY_MB)
    with PageSight(settings=settings, models=Models(settings, Encoders("lite", text=text_encoder))) as sight:
        store = sight.store
        before_mb = reset_peak_rss()  # measure this ingestion, not what earlier tests of the session held
        files = sorted(corpus.glob("*.pdf"))
        outcomes = {o.path.rsplit("/", 1)[1]: o for o in sight.ingest(files)}
        with_passwords = {name: sight.ingest_file(corpus / name, password=pw) for name, pw in PASSWORDS.items()}
        worker_peak_mb = sight.models.extraction.peak_rss_mb
        main_growth_mb = status_mb("VmHWM") - before_mb
        yield store, outcomes, with_passwords, (main_growth_mb, worker_peak_mb)


def test_every_file_ingests_or_fails_with_its_reason(ingested, corpus):
    store, outcomes, *_ = ingested
    assert len(outcomes) == len(list(corpus.glob("*.pdf")))
    failed = {name: o.reason for name, o in outcomes.items() if o.status == "failed"}
    assert set(failed) == set(EXPECTED_FAILURES), failed
    for name, words in EXPECTED_FAILURES.items():
        assert words in failed[name], (name, failed[name])
    ingested_ids = {o.doc_id for o in outcomes.values() if o.status == "ingested"}
    assert {d.id for d in store.documents()} >= ingested_ids


def test_encrypted_files_open_with_their_passwords(ingested):
    _, _, with_passwords, _ = ingested
    assert {name: o.status for name, o in with_passwords.items()} == dict.fromkeys(PASSWORDS, "ingested")


def test_scans_are_ocred_and_hidden_layers_are_not_indexed(ingested):
    store, outcomes, *_ = ingested
    scan = store.pages(outcomes["docling__ocr_test.pdf"].doc_id)[0]
    assert scan.text_source == "ocr" and len(scan.text.split()) > 10
    invisible = store.pages(outcomes["docling__invisible_text_layer.pdf"].doc_id)[0]
    assert "Visible heading line" in invisible.text
    assert "Invisible OCR text layer" not in invisible.text and invisible.hidden_text_chars >= 24
    # The Federal Register prints its typesetting slug white on white: present in the file, not on the page.
    register = store.pages(outcomes["pdfplumber__federal-register-2020-17221.pdf"].doc_id)[0]
    assert "VerDate" not in register.text and register.hidden_text_chars > 0


def test_repaired_files_say_so(ingested):
    _, outcomes, *_ = ingested
    assert any("repaired" in w for w in outcomes["docling__nemotron_multipage.pdf"].warnings)


def test_the_poster_is_rendered_within_the_pixel_budget(ingested):
    store, outcomes, *_ = ingested
    poster = outcomes["ocrmypdf__poster.pdf"]
    assert poster.status == "ingested" and any("rendered at" in w for w in poster.warnings)
    page = store.pages(poster.doc_id)[0]
    assert page.image_width * page.image_height <= 25_000_000


def test_memory_stayed_under_the_caps(ingested):
    # The extraction workers are capped by RLIMIT_AS; their peak is read from /proc as they work
    # (not RUSAGE_CHILDREN, which would count every other subprocess the test session started).
    # This process holds the text model (loaded before) and the store: what ingesting the whole
    # corpus adds on top of what it held before stays bounded (pages are encoded and written a
    # document at a time, never the corpus at once).
    *_, (main_growth_mb, worker_peak_mb) = ingested
    assert 0 < worker_peak_mb < WORKER_MEMORY_MB, worker_peak_mb
    assert main_growth_mb < 1500, main_growth_mb


def reset_peak_rss() -> float:
    """Restart this process's resident high-water mark (Linux: write 5 to clear_refs); the RSS now."""
    Path("/proc/self/clear_refs").write_text("5")
    return status_mb("VmRSS")


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)
