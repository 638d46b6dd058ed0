"""The ingest pipeline's reading ahead: while the writer waits for the first file, the pool is given
enough later files to keep every worker busy, and no more once the files waiting hold too many pages."""

import threading
from concurrent.futures import Future
from types import SimpleNamespace

import pytest

from pagesight.api import pipeline
from pagesight.api.pipeline import FileSpec, Pipeline
from pagesight.core.errors import IngestError
from tests import docs
from tests.conftest import make_settings


class Watched(Future):
    """A file's future that says when the writer starts waiting for it."""

    def __init__(self, waited: threading.Event):
        super().__init__()
        self.waited = waited

    def exception(self, timeout=None):
        self.waited.set()
        return super().exception(timeout)


class HeldPool:
    """A pool of `size` workers that reads nothing until told: each file's future waits."""

    def __init__(self, size: int, pages_each: int):
        self.size, self.pages_each = size, pages_each
        self.submitted: list[Future] = []
        self.waited = threading.Event()  # the writer waits for a file: it hands no more over until it is read

    def submit(self, path, media_type, out_dir, options, on_page=None, *, lane="", cancel=None) -> Future:
        if on_page:
            on_page(0, self.pages_each)  # opened: its page count known
        self.submitted.append(Watched(self.waited))
        return self.submitted[-1]


def started_while_the_first_waits(tmp_path, pool: HeldPool, files: int) -> tuple[int, list]:
    """How many files the pipeline hands to `pool` while the first is unread; then every file fails
    (read as unreadable) and the outcomes come back."""
    paths = [docs.simple_pdf(tmp_path / f"f{n:02d}.pdf", [f"Ledger {n}"]) for n in range(files)]
    store = SimpleNamespace(get_document=lambda doc_id: None, documents_from=lambda source: [],
                            images=SimpleNamespace(new_staging=lambda doc_id: tmp_path / "staging" / doc_id))
    run = Pipeline(store, indexer=None, pool=pool, settings=make_settings(tmp_path / "data"))
    outcomes: list = []
    worker = threading.Thread(target=lambda: outcomes.extend(run.run([FileSpec(p) for p in paths], [], None)))
    worker.start()
    assert pool.waited.wait(timeout=60), "the writer never waited for the first file"
    count = len(pool.submitted)
    for n, future in enumerate(list(pool.submitted)):
        future.set_exception(IngestError(f"file {n} is unreadable"))
    while worker.is_alive():  # the files after the held ones are handed over and fail in turn
        for future in pool.submitted:
            if not future.done():
                future.set_exception(IngestError("unreadable"))
        worker.join(0.05)
    return count, outcomes


@pytest.mark.parametrize("workers", [1, 2])
def test_while_the_first_file_is_read_later_ones_keep_every_worker_busy(tmp_path, workers):
    started, outcomes = started_while_the_first_waits(tmp_path, HeldPool(workers, pages_each=1), files=20)
    assert started == pipeline.AHEAD_PER_WORKER * workers + 1  # the first, and the ones read ahead of it
    assert [o.status for o in outcomes] == ["failed"] * 20
    assert [o.path.rsplit("/", 1)[-1] for o in outcomes] == [f"f{n:02d}.pdf" for n in range(20)]  # input order
    assert outcomes[0].reason == "file 0 is unreadable"


def test_files_with_many_pages_are_not_read_far_ahead(tmp_path):
    pages_each = pipeline.READ_AHEAD_PAGES // 2
    started, outcomes = started_while_the_first_waits(tmp_path, HeldPool(2, pages_each=pages_each), files=8)
    assert started == 2  # two files hold as many pages as may wait: none more until the first is written
    assert len(outcomes) == 8
