"""The extraction child: results come back, errors keep their type, hangs and bombs kill only the child."""

import pymupdf
import pytest

from pagesight.core.errors import EncryptedDocument, ExtractionCrashed, IngestTimeout, PageTooLarge
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
