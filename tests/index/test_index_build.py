"""Index builds of the embedded store happen on a copy in a child process and are swapped in: searches
go on meanwhile, writes wait and are not lost, and a kill -9 at any moment leaves a collection that
opens whole, with no partial document and every acknowledged one."""

import json
import random
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pagesight.core.errors import StoreError
from pagesight.index import edge
from pagesight.index.edge import EdgeStore
from pagesight.index.layout import PENDING
from pagesight.index.store import PageStorage
from tests.index.test_page_storage import fill, make_corpus, maxsim

STORAGE = PageStorage("float32", "none", "mean")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus():
    pages, queries, targets = make_corpus()
    return pages[:60], queries, targets


def top(store, query, k=5):
    found = store.search_pages(query, k, first_pass="pooled", candidates=30)
    return [(s.payload["doc_id"], round(s.score, 4)) for s in found]


def shards(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("shard"))


def test_a_build_swaps_in_a_copy_with_the_same_answers_and_leaves_one_shard(tmp_path, corpus, monkeypatch):
    pages, queries, _ = corpus
    monkeypatch.setattr(EdgeStore, "optimize", lambda self, cancel=None: None)  # fill's own build, skipped
    store = EdgeStore(tmp_path / "c", "c")
    fill(store, pages, STORAGE)
    monkeypatch.undo()
    assert store.unoptimised
    before = [top(store, q) for q in queries[:10]]

    store.optimize()
    after = [top(store, q) for q in queries[:10]]
    assert after == before
    (only,) = shards(tmp_path / "c")
    assert only != "shard" and json.loads((tmp_path / "c" / "collection.json").read_text())["shard"] == only
    assert not store.unoptimised
    store.close()

    reopened = EdgeStore(tmp_path / "c", "c")  # the manifest names the built shard
    assert [top(reopened, q) for q in queries[:10]] == before and len(reopened.documents()) == len(pages)
    reopened.close()


def test_searches_go_on_during_a_build_and_a_write_waits_for_it(tmp_path, corpus, monkeypatch):
    pages, queries, _ = corpus
    store = EdgeStore(tmp_path / "c", "c")
    fill(store, pages[:39], STORAGE)
    fill_more(store, pages[39:40], start=39)  # written since the build: something to build
    go, waiting = tmp_path / "go", tmp_path / "waiting"
    # The child says it runs, then waits for a file before it builds: the build lasts as long as the test wants.
    monkeypatch.setattr(edge, "_BUILD", f"import os, time\nopen({str(waiting)!r}, 'w').close()\n"
                        f"while not os.path.exists({str(go)!r}): time.sleep(0.02)\n" + edge._BUILD)
    builder = threading.Thread(target=store.optimize)
    extra = pages[40:41]
    writer = threading.Thread(target=lambda: fill_more(store, extra))
    builder.start()
    try:
        deadline = time.monotonic() + 30
        while not waiting.exists():
            assert time.monotonic() < deadline and builder.is_alive()
            time.sleep(0.01)
        found = []
        searcher = threading.Thread(target=lambda: found.extend(top(store, q) for q in queries[:5]))
        searcher.start()
        searcher.join(timeout=10)
        assert not searcher.is_alive() and all(len(f) == 5 for f in found)  # answered from the old shard
        assert builder.is_alive()
        writer.start()
        writer.join(timeout=1.0)
        assert writer.is_alive()  # the write waits for the build, rather than being lost by the swap
    finally:
        go.touch()
        builder.join(timeout=60)
        writer.join(timeout=60)
    assert not builder.is_alive() and not writer.is_alive()
    assert len(store.documents()) == 41 and store.unoptimised  # the write landed after the swap
    best = max(range(41), key=lambda i: maxsim(queries[0], (pages[:40] + extra)[i]))
    assert top(store, queries[0])[0][0] == f"d{best:04d}"
    store.close()


def test_a_collection_closed_during_its_build_keeps_its_shard_and_opens_whole(tmp_path, corpus, monkeypatch):
    pages, queries, _ = corpus
    store = EdgeStore(tmp_path / "c", "c")
    fill(store, pages[:20], STORAGE)
    fill_more(store, pages[20:21], start=20)  # written since the build: something to build
    named = json.loads((tmp_path / "c" / "collection.json").read_text())["shard"]
    before = [top(store, q) for q in queries[:3]]
    go, waiting = tmp_path / "go", tmp_path / "waiting"
    monkeypatch.setattr(edge, "_BUILD", f"import os, time\nopen({str(waiting)!r}, 'w').close()\n"
                        f"while not os.path.exists({str(go)!r}): time.sleep(0.02)\n" + edge._BUILD)
    failed = []
    builder = threading.Thread(target=lambda: failed.append(pytest.raises(StoreError, store.optimize)))
    builder.start()
    deadline = time.monotonic() + 30
    while not waiting.exists():
        assert time.monotonic() < deadline and builder.is_alive()
        time.sleep(0.01)
    store.close()  # a server stopping while its ingest thread builds
    go.touch()
    builder.join(timeout=60)
    assert failed and "closed during its index build" in str(failed[0].value)
    reopened = EdgeStore(tmp_path / "c", "c")
    assert json.loads((tmp_path / "c" / "collection.json").read_text())["shard"] == named
    assert shards(tmp_path / "c") == [named] and [top(reopened, q) for q in queries[:3]] == before
    reopened.close()


def fill_more(store, pages, start=40):
    from pagesight.core.types import Document, Page
    from pagesight.index.points import DocumentVectors
    from pagesight.index.store import now

    for i, multi in enumerate(pages, start=start):
        doc_id = f"d{i:04d}"
        staging = store.images.new_staging(doc_id)
        staging.mkdir(parents=True)
        page = Page(number=1, width=100, height=100, image_width=10, image_height=10, image="p.png",
                    thumbnail="t.jpg")
        doc = Document(id=doc_id, file_name=f"{doc_id}.pdf", source=f"/{doc_id}.pdf",
                       media_type="application/pdf", pages=1, ingested_at=now())
        store.add_document(doc, [page], DocumentVectors(page_multi={1: multi}, page_pooled={1: multi.mean(0)[None]}),
                           staging)


# A process that writes documents and builds indexes in turn, saying which documents it has written.
CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from pathlib import Path
    from pagesight.index.edge import EdgeStore
    from tests.index.test_index_build import fill_more, STORAGE
    from tests.index.test_page_storage import fill

    rng = np.random.default_rng(int(sys.argv[2]))
    store = EdgeStore(Path(sys.argv[1]), "c")
    if store.schema is None:
        fill(store, [], STORAGE)
    n = len(store.documents())
    while True:
        page = rng.normal(size=(48, 128)).astype(np.float32)
        page /= np.linalg.norm(page, axis=1, keepdims=True)
        fill_more(store, [page], start=n)
        print(f"d{n:04d}", flush=True)
        n += 1
        if n % 3 == 0:
            store.optimize()
            print("built", flush=True)
""")


def test_a_kill_at_any_moment_of_writes_and_builds_leaves_a_whole_collection(tmp_path):
    folder = tmp_path / "c"
    acknowledged: set[str] = set()
    rng = random.Random(7)
    builds = 0
    for round_ in range(5):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(round_)], stdout=subprocess.PIPE,
                                 text=True, cwd=str(ROOT))
        stop_after = rng.randint(4, 9)  # lines: documents written and builds finished
        lines = []
        while len(lines) < stop_after:
            line = child.stdout.readline().strip()
            assert line, f"the writer stopped early: {child.wait()}"
            lines.append(line)
        time.sleep(rng.uniform(0, 0.4))  # somewhere inside the next write or build
        child.kill()
        child.wait()
        acknowledged.update(ln for ln in lines if ln.startswith("d"))
        builds += lines.count("built")

        store = EdgeStore(folder, "c")
        ids = {d.id for d in store.documents()}
        assert acknowledged <= ids, f"round {round_}: acknowledged documents lost: {acknowledged - ids}"
        assert store.count_state(PENDING) == 0  # no partial document
        assert len(shards(folder)) == 1  # leftovers of a cut-off build are gone
        query = np.ones((4, 128), dtype=np.float32) / np.sqrt(128)
        assert len(top(store, query, k=3)) == 3
        store.close()
    assert builds >= 3


def _allocated(folder: Path) -> int:
    """Bytes the folder's files take on disk (their blocks: a sparse file's holes cost nothing)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def test_a_small_collection_takes_little_disk_after_its_index_build(tmp_path, corpus):
    # qdrant-edge preallocates its write-ahead log and vector files as holes (32 MB each, costing
    # nothing); a build that copied them byte by byte wrote the holes out as zeros, 131 MB for one point.
    pages, queries, _ = corpus
    store = EdgeStore(tmp_path / "c", "c")
    fill(store, pages[:1], STORAGE)  # fill ends with the build
    assert not store.unoptimised
    assert _allocated(tmp_path / "c") < 8 * 2**20
    assert top(store, queries[0], k=1)[0][0] == "d0000"  # and the copy still answers
    store.close()


def test_a_copy_keeping_holes_is_the_same_bytes(tmp_path):
    source, target = tmp_path / "sparse", tmp_path / "copy"
    with open(source, "wb") as f:
        f.write(b"head")
        f.seek(40 * 2**20)
        f.write(b"middle")
        f.truncate(80 * 2**20)  # a hole to the end
    edge.copy_keeping_holes(str(source), str(target))
    assert target.read_bytes() == source.read_bytes()
    assert target.stat().st_blocks * 512 < 2**20


def test_a_copy_on_a_file_system_that_cannot_tell_holes_is_whole(tmp_path, monkeypatch):
    source, target = tmp_path / "file", tmp_path / "copy"
    source.write_bytes(b"x" * 100_000 + b"y" * 100_000)
    real = edge.os.lseek

    def refusing(fd, position, how):
        if how in (edge.os.SEEK_DATA, edge.os.SEEK_HOLE):
            raise OSError(22, "Invalid argument")
        return real(fd, position, how)

    monkeypatch.setattr(edge.os, "lseek", refusing)
    edge.copy_keeping_holes(str(source), str(target))
    assert target.read_bytes() == source.read_bytes()
