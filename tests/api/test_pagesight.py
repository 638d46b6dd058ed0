"""PageSight, the wiring and Python API: ingestion end to end into the embedded store (and the server
backend) with the real lite text encoder, then search, as a program would use it."""

import shutil

import pytest

from pagesight import PageSight
from pagesight.api.pagesight import Models
from pagesight.core.errors import Ambiguous, NotFound
from pagesight.core.types import Filters
from pagesight.index.profiles import Encoders
from tests import docs
from tests.conftest import make_settings


def lite(settings, text_encoder, collection=None) -> PageSight:
    """PageSight with the session's text encoder (loaded once for the whole run)."""
    return PageSight(collection, settings, models=Models(settings, Encoders("lite", text=text_encoder)))


def text_channel(sight: PageSight, query: str, k: int):
    """The dense text channel alone."""
    return sight.search(query, k, channels=["text"]).hits


@pytest.fixture
def library(tmp_path, report):
    """A folder of documents: the report, a PNG and a JPEG note, a two-frame TIFF, and junk."""
    folder = tmp_path / "library"
    (folder / "scans").mkdir(parents=True)
    shutil.copy(report, folder / "report.pdf")
    docs.image_file(folder / "scans" / "receipt.png", "PNG", ["Receipt for seven violins", "Paid in full"])
    docs.image_file(folder / "scans" / "memo.jpg", "JPEG", ["Memo about the orchard harvest"])
    docs.multiframe_tiff(folder / "scans" / "fax.tiff", [["Fax page one about tractors"], ["Fax page two about barns"]])
    (folder / "notes.txt").write_text("not a document")
    return folder


@pytest.fixture
def sight(tmp_path, text_encoder):
    with lite(make_settings(tmp_path / "data"), text_encoder) as s:
        yield s


def test_ingest_a_library_then_find_the_right_pages(sight, library):
    outcomes = sight.ingest([library], tags=["demo"])
    assert {o.status for o in outcomes} == {"ingested"}
    by_name = {d.file_name: d for d in sight.documents()}
    assert {n: d.pages for n, d in by_name.items()} == {"fax.tiff": 2, "memo.jpg": 1, "receipt.png": 1, "report.pdf": 6}
    assert all(d.tags == ["demo"] for d in by_name.values())
    assert [d.file_name for d in sight.documents(tags=["demo"])] == sorted(by_name)

    report_pages = sight.store.pages(by_name["report.pdf"].id)
    assert [p.text_source for p in report_pages] == ["layer", "layer", "layer", "layer", "ocr", "layer"]
    assert report_pages[0].hidden_text_chars > 0
    assert [len(p.figures) for p in report_pages] == [0, 1, 1, 1, 0, 0]

    def top(query):
        hit = text_channel(sight, query, 3)[0]
        return hit.file_name, hit.page

    assert top("How many ships did the lighthouse keeper count?") == ("report.pdf", 1)
    assert top("When was the submarine cable laid across the Atlantic?") == ("report.pdf", 5)  # OCR text
    assert top("Where do penguins nest?") == ("report.pdf", 6)  # rotated page
    assert top("receipt for violins") == ("receipt.png", 1)
    assert top("barns") == ("fax.tiff", 2)


def test_hidden_injection_text_is_not_searchable(sight, report):
    sight.ingest_file(report)
    for hit in text_channel(sight, docs.INJECTION, 10):
        assert "PWNED" not in hit.text
    page = sight.page(sight.documents()[0].id, 1)
    assert "PWNED" not in page.text


def test_same_bytes_again_change_nothing(sight, report, tmp_path):
    first = sight.ingest_file(report)
    count = sight.store.count()
    again = sight.ingest_file(report)
    copy = tmp_path / "copy-of-report.pdf"
    shutil.copy(report, copy)
    elsewhere = sight.ingest_file(copy)
    assert (first.status, again.status, elsewhere.status) == ("ingested", "unchanged", "unchanged")
    assert again.doc_id == first.doc_id == elsewhere.doc_id
    assert sight.store.count() == count and len(sight.documents()) == 1


def test_a_changed_file_at_the_same_path_replaces_the_old_version(sight, tmp_path):
    path = tmp_path / "minutes.pdf"
    docs.simple_pdf(path, ["Minutes: the board approved the blue logo."])
    old = sight.ingest_file(path)
    docs.simple_pdf(path, ["Minutes: the board approved the green logo.", "A second line."])
    new = sight.ingest_file(path)
    assert (old.status, new.status) == ("ingested", "replaced")
    assert [d.id for d in sight.documents()] == [new.doc_id]
    assert not sight.store.images.folder(old.doc_id).exists()
    assert "green logo" in sight.page(new.doc_id, 1).text


def test_one_bad_file_never_stops_the_others_and_outcomes_keep_the_input_order(sight, tmp_path, report):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not really a pdf\n")
    empty = tmp_path / "empty.pdf"
    empty.touch()
    locked = docs.encrypted_pdf(tmp_path / "locked.pdf")
    outcomes = sight.ingest([bad, empty, locked, report, tmp_path / "missing.pdf"])
    assert [(o.path.rsplit("/", 1)[-1], o.status) for o in outcomes] == [
        ("bad.pdf", "failed"), ("empty.pdf", "failed"), ("locked.pdf", "failed"), ("report.pdf", "ingested"),
        ("missing.pdf", "failed")]
    assert "not a readable PDF" in outcomes[0].reason
    assert "empty" in outcomes[1].reason
    assert "encrypted" in outcomes[2].reason
    assert outcomes[4].reason == "no such file or folder"
    assert [d.file_name for d in sight.documents()] == ["report.pdf"]


def test_encrypted_pdf_with_its_password(sight, tmp_path):
    locked = docs.encrypted_pdf(tmp_path / "locked.pdf", "secret")
    assert sight.ingest_file(locked, password="secret").status == "ingested"
    assert "merger plan" in sight.page(sight.documents()[0].id, 1).text


def test_size_limit(tmp_path, text_encoder, report):
    with lite(make_settings(tmp_path / "data", max_file_mb=0.001), text_encoder) as sight:
        outcome = sight.ingest_file(report)
        assert outcome.status == "failed" and "the limit is 0.001 MB" in outcome.reason
        assert sight.documents() == []


def test_a_failure_while_encoding_leaves_nothing_behind(sight, report, tmp_path):
    keep = docs.simple_pdf(tmp_path / "keep.pdf", ["A document that must survive."])
    sight.ingest_file(keep)
    count = sight.store.count()
    encoders = sight.models.encoders

    class Failing:
        spec = encoders.text.spec

        def encode(self, texts, *, query=False):
            raise RuntimeError("encoder crashed half way")

    real, encoders.text = encoders.text, Failing()
    outcome = sight.ingest_file(report)
    encoders.text = real
    assert outcome.status == "failed" and "encoder crashed half way" in outcome.reason
    assert sight.store.count() == count
    assert [d.file_name for d in sight.documents()] == ["keep.pdf"]
    images = sight.store.images
    assert list(images.staging_root.glob("*")) == []
    assert [p.name for p in images.root.iterdir()] == [sight.documents()[0].id]


def test_documents_by_id_prefix_or_file_name(sight, report, tmp_path):
    doc_id = sight.ingest_file(report).doc_id
    other = sight.ingest_file(docs.simple_pdf(tmp_path / "memo.pdf", ["A memo."])).doc_id
    assert sight.document(doc_id).id == sight.document(doc_id[:8]).id == sight.document("report.pdf").id == doc_id
    with pytest.raises(NotFound, match="no document matches 'nothing.pdf'"):
        sight.document("nothing.pdf")
    with pytest.raises(NotFound, match="empty"):
        sight.delete("")
    with pytest.raises(NotFound, match=r"no document matches '\*\.pdf'"):
        sight.document("*.pdf")  # a file name, never a pattern
    (tmp_path / "twin").mkdir()
    twin = sight.ingest_file(docs.simple_pdf(tmp_path / "twin" / "memo.pdf", ["Another memo."])).doc_id
    with pytest.raises(Ambiguous, match="matches 2 documents"):
        sight.document("memo.pdf")
    sight.delete(twin)
    assert [d.file_name for d in sight.documents()] == ["memo.pdf", "report.pdf"]
    hits = sight.search("ships", 5, filters=Filters(documents=("report.pdf",))).hits
    assert hits and {h.doc_id for h in hits} == {doc_id}
    assert sight.delete("memo.pdf").id == other and [d.id for d in sight.documents()] == [doc_id]


def test_a_collection_that_does_not_exist_says_so(tmp_path, text_encoder):
    with lite(make_settings(tmp_path / "data"), text_encoder, "empty") as sight:
        assert sight.documents() == []
        with pytest.raises(NotFound, match=r"collection 'empty' does not exist in .*data; ingest something first"):
            sight.search("anything")
        assert not (tmp_path / "data" / "collections" / "empty").exists()  # looking created nothing


def test_the_same_pipeline_on_the_server_backend(tmp_path, text_encoder, report):
    """qdrant-client's local mode stands in for a Qdrant server: same client API, same behaviour."""
    from qdrant_client import QdrantClient

    from pagesight.index.server import ServerStore

    settings = make_settings(tmp_path / "data")
    store = ServerStore(QdrantClient(path=str(tmp_path / "qdrant")), settings.collection_dir(), "default",
                        where="local mode")
    models = Models(settings, Encoders("lite", text=text_encoder))
    with PageSight(settings=settings, models=models, store=store) as sight:
        assert sight.ingest_file(report).status == "ingested"
        assert sight.ingest_file(report).status == "unchanged"
        hit = text_channel(sight, "When was the submarine cable laid across the Atlantic?", 1)[0]
        assert (hit.file_name, hit.page) == ("report.pdf", 5)
        assert sight.delete(hit.doc_id).file_name == "report.pdf" and sight.documents() == []


def test_optimise_builds_indexes_only_after_writes_and_a_failure_loses_nothing(tmp_path, text_encoder, report,
                                                                             monkeypatch, caplog):
    settings = make_settings(tmp_path / "data")
    calls = []
    with lite(settings, text_encoder) as sight:
        store = sight.store
        build = store.optimize
        monkeypatch.setattr(store, "optimize", lambda cancel=None: (calls.append(store.count()), build(cancel)))
        sight.ingest([report])
        sight.optimize()
        assert calls == [store.count()]  # once, with the document in; the second had nothing new
        assert sight.ingest([report])[0].status == "unchanged"
        assert len(calls) == 1  # nothing written, nothing to rebuild
        sight.ingest_file(docs.simple_pdf(tmp_path / "b.pdf", ["Bees make honey."]))
        assert len(calls) == 1  # one file alone does not (a server builds when its queue is idle)
        sight.optimize()
        assert len(calls) == 2  # what it wrote is still to be built, even by a later call

        def no_room(cancel=None):
            raise RuntimeError("Not enough space available for optimization, needed: 29.63 GiB")

        monkeypatch.setattr(store, "optimize", no_room)
        (outcome,) = sight.ingest([docs.simple_pdf(tmp_path / "c.pdf", ["Puffins nest in burrows on rocky cliffs."])])
        assert outcome.status == "ingested"
        assert "not optimised (Not enough space" in caplog.text
        # the failed rebuild lost nothing: all three documents are in and found
        assert len(sight.documents()) == 3
        hit = text_channel(sight, "Where do puffins nest?", 1)[0]
        assert (hit.doc_id, hit.page) == (outcome.doc_id, 1)


def test_a_worker_killed_mid_file_fails_that_file_alone_and_leaves_nothing_of_it(tmp_path, text_encoder, report):
    import os
    import signal
    import threading

    from pagesight.api.pipeline import FileSpec
    from tests.ingest.test_extract import scanned_pdf
    from tests.ingest.test_pool import reading

    scan = scanned_pdf(tmp_path / "scan.pdf", [[f"Ledger page {n}: forty ships."] for n in range(1, 9)])
    with lite(make_settings(tmp_path / "data"), text_encoder) as sight:
        killed = threading.Event()

        def kill_once(done: int, total: int) -> None:
            if done >= 1 and not killed.is_set():
                killed.set()
                os.kill(reading(sight.models.extraction).pid, signal.SIGKILL)  # the child reading the scan

        outcomes = sight.ingest_specs([FileSpec(scan, on_pages=kill_once), FileSpec(report)])
        assert [o.status for o in outcomes] == ["failed", "ingested"]
        assert "died at page" in outcomes[0].reason
        assert [d.file_name for d in sight.documents()] == ["report.pdf"]
        images = sight.store.images
        assert list(images.staging_root.glob("*")) == []  # nothing half-written left behind
        assert sorted(p.name for p in images.root.iterdir()) == [outcomes[1].doc_id]
        assert sight.ingest([scan])[0].status == "ingested"  # the same file again, with fresh workers


def test_a_collection_keeps_the_text_runtime_that_built_it(tmp_path, report):
    from pagesight.core.errors import SchemaMismatch

    settings = make_settings(tmp_path / "data", profile="lite", text_runtime="onnx")
    with PageSight(settings=settings) as sight:
        sight.ingest([report])
        assert sight.store.schema.text.runtime == "onnx"
        assert sight.info().encoders["text"].startswith("sentence-transformers/all-MiniLM-L6-v2 (sha256:")
    auto = make_settings(tmp_path / "data", profile="lite")  # auto: the collection's runtime, whatever the default
    with PageSight(settings=auto) as sight:
        hit = sight.search("How many ships did the keeper count?", 1).hits[0]
        assert (hit.file_name, hit.page) == ("report.pdf", 1)
        answer = sight.ask("How many ships did the keeper count?", answerer="extractive")
        assert answer.citations and answer.citations[0].file_name == "report.pdf"
        # the answerer ranked its sentences with the collection's runtime, and no other runtime was loaded
        assert sight.models.answerer("extractive", sight.store.schema).encoder.spec.runtime == "onnx"
        assert sight.models.encoders.text.spec.runtime == "onnx" and not sight.models._text
    other = make_settings(tmp_path / "data", profile="lite", text_runtime="onnx-int8")
    with PageSight(settings=other) as sight, pytest.raises(SchemaMismatch, match="made with the onnx runtime"):
        sight.search("How many ships did the keeper count?")


def test_the_collections_of_one_process_share_one_text_model(tmp_path, report, monkeypatch):
    """Two collections opened in one process (two PageSight objects, as two apps or a script opening two)
    load the text model once, and each still finds its own pages with it."""
    from pagesight.index import profiles

    loads = []
    monkeypatch.setattr(profiles, "_SHARED", {})
    real = profiles.load_text_encoder
    monkeypatch.setattr(profiles, "load_text_encoder", lambda *a, **k: loads.append(a[1:]) or real(*a, **k))
    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["Memo: the lighthouse lamp needs a new wick."])
    settings = make_settings(tmp_path / "data", profile="lite", text_runtime="onnx")
    with PageSight("reports", settings) as first, PageSight("memos", settings) as second:
        first.ingest([report])
        second.ingest([memo])
        assert first.search("How many ships did the keeper count?", 1).hits[0].file_name == "report.pdf"
        assert second.search("what does the lamp need?", 1).hits[0].file_name == "memo.pdf"
        assert first.models.encoders.text is second.models.encoders.text
    assert loads == [("onnx", None)]


def test_the_collections_of_one_process_share_their_extraction_workers(tmp_path, report):
    """A server's collections read files with one pool of children, not a pool each; a collection closed
    leaves the others' workers running, and the last one closed stops them."""
    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["Memo: the lighthouse lamp needs a new wick."])
    owner = PageSight("reports", make_settings(tmp_path / "data", profile="lite", extract_workers=2))
    pool = owner.models.extraction
    with owner.sibling("memos") as memos:
        owner.ingest([report])
        memos.ingest([memo])
        assert memos.models.extraction is pool
        children = {w.pid for w in pool.workers} - {None}
        assert 1 <= len(children) <= 2
    assert [o.status for o in owner.ingest([tmp_path / "memo.pdf"])] == ["ingested"]  # the sibling's close
    assert {w.pid for w in pool.workers} - {None} <= children  # stopped nothing, started no one new
    owner.close()
    assert all(w.pid is None for w in pool.workers)


def test_models_given_to_a_collection_stop_their_workers_when_it_closes(tmp_path, text_encoder):
    """Models made by the caller (a test's, a benchmark's) and given to one collection: closing it stops
    the workers its ingest started, as a collection with its own models does; no child outlives them."""
    memo = docs.simple_pdf(tmp_path / "memo.pdf", ["Memo: the lighthouse lamp needs a new wick."])
    with lite(make_settings(tmp_path / "data"), text_encoder) as sight:
        sight.ingest([memo])
        pool = sight.models.extraction
        assert any(w.pid for w in pool.workers)
    assert all(w.pid is None for w in pool.workers)


@pytest.mark.parametrize("carry", [False, True])
def test_a_follow_up_is_searched_in_the_cited_documents_only_when_the_setting_says(tmp_path, text_encoder, carry):
    from pagesight.core.types import Turn

    settings = make_settings(tmp_path / "data", followup_scope=carry)
    with lite(settings, text_encoder) as sight:
        marrow = docs.simple_pdf(tmp_path / "marrow.pdf", ["Port Marrow harbour dues were 9 shillings in 1820."])
        ellis = docs.simple_pdf(tmp_path / "ellis.pdf", ["Port Ellis harbour dues were 7 shillings in 1820.",
                                                         "The keeper at Port Ellis counted 40 ships."])
        kept = {o.path: o.doc_id for o in sight.ingest([marrow, ellis])}
        history = [Turn("What were the harbour dues at Port Marrow in 1820?", (kept[str(marrow)],))]
        found = next(sight.ask_stream("And how many ships were counted?", history=history))
        assert found.rewritten_by == "rules"
        searched = {h.doc_id for h in found.hits}
        # with the scope, only the document the previous answer cited; without, wherever the ships are
        assert searched == ({kept[str(marrow)]} if carry else searched | {kept[str(ellis)]})
