"""The extraction pool: pages of one file spread over the workers, results as a serial read gives them,
a budget per page (a long scan is never stopped for its length, a stalled page is named), and a worker
killed in the middle of a file failing that file alone."""

import os
import signal
import threading

import pytest

from pagesight.core.errors import ExtractionCrashed, IngestTimeout
from pagesight.ingest import ExtractionPool, extract
from tests import docs
from tests.conftest import extract_options
from tests.ingest.test_extract import scanned_pdf

LINES = ["Harbour log page {n}: the keeper counted {n}7 ships.", "Wind from the west, force {n}."]


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    """A 12-page scan with different text on every page (each page needs OCR)."""
    path = tmp_path_factory.mktemp("scan") / "scan.pdf"
    return scanned_pdf(path, [[line.format(n=n) for line in LINES] for n in range(1, 13)])


def test_ocr_spread_over_the_workers_reads_what_a_serial_read_reads(scan, tmp_path):
    serial = extract(scan, "application/pdf", tmp_path / "serial", extract_options())
    pids, progress = set(), []
    with ExtractionPool(2, page_timeout_s=120) as pool:
        result = pool.extract(scan, "application/pdf", tmp_path / "pooled", extract_options(),
                              on_page=lambda done, total: (progress.append((done, total)),
                                                           pids.update(w.pid for w in pool.workers)))
    assert [p.text for p in result.pages] == [p.text for p in serial.pages]
    assert [p.number for p in result.pages] == list(range(1, 13)) and {p.text_source for p in result.pages} == {"ocr"}
    assert "counted 57 ships" in result.pages[4].text
    assert len(pids - {None}) == 2  # both workers took part
    assert progress[0] == (0, 12) and progress[-1] == (12, 12)
    assert sorted(f.name for f in (tmp_path / "pooled").glob("p????.jpg")) == [f"p{n:04d}.jpg" for n in range(1, 13)]


def test_a_long_scan_is_never_stopped_for_its_length_and_a_stalled_page_is_named(scan, tmp_path):
    with ExtractionPool(2, page_timeout_s=30) as pool:  # 12 pages of OCR take longer than one page's budget
        assert len(pool.extract(scan, "application/pdf", tmp_path / "a", extract_options()).pages) == 12
    dense = scanned_pdf(tmp_path / "dense.pdf", [[f"Line {i} of a dense scanned ledger page." for i in range(30)]] * 2)
    with ExtractionPool(1, page_timeout_s=60) as pool:
        pool.extract(docs.simple_pdf(tmp_path / "warm.pdf", ["warm"]), "application/pdf", tmp_path / "w",
                     extract_options())  # the child is up: opening the next file takes milliseconds
        pool.page_timeout_s = 0.1  # and no page of 30 lines is OCRed in 100 ms
        with pytest.raises(IngestTimeout, match=r"dense.pdf: page 1 took longer than the limit of 0 s .*stalled there"):
            pool.extract(dense, "application/pdf", tmp_path / "b", extract_options())
        # the stalled worker was replaced: the next file goes through
        small = docs.simple_pdf(tmp_path / "small.pdf", ["still working"])
        pool.page_timeout_s = 60
        result = pool.extract(small, "application/pdf", tmp_path / "c", extract_options())
        assert "still working" in result.pages[0].text


def reading(pool):
    """The worker whose page was just read: progress is reported from its thread, pagesight-extract-<n>.
    (The first worker with a child may be reading another file: which one reads what is the pool's choice.)"""
    return pool.workers[int(threading.current_thread().name.rsplit("-", 1)[1])]


def test_a_worker_killed_in_the_middle_of_a_file_fails_that_file_alone(scan, tmp_path, report):
    with ExtractionPool(2, page_timeout_s=120) as pool:
        killed = threading.Event()

        def kill_once(done: int, total: int) -> None:
            if done >= 1 and not killed.is_set():
                killed.set()
                os.kill(reading(pool).pid, signal.SIGKILL)

        doomed = pool.submit(scan, "application/pdf", tmp_path / "doomed", extract_options(), on_page=kill_once)
        after = pool.submit(report, "application/pdf", tmp_path / "after", extract_options())
        with pytest.raises(ExtractionCrashed, match=r"died at page [0-9]+"):
            doomed.result(timeout=300)
        assert len(after.result(timeout=300).pages) == 6
        # and the pool goes on with fresh children
        assert len(pool.extract(report, "application/pdf", tmp_path / "again", extract_options()).pages) == 6


def test_a_document_budget_stops_pages_that_each_stay_under_the_page_limit():
    from pagesight.ingest.pool import Budget

    budget = Budget(per_page=5, grace=120, ceiling=7200)
    assert budget.exceeded(100, 1) is None and budget.exceeded(170, 10) is None  # slow pages, within the grace
    assert "more than 5 s a page" in budget.exceeded(121, 0) and "more than 5 s a page" in budget.exceeded(180, 10)
    assert budget.exceeded(7000, 2000) is None and "more than 7200 s" in budget.exceeded(7201, 2000)


def test_a_file_over_its_budget_or_cancelled_stops_at_once_and_the_pool_goes_on(scan, tmp_path, report):
    from pagesight.core.errors import Cancelled
    from pagesight.ingest.pool import Budget

    with ExtractionPool(2, page_timeout_s=120, budget=Budget(per_page=0.01, grace=0.05)) as pool:
        with pytest.raises(IngestTimeout, match=r"scan.pdf: stopped at page [0-9]+: its first [0-9]+ pages took"):
            pool.extract(scan, "application/pdf", tmp_path / "a", extract_options())
    with ExtractionPool(2, page_timeout_s=120) as pool:
        cancel = threading.Event()
        doomed = pool.submit(scan, "application/pdf", tmp_path / "b", extract_options(),
                             on_page=lambda done, total: done >= 1 and cancel.set(), cancel=cancel)
        with pytest.raises(Cancelled):
            doomed.result(timeout=120)
        assert len(pool.extract(report, "application/pdf", tmp_path / "c", extract_options()).pages) == 6


def test_a_short_file_is_read_by_the_worker_that_opened_it_and_starts_no_second_child(tmp_path):
    """A file of a chunk or less (most uploads) costs one child process, not one per worker: the worker
    that opened it reads it."""
    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["A memo of one page."], pages=3)
    with ExtractionPool(2, page_timeout_s=120) as pool:
        for n in range(3):
            result = pool.extract(memo, "application/pdf", tmp_path / f"out{n}", extract_options())
            assert [p.number for p in result.pages] == [1, 2, 3] and "memo of one page" in result.pages[0].text
        assert sum(w.pid is not None for w in pool.workers) == 1


def test_a_pool_closed_while_a_file_opens_reads_none_of_its_pages(scan, tmp_path):
    """The worker that opens a file keeps its first chunk; a close arriving meanwhile cancels that chunk
    as it cancels the queued ones, instead of reading it first."""
    import time

    from pagesight.core.errors import Cancelled

    pool = ExtractionPool(1, page_timeout_s=120)
    closer = threading.Thread(target=pool.close)
    read = []

    def opened(done: int, total: int) -> None:
        read.append(done)
        if done == 0:  # the file is open, its first chunk not read yet: close the pool now
            closer.start()
            deadline = time.monotonic() + 30
            while not pool._stopping:  # noqa: SLF001 (the close has begun: the pool's own state)
                assert time.monotonic() < deadline
                time.sleep(0.01)

    future = pool.submit(scan, "application/pdf", tmp_path / "out", extract_options(), on_page=opened)
    with pytest.raises(Cancelled, match="closed before the file was read"):
        future.result(timeout=120)
    closer.join(timeout=60)
    assert read == [0] and not closer.is_alive()


def test_lanes_take_turns(scan, tmp_path):
    """One lane's long file does not hold up another lane's short one: with one worker, the short file of
    lane B is read after a chunk or two of lane A's twelve pages, not after all of them."""
    order: list[str] = []
    with ExtractionPool(1, page_timeout_s=120) as pool:
        long = pool.submit(scan, "application/pdf", tmp_path / "a", extract_options(), lane="A",
                           on_page=lambda done, total: order.append("A"))
        memo = docs.simple_pdf(tmp_path / "memo.pdf", ["A memo of one page."])
        short = pool.submit(memo, "application/pdf", tmp_path / "b", extract_options(), lane="B",
                            on_page=lambda done, total: order.append("B"))
        short.result(timeout=120)
        long.result(timeout=300)
    first_b = order.index("B")
    assert order.count("A") == 12 + 1 and first_b <= 2 * 4 + 1, order  # (on_page also reports the opening)
