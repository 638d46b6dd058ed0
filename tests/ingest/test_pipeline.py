"""End-to-end ingestion into the embedded store with the real lite text encoder."""

import shutil

import pytest

from pagesight.index import open_store
from pagesight.index.profiles import Encoders
from pagesight.index.store import SearchFilter
from pagesight.ingest.pipeline import Ingestor, find_files
from pagesight.retrieve import Retriever
from tests import docs
from tests.conftest import make_settings


def text_channel(ingestor, query: str, k: int):
    """The dense text channel alone, as the retriever runs it."""
    return Retriever(ingestor.store, ingestor.encoders, ingestor.settings).run_channel("text", query, k, SearchFilter())


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
def ingest_env(tmp_path, text_encoder):
    settings = make_settings(tmp_path / "data")
    store = open_store(settings)
    ingestor = Ingestor(store, Encoders("lite", text=text_encoder), settings)
    yield settings, store, ingestor
    ingestor.close()
    store.close()


def test_find_files_walks_folders_expands_globs_and_reports_missing(library):
    files, missing = find_files([str(library), str(library / "scans" / "*.png"), str(library / "nope.pdf")])
    names = sorted(p.name for p in files)
    assert names == ["fax.tiff", "memo.jpg", "receipt.png", "report.pdf"]  # notes.txt skipped inside a folder
    assert [(m.path, m.reason) for m in missing] == [(str(library / "nope.pdf"), "no such file or folder")]


def test_ingest_a_library_then_find_the_right_pages(ingest_env, library):
    settings, store, ingestor = ingest_env
    files, _ = find_files([str(library)])
    outcomes = ingestor.ingest(files, tags=["demo"])
    assert {o.status for o in outcomes} == {"ingested"}
    by_name = {d.file_name: d for d in store.documents()}
    assert {n: d.pages for n, d in by_name.items()} == {"fax.tiff": 2, "memo.jpg": 1, "receipt.png": 1, "report.pdf": 6}
    assert all(d.tags == ["demo"] for d in by_name.values())

    report_pages = store.pages(by_name["report.pdf"].id)
    assert [p.text_source for p in report_pages] == ["layer", "layer", "layer", "layer", "ocr", "layer"]
    assert report_pages[0].hidden_text_chars > 0
    assert [len(p.figures) for p in report_pages] == [0, 1, 1, 1, 0, 0]

    def top(query):
        hit = text_channel(ingestor, query, 3)[0]
        return hit.file_name, hit.page

    assert top("How many ships did the lighthouse keeper count?") == ("report.pdf", 1)
    assert top("When was the submarine cable laid across the Atlantic?") == ("report.pdf", 5)  # OCR text
    assert top("Where do penguins nest?") == ("report.pdf", 6)  # rotated page
    assert top("receipt for violins") == ("receipt.png", 1)
    assert top("barns") == ("fax.tiff", 2)


def test_hidden_injection_text_is_not_searchable(ingest_env, report):
    _, store, ingestor = ingest_env
    ingestor.ingest_file(report)
    for hit in text_channel(ingestor, docs.INJECTION, 10):
        assert "PWNED" not in hit.text
    page = store.pages(store.documents()[0].id)[0]
    assert "PWNED" not in page.text


def test_same_bytes_again_change_nothing(ingest_env, report, tmp_path):
    _, store, ingestor = ingest_env
    first = ingestor.ingest_file(report)
    count = store.count()
    again = ingestor.ingest_file(report)
    copy = tmp_path / "copy-of-report.pdf"
    shutil.copy(report, copy)
    elsewhere = ingestor.ingest_file(copy)
    assert (first.status, again.status, elsewhere.status) == ("ingested", "unchanged", "unchanged")
    assert again.doc_id == first.doc_id == elsewhere.doc_id
    assert store.count() == count and len(store.documents()) == 1


def test_a_changed_file_at_the_same_path_replaces_the_old_version(ingest_env, tmp_path):
    _, store, ingestor = ingest_env
    path = tmp_path / "minutes.pdf"
    docs.simple_pdf(path, ["Minutes: the board approved the blue logo."])
    old = ingestor.ingest_file(path)
    docs.simple_pdf(path, ["Minutes: the board approved the green logo.", "A second line."])
    new = ingestor.ingest_file(path)
    assert (old.status, new.status) == ("ingested", "replaced")
    assert [d.id for d in store.documents()] == [new.doc_id]
    assert not store.images.folder(old.doc_id).exists()
    assert "green logo" in store.pages(new.doc_id)[0].text


def test_one_bad_file_never_stops_the_others(ingest_env, tmp_path, report):
    _, store, ingestor = ingest_env
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not really a pdf\n")
    empty = tmp_path / "empty.pdf"
    empty.touch()
    locked = docs.encrypted_pdf(tmp_path / "locked.pdf")
    outcomes = ingestor.ingest([bad, empty, locked, report])
    assert [o.status for o in outcomes] == ["failed", "failed", "failed", "ingested"]
    assert "not a readable PDF" in outcomes[0].reason
    assert "empty" in outcomes[1].reason
    assert "encrypted" in outcomes[2].reason
    assert [d.file_name for d in store.documents()] == ["report.pdf"]


def test_encrypted_pdf_with_its_password(ingest_env, tmp_path):
    _, store, ingestor = ingest_env
    locked = docs.encrypted_pdf(tmp_path / "locked.pdf", "secret")
    assert ingestor.ingest_file(locked, password="secret").status == "ingested"
    assert "merger plan" in store.pages(store.documents()[0].id)[0].text


def test_size_limit(tmp_path, text_encoder, report):
    settings = make_settings(tmp_path / "data", max_file_mb=0.001)
    with open_store(settings) as store, Ingestor(store, Encoders("lite", text=text_encoder), settings) as ingestor:
        outcome = ingestor.ingest_file(report)
        assert outcome.status == "failed" and "the limit is 0.001 MB" in outcome.reason
        assert store.documents() == []


def test_a_failure_while_encoding_leaves_nothing_behind(ingest_env, report, tmp_path):
    _, store, ingestor = ingest_env
    keep = docs.simple_pdf(tmp_path / "keep.pdf", ["A document that must survive."])
    ingestor.ingest_file(keep)
    count = store.count()

    class Failing:
        spec = ingestor.encoders.text.spec

        def encode(self, texts, *, query=False):
            raise RuntimeError("encoder crashed half way")

    real, ingestor.encoders.text = ingestor.encoders.text, Failing()
    outcome = ingestor.ingest_file(report)
    ingestor.encoders.text = real
    assert outcome.status == "failed" and "encoder crashed half way" in outcome.reason
    assert store.count() == count
    assert [d.file_name for d in store.documents()] == ["keep.pdf"]
    assert list(store.images.staging_root.glob("*")) == []
    assert [p.name for p in store.images.root.iterdir()] == [store.documents()[0].id]


def test_the_same_pipeline_on_the_server_backend(tmp_path, text_encoder, report):
    """qdrant-client's local mode stands in for a Qdrant server: same client API, same behaviour."""
    from qdrant_client import QdrantClient

    from pagesight.index.server import ServerStore

    settings = make_settings(tmp_path / "data")
    store = ServerStore(QdrantClient(path=str(tmp_path / "qdrant")), settings.collection_dir(), "default",
                        where="local mode")
    with store, Ingestor(store, Encoders("lite", text=text_encoder), settings) as ingestor:
        assert ingestor.ingest_file(report).status == "ingested"
        assert ingestor.ingest_file(report).status == "unchanged"
        hit = text_channel(ingestor, "When was the submarine cable laid across the Atlantic?", 1)[0]
        assert (hit.file_name, hit.page) == ("report.pdf", 5)
        assert store.delete_document(hit.doc_id) and store.documents() == []


def test_optimise_builds_indexes_only_after_writes_and_a_failure_loses_nothing(tmp_path, text_encoder, report,
                                                                             monkeypatch, caplog):
    settings = make_settings(tmp_path / "data")
    with open_store(settings) as store:
        calls = []
        monkeypatch.setattr(store, "optimize", lambda: calls.append(store.count()))
        encoders = Encoders("lite", text=text_encoder)
        with Ingestor(store, encoders, settings) as ingestor:
            ingestor.ingest_file(report)
            ingestor.optimize()
            ingestor.optimize()
        assert calls == [store.count()]  # once, with the document in; the second had nothing new
        with Ingestor(store, encoders, settings) as ingestor:
            assert ingestor.ingest_file(report).status == "unchanged"
            ingestor.optimize()
        assert len(calls) == 1  # nothing written, nothing to rebuild
        with Ingestor(store, encoders, settings) as ingestor:
            ingestor.ingest_file(docs.simple_pdf(tmp_path / "b.pdf", ["Bees make honey."]))
        assert len(calls) == 1  # never on its own: a server must not (it would stop answering)

        def no_room():
            raise RuntimeError("Not enough space available for optimization, needed: 29.63 GiB")

        monkeypatch.setattr(store, "optimize", no_room)
        with Ingestor(store, encoders, settings) as ingestor:
            outcome = ingestor.ingest_file(docs.simple_pdf(tmp_path / "c.pdf", ["Penguins nest on rocky shores."]))
            ingestor.optimize()
        assert outcome.status == "ingested"
        assert "not optimised (Not enough space" in caplog.text
        # the failed rebuild lost nothing: all three documents are in and found
        assert len(store.documents()) == 3
        hit = text_channel(ingestor, "Where do penguins nest?", 1)[0]
        assert (hit.doc_id, hit.page) == (outcome.doc_id, 1)
