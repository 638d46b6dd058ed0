"""The store on both backends (Qdrant Edge embedded; qdrant-client, here in its local mode):
documents whole or not at all, recovery after a crash, schema, locking."""

import os
import subprocess
import sys
import uuid

import numpy as np
import pytest

from pagesight.core.errors import SchemaMismatch, StoreError, StoreLocked
from pagesight.core.types import Document, Page, Region
from pagesight.index.edge import EdgeStore
from pagesight.index.encoders import EncoderSpec
from pagesight.index.server import ServerStore
from pagesight.index.store import LIVE, PENDING, CollectionSchema, DocumentVectors, now

TEXT = EncoderSpec("test/text", "1", 4)
IMAGE = EncoderSpec("test/image", "1", 3)
PAGES = EncoderSpec("test/pages", "1", 8)
SCHEMA = CollectionSchema(text=TEXT, image=IMAGE, page=PAGES)


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def make_doc(store: EdgeStore, doc_id: str, n_pages: int, text_vectors: list, source: str | None = None):
    """A document with one text block per page, its files staged as extraction would leave them."""
    staging = store.images.new_staging(doc_id)
    staging.mkdir(parents=True)
    pages = []
    for n in range(1, n_pages + 1):
        (staging / f"p{n:04d}.png").write_bytes(b"png")
        (staging / f"p{n:04d}-thumb.jpg").write_bytes(b"jpg")
        pages.append(Page(
            number=n, width=612, height=792, image_width=1224, image_height=1584, image=f"p{n:04d}.png",
            thumbnail=f"p{n:04d}-thumb.jpg", text=f"page {n} of {doc_id}", text_source="layer",
            regions=[Region(kind="text", box=(72, 72, 300, 90), text=f"block on page {n}")],
        ))
    rng = np.random.default_rng(n_pages)
    vectors = DocumentVectors(
        page_text={n: unit(text_vectors[n - 1]) for n in range(1, n_pages + 1)},
        passages={n: pages[n - 1].regions for n in range(1, n_pages + 1)},
        passage_text={(n, 0): unit(text_vectors[n - 1]) for n in range(1, n_pages + 1)},
        page_image={n: unit(rng.normal(size=3)) for n in range(1, n_pages + 1)},
        page_multi={n: rng.normal(size=(5, 8)).astype(np.float32) for n in range(1, n_pages + 1)},
    )
    doc = Document(id=doc_id, file_name=f"{doc_id}.pdf", source=source or f"/docs/{doc_id}.pdf",
                   media_type="application/pdf", pages=n_pages, tags=["t"], ingested_at=now())
    return doc, pages, vectors, staging


@pytest.fixture(params=["edge", "server", "remote"])
def opener(request, tmp_path):
    """Opens the collection anew, as a later process would: embedded, through qdrant-client's local
    mode, or on a real Qdrant server when PAGESIGHT_TEST_QDRANT_URL names one (each test in its own
    collections, dropped afterwards)."""
    if request.param == "edge":
        return lambda name="c": EdgeStore(tmp_path / "c", name)
    from qdrant_client import QdrantClient

    if request.param == "server":
        return lambda name="c": ServerStore(QdrantClient(path=str(tmp_path / "qdrant")), tmp_path / "c", name,
                                            where="local mode")
    url = os.environ.get("PAGESIGHT_TEST_QDRANT_URL")
    if not url:
        pytest.skip("no real Qdrant server (set PAGESIGHT_TEST_QDRANT_URL to run these against one)")
    client = QdrantClient(url=url, api_key=os.environ.get("PAGESIGHT_TEST_QDRANT_API_KEY"))
    prefix = f"pagesight-test-{uuid.uuid4().hex[:12]}"
    request.addfinalizer(lambda: [client.delete_collection(c.name) for c in client.get_collections().collections
                                  if c.name.startswith(prefix)])
    return lambda name="c": ServerStore(client, tmp_path / "c", f"{prefix}-{name}", where=url)


@pytest.fixture
def store(opener):
    s = opener()
    s.ensure_schema(SCHEMA)
    yield s
    s.close()


def native_maxsim(store, query: np.ndarray, limit: int):
    """(score, payload) from the backend's own multivector query."""
    if isinstance(store, EdgeStore):
        from qdrant_edge import Query, QueryRequest

        request = QueryRequest(limit=limit, query=Query.Nearest(query, using="page"), with_payload=True)
        hits = store._shard.query(request)
        return [(h.score, h.payload) for h in hits]
    points = store.client.query_points(store.name, query=query.tolist(), using="page", limit=limit).points
    return [(p.score, p.payload) for p in points]


def add(store, doc_id, n_pages, text_vectors, **kw):
    doc, pages, vectors, staging = make_doc(store, doc_id, n_pages, text_vectors, **kw.pop("source_kw", {}))
    store.add_document(doc, pages, vectors, staging, **kw)
    return doc


def test_add_list_and_read_back(store):
    add(store, "aaa", 2, [[1, 0, 0, 0], [0, 1, 0, 0]])
    add(store, "bbb", 1, [[0, 0, 1, 0]])
    docs = store.documents()
    assert [(d.id, d.pages) for d in docs] == [("aaa", 2), ("bbb", 1)]
    assert store.get_document("aaa").tags == ["t"]
    pages = store.pages("aaa")
    assert [p.number for p in pages] == [1, 2]
    assert pages[0].blocks[0].box == (72, 72, 300, 90)
    assert store.image_path(f"pages/aaa/{pages[1].image}").read_bytes() == b"png"
    assert store.count() == 3 + 3  # a point per page and one per text block


def test_text_search_finds_the_right_page_with_its_best_region(store):
    add(store, "aaa", 2, [[1, 0, 0, 0], [0, 1, 0, 0]])
    add(store, "bbb", 1, [[0, 0, 1, 0]])
    hits = store.search_text(unit([0.1, 0.9, 0.1, 0]), limit=3)
    assert (hits[0].doc_id, hits[0].page) == ("aaa", 2)
    assert len({(h.doc_id, h.page) for h in hits}) == len(hits)  # one hit per page
    assert hits[0].image_path.endswith("pages/aaa/p0002.png")


def test_delete_removes_points_and_images_and_nothing_else(store):
    add(store, "aaa", 2, [[1, 0, 0, 0], [0, 1, 0, 0]])
    add(store, "bbb", 1, [[0, 0, 1, 0]])
    assert store.delete_document("aaa")
    assert not store.delete_document("aaa")
    assert [d.id for d in store.documents()] == ["bbb"]
    assert not store.images.folder("aaa").exists() and store.images.folder("bbb").exists()
    assert store.count() == 2


def test_a_failure_in_the_middle_of_a_document_leaves_none_of_it(store, monkeypatch):
    add(store, "keep", 1, [[0, 0, 1, 0]])
    before = store.count()
    real_upsert = type(store)._upsert

    def upsert_half_then_fail(self, points):
        real_upsert(self, points[: len(points) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(type(store), "_upsert", upsert_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        add(store, "broken", 40, [[1, 0, 0, 0]] * 40)
    monkeypatch.undo()
    assert store.count() == before
    assert [d.id for d in store.documents()] == ["keep"]
    assert not store.images.folder("broken").exists()


def crash_half_way(store):
    """Leave a document's points pending and its images published, as a crash in add_document would."""
    doc, pages, vectors, staging = make_doc(store, "half", 3, [[1, 0, 0, 0]] * 3)
    store.images.publish("half", staging)
    store._upsert(store._points(doc, pages, vectors, []))


def test_pending_points_of_a_crashed_ingest_are_invisible_and_removed_on_open(opener, monkeypatch):
    store = opener()
    store.ensure_schema(SCHEMA)
    add(store, "keep", 1, [[0, 0, 1, 0]])
    crash_half_way(store)
    assert [d.id for d in store.documents()] == ["keep"]
    assert all(h.doc_id == "keep" for h in store.search_text(unit([1, 0, 0, 0]), 5))
    store.close()

    monkeypatch.setattr(type(store), "stale_after_s", 0)  # leftovers count as stale at once
    reopened = opener()
    assert reopened.count() == 2
    assert not reopened.images.folder("half").exists()
    reopened.close()


def test_a_server_leaves_fresh_pending_points_alone(tmp_path):
    """Another process may be writing them right now: only old pending points are leftovers."""
    from qdrant_client import QdrantClient

    def open_server():
        return ServerStore(QdrantClient(path=str(tmp_path / "qdrant")), tmp_path / "c", "c", where="local mode")

    store = open_server()
    store.ensure_schema(SCHEMA)
    add(store, "keep", 1, [[0, 0, 1, 0]])
    crash_half_way(store)
    store.close()
    reopened = open_server()
    assert reopened.count() == 2 + 6  # the pending points stay, invisible
    assert [d.id for d in reopened.documents()] == ["keep"]
    assert reopened.images.folder("half").exists()
    reopened.close()


def test_an_interrupted_replacement_is_finished_on_open(opener):
    store = opener()
    store.ensure_schema(SCHEMA)
    add(store, "old", 1, [[1, 0, 0, 0]], source_kw={"source": "/docs/report.pdf"})
    doc, pages, vectors, staging = make_doc(store, "new", 1, [[0, 1, 0, 0]], source="/docs/report.pdf")
    store.images.publish("new", staging)
    store._upsert(store._points(doc, pages, vectors, ["old"]))
    store._set_state("new", LIVE)  # committed; the crash comes before the old version is deleted
    store.close()

    reopened = opener()
    assert [d.id for d in reopened.documents()] == ["new"]
    assert not reopened.images.folder("old").exists()
    reopened.close()


def test_replacing_a_document_drops_the_old_version(store):
    add(store, "old", 1, [[1, 0, 0, 0]], source_kw={"source": "/docs/report.pdf"})
    add(store, "new", 2, [[0, 1, 0, 0]] * 2, source_kw={"source": "/docs/report.pdf"}, replaces=["old"])
    assert [(d.id, d.pages) for d in store.documents_from("/docs/report.pdf")] == [("new", 2)]


def test_a_collection_refuses_other_encoders(opener):
    store = opener("papers")
    store.ensure_schema(SCHEMA)
    store.close()
    reopened = opener("papers")
    other = CollectionSchema(text=EncoderSpec("test/other-text", "2", 4))
    with pytest.raises(SchemaMismatch, match="'papers' was built with text encoder test/text .* uses test/other-text"):
        reopened.ensure_schema(other)
    reopened.ensure_schema(CollectionSchema(text=TEXT))  # a subset of what built it is fine
    reopened.close()


@pytest.fixture
def edge_store(tmp_path):
    s = EdgeStore(tmp_path / "c", "c")
    s.ensure_schema(SCHEMA)
    yield s
    s.close()


def test_a_second_open_in_this_process_is_refused_clearly(edge_store):
    with pytest.raises(StoreLocked, match="open in another process"):
        EdgeStore(edge_store.folder, "c")


def test_a_second_process_gets_a_clear_message_not_a_traceback(edge_store):
    store = edge_store
    code = (
        "import sys; from pathlib import Path\n"
        "from pagesight.core.errors import StoreLocked\n"
        "from pagesight.index.edge import EdgeStore\n"
        "try:\n"
        f"    EdgeStore(Path({str(store.folder)!r}), 'c')\n"
        "except StoreLocked as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 3, run.stderr
    assert "is open in another process" in run.stdout


def test_multivectors_are_stored_for_maxsim(store):
    """The store's MaxSim score equals a numpy reference on the same vectors."""
    doc, pages, vectors, staging = make_doc(store, "mv", 3, [[1, 0, 0, 0]] * 3)
    store.add_document(doc, pages, vectors, staging)
    query = np.random.default_rng(7).normal(size=(4, 8)).astype(np.float32)  # (n_query_tokens, dim)
    hits = native_maxsim(store, query, 3)
    assert len(hits) == 3
    for score, payload in hits:
        page = vectors.page_multi[payload["page"]]  # (n_page_tokens, dim)
        reference = (query @ page.T).max(axis=1).sum()
        assert score == pytest.approx(reference, rel=1e-4)
        assert payload["state"] == LIVE != PENDING


def test_a_foreign_collection_on_the_server_is_not_taken_over(tmp_path):
    from qdrant_client import QdrantClient, models

    client = QdrantClient(path=str(tmp_path / "qdrant"))
    client.create_collection("theirs", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    with pytest.raises(StoreError, match="'theirs' .* was not made by PageSight"):
        ServerStore(client, tmp_path / "c", "theirs", where="local mode")


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    from pagesight.index.server import connect

    client = connect("http://127.0.0.1:9", timeout=2)  # the discard port: nothing listens there
    with pytest.raises(StoreError, match="cannot open collection 'c' on http://127.0.0.1:9"):
        ServerStore(client, tmp_path / "c", "c", where="http://127.0.0.1:9")


def test_bm25_sparse_vectors_on_both_backends(opener):
    from pagesight.index.encoders import Bm25Encoder

    bm25 = Bm25Encoder()
    store = opener()
    store.ensure_schema(CollectionSchema(text=TEXT, image=IMAGE, page=PAGES, sparse=bm25.spec))
    texts = {"whales": "Whales migrate along the coast every spring.", "ledger": "The ledger lists 4217 invoices."}
    for doc_id, text in texts.items():
        doc, pages, vectors, staging = make_doc(store, doc_id, 1, [[1, 0, 0, 0]])
        pages[0] = pages[0].model_copy(update={"text": text})
        vectors.page_sparse[1] = bm25.encode_documents([text])[0]
        store.add_document(doc, pages, vectors, staging)
    assert [h.doc_id for h in store.search_sparse(bm25.encode_query("invoice 4217"), 2)] == ["ledger"]
    assert [h.doc_id for h in store.search_sparse(bm25.encode_query("migrating whale"), 2)] == ["whales"]
    assert store.search_sparse(bm25.encode_query("volcano"), 2) == []
    store.close()


def test_a_filter_to_listed_pages_searches_those_pages_only(store):
    from pagesight.index.store import SearchFilter

    add(store, "aaa", 3, [[1, 0, 0, 0], [0.9, 0.1, 0, 0], [0, 1, 0, 0]])
    add(store, "bbb", 2, [[1, 0.05, 0, 0], [0, 0, 1, 0]])
    query = unit([1, 0, 0, 0])
    assert [(h.doc_id, h.page) for h in store.search_text(query, 2)] == [("aaa", 1), ("bbb", 1)]
    within = SearchFilter(within=(("aaa", 3), ("bbb", 1), ("bbb", 7)))  # a pair that names no page is harmless
    assert [(h.doc_id, h.page) for h in store.search_text(query, 5, within)] == [("bbb", 1), ("aaa", 3)]
    # the page number and the document must match together, not each somewhere in the list
    assert [(h.doc_id, h.page) for h in store.search_text(query, 5, SearchFilter(within=(("bbb", 3),)))] == []
    assert store.search_text(query, 5, SearchFilter(within=())) == []
