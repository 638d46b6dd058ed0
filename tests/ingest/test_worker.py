"""The extraction child: results come back, errors keep their type, hangs and bombs kill only the child."""

from pathlib import Path

import pymupdf
import pytest

from pagesight.core.errors import EncryptedDocument, ExtractionCrashed, IngestTimeout, PageTooLarge
from pagesight.ingest import extract
from pagesight.ingest.worker import ExtractionWorker
from tests import docs
from tests.conftest import extract_options


def test_extraction_in_the_child_returns_pages(tmp_path, report):
    with ExtractionWorker() as worker:
        result = worker.run(report, "application/pdf", tmp_path / "out", extract_options(), timeout=120)
        assert len(result.pages) == 6
        assert (tmp_path / "out" / result.pages[0].image).is_file()
        child = worker.pid
        # the same child serves the next file
        worker.run(report, "application/pdf", tmp_path / "out2", extract_options(), timeout=120)
        assert worker.pid == child is not None


def test_the_child_does_not_load_pymupdfs_layout_model(tmp_path, report):
    """PyMuPDF 2 loads an ONNX layout model on import, which extraction never uses: the child declines it
    (0.5 s and about 60 MB of every child here). Its pages read the same as in this process, which has it."""
    with ExtractionWorker() as worker:
        result = worker.run(report, "application/pdf", tmp_path / "out", extract_options(), timeout=120)
        assert "onnxruntime" not in Path(f"/proc/{worker.pid}/maps").read_text()
    here = extract(report, "application/pdf", tmp_path / "here", extract_options())
    assert [p.text for p in result.pages] == [p.text for p in here.pages]


def test_a_file_rewritten_at_the_same_path_is_read_as_it_is_now(tmp_path):
    """The child keeps the file it opened last for the next job; a file changed since (a user saving a new
    version under the same name) is read again, whether the next job opens it or asks for its pages."""
    path = tmp_path / "minutes.pdf"
    options = extract_options()
    with ExtractionWorker() as worker:
        docs.simple_pdf(path, ["Minutes: the board approved the blue logo."])
        assert "blue logo" in worker.run(path, "application/pdf", tmp_path / "a", options, timeout=60).pages[0].text
        docs.simple_pdf(path, ["Minutes: the board approved the green logo.", "A second line."])
        assert "green logo" in worker.run(path, "application/pdf", tmp_path / "b", options, timeout=60).pages[0].text
        docs.simple_pdf(path, ["Minutes: the board approved the red logo, after a long debate."])
        pages, _ = worker.pages(path, "application/pdf", options, tmp_path / "c", 1, 1, timeout=60)
        assert "red logo" in pages[0].text


def test_errors_cross_the_process_boundary_with_their_type_and_file(tmp_path):
    path = docs.encrypted_pdf(tmp_path / "locked.pdf")
    with ExtractionWorker() as worker, pytest.raises(EncryptedDocument) as info:
        worker.run(path, "application/pdf", tmp_path / "out", extract_options(), timeout=60)
    assert info.value.path == str(path)
    assert "encrypted" in info.value.reason


def test_a_file_over_the_time_limit_kills_the_child_and_the_next_file_gets_a_new_one(tmp_path, report):
    with ExtractionWorker() as worker:
        with pytest.raises(IngestTimeout, match="longer than the limit"):
            worker.run(report, "application/pdf", tmp_path / "slow", extract_options(), timeout=0.01)
        assert worker.pid is None
        result = worker.run(report, "application/pdf", tmp_path / "ok", extract_options(), timeout=120)
        assert len(result.pages) == 6


def test_a_memory_bomb_is_stopped_by_the_cap_and_reported(tmp_path):
    # A page whose render needs ~0.7 GB at once against a 1 GB cap on the child, which spends ~0.5 GB
    # of address space on its libraries (MuPDF refuses still larger pixmaps by itself: see the next test).
    doc = pymupdf.open()
    page = doc.new_page(width=7200, height=7200)
    page.insert_text((100, 100), "bomb", fontsize=40)
    doc.save(tmp_path / "bomb.pdf")
    options = extract_options(max_page_pixels=2_000_000_000, render_dpi=150)
    with ExtractionWorker(memory_mb=1000) as worker:
        with pytest.raises(ExtractionCrashed, match=r"ran out of memory \(cap 1000 MB\)"):
            worker.run(tmp_path / "bomb.pdf", "application/pdf", tmp_path / "out", options, timeout=120)
        # this process is fine and the worker still works
        small = docs.simple_pdf(tmp_path / "small.pdf", ["still alive"])
        result = worker.run(small, "application/pdf", tmp_path / "o2", extract_options(), 60)
        assert "still alive" in result.pages[0].text


def test_a_pixmap_beyond_mupdfs_own_limit_is_a_page_too_large(tmp_path):
    doc = pymupdf.open()
    doc.new_page(width=7200, height=7200)
    doc.save(tmp_path / "huge.pdf")
    options = extract_options(max_page_pixels=2_000_000_000, render_dpi=300)
    with ExtractionWorker() as worker, pytest.raises(PageTooLarge, match="beyond MuPDF's limits"):
        worker.run(tmp_path / "huge.pdf", "application/pdf", tmp_path / "out", options, timeout=120)


def _rss_mb(pid: int) -> float:
    from pagesight.ingest.worker import _rss_mb

    return _rss_mb(pid)


def test_pages_without_a_text_layer_leave_no_memory_behind(tmp_path):
    # Each such page is rendered at the OCR resolution and made smaller for its image: MuPDF's scaling
    # constructor kept ~5.7 MB a letter page, so a worker hit its cap after ~450 pages.
    # 60 pages are measured, after 20 that let the allocator settle: a leak of that size would grow the
    # worker by ~340 MB, against 60 allowed.
    path = docs.blank_pdf(tmp_path / "blank.pdf", 80)
    with ExtractionWorker(recycle_pages=10_000, recycle_mb=10_000) as worker:
        worker.pages(path, "application/pdf", extract_options(), tmp_path / "a", 1, 20, 120)
        settled = _rss_mb(worker.pid)
        worker.pages(path, "application/pdf", extract_options(), tmp_path / "b", 21, 80, 120)
        assert worker.recycled == 0
        grown = _rss_mb(worker.pid) - settled
    assert grown < 60, f"the worker grew {grown:.0f} MB over 60 blank pages"


def test_a_worker_is_replaced_after_its_share_of_pages_and_reads_on(tmp_path):
    path = docs.pages_pdf(tmp_path / "ten.pdf", [[f"Page {n} of the ledger."] for n in range(1, 11)])
    with ExtractionWorker(recycle_pages=4) as worker:
        first = worker.pages(path, "application/pdf", extract_options(), tmp_path / "o", 1, 4, 120)[0]
        assert worker.recycled == 1 and worker.pid is None  # gone between jobs, not in the middle of one
        rest = worker.pages(path, "application/pdf", extract_options(), tmp_path / "o", 5, 10, 120)[0]
        assert worker.recycled == 2
    assert [p.number for p in first + rest] == list(range(1, 11))
    assert all(f"Page {p.number} of the ledger" in p.text for p in first + rest)


def test_a_worker_over_its_memory_mark_is_replaced_before_the_next_file(tmp_path, report):
    with ExtractionWorker(recycle_mb=64) as worker:  # every child holds more than 64 MB after a job
        worker.run(report, "application/pdf", tmp_path / "a", extract_options(), timeout=120)
        assert worker.recycled == 2 and worker.pid is None  # after the opening, and after the pages
        result = worker.run(report, "application/pdf", tmp_path / "b", extract_options(), timeout=120)
    assert len(result.pages) == 6 and "lighthouse" in result.pages[0].text.lower()
