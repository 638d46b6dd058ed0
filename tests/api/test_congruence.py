"""Congruence (issue 33): every `Backend` method, run on `PageSight` in this process and on `ServerClient`
against a server of the same files, gives the same documents, hits, page views, answers and errors, as
qdrant-client runs the same calls on its local and remote clients. Each side has a data folder of its own,
the same files ingested: document ids are content hashes, so the two must agree to the id."""

import io

import pymupdf
import pytest
from PIL import Image

from pagesight.api.client import ServerClient
from pagesight.api.pagesight import PageSight
from pagesight.api.server.app import create_app
from pagesight.core.errors import Ambiguous, BadPicture, NotFound, PageSightError
from pagesight.core.types import Filters
from tests import docs
from tests.api.conftest import uvicorn_serving
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e  # a uvicorn server

LOG = [["Port Marrow harbour log.", "The keeper counted 115 ships in the spring of 1819."],
       ["Harbour dues at Port Marrow rose to 9 shillings in 1820.", "The pier was rebuilt in 1822 with granite."]]
QUESTIONS = ["When did the harbour dues at Port Marrow rise?", "What was the revenue in the north region?",
             "How many ships did the keeper count?", "What does the moon taste like?"]


@pytest.fixture(scope="module")
def files(tmp_path_factory, report):
    folder = tmp_path_factory.mktemp("congruence")
    log = docs.pages_pdf(folder / "port_marrow.pdf", LOG)
    twin = docs.pages_pdf(folder / "port_marrow_copy.pdf", LOG[:1])  # an id prefix the two may share: no
    return [report, log, twin]


@pytest.fixture(scope="module")
def both(tmp_path_factory, files):
    """(PageSight over one data folder, ServerClient to a server over another), each with the files."""
    local = PageSight(settings=make_settings(tmp_path_factory.mktemp("local") / "data", profile="lite"))
    served = make_settings(tmp_path_factory.mktemp("served") / "data", profile="lite")
    with uvicorn_serving(create_app(served)) as base, local, ServerClient(base) as remote:
        yield local, remote


def outcome(o):
    return (o.status, o.doc_id, o.pages, o.reason)


def test_ingest_documents_and_pages_agree(both, files):
    local, remote = both
    a = [outcome(o) for o in local.ingest(files, tags=["log"])]
    b = [outcome(o) for o in remote.ingest(files, tags=["log"])]
    assert a == b and {o[0] for o in a} == {"ingested"}
    again = [outcome(o) for o in local.ingest(files[:1])], [outcome(o) for o in remote.ingest(files[:1])]
    assert again[0] == again[1] and again[0][0][0] == "unchanged"

    def listed(backend, tags=None):
        return [(d.id, d.file_name, d.pages, tuple(d.tags), d.media_type) for d in backend.documents(tags)]

    assert listed(local) == listed(remote) and len(listed(local)) == 3
    assert listed(local, ["log"]) == listed(remote, ["log"])
    assert listed(local, ["none"]) == listed(remote, ["none"]) == []
    for ref in ("report.pdf", local.documents()[0].id, local.documents()[0].id[:12]):
        assert local.document(ref).id == remote.document(ref).id
    assert local.collections() == remote.collections() == ["default"]
    for number in (1, 2):
        a, b = local.page_view("port_marrow.pdf", number), remote.page_view("port_marrow.pdf", number)
        assert (a.page.number, a.page.width, a.page.height, a.page.text, a.page.text_source) == (
            b.page.number, b.page.width, b.page.height, b.page.text, b.page.text_source)
        assert [(r.kind, r.box, r.text) for r in a.page.regions] == [(r.kind, r.box, r.text) for r in b.page.regions]
        assert a.image == b.image and a.media_type == b.media_type


def _error(call, backend) -> tuple[type, str]:
    try:
        call(backend)
    except PageSightError as e:
        return type(e), e.reason
    raise AssertionError("no error")


def test_errors_agree(both):
    local, remote = both
    for call in (lambda b: b.document("nothing-like-it.pdf"), lambda b: b.document(""),
                 lambda b: b.page_view("report.pdf", 99), lambda b: b.delete("nothing-like-it.pdf"),
                 lambda b: b.search("x", filters=Filters(documents=("nothing-like-it.pdf",))),
                 lambda b: b.search(image=b"%PDF-1.7 not a picture")):
        (kind_a, reason_a), (kind_b, reason_b) = _error(call, local), _error(call, remote)
        assert issubclass(kind_a, NotFound | Ambiguous | BadPicture), (kind_a, reason_a)
        assert (kind_a, reason_a) == (kind_b, reason_b)


def _hits(result):
    return [(h.doc_id, h.page, round(h.score, 4), tuple(h.channels), h.text) for h in result.hits]


def test_searches_and_answers_agree(both):
    local, remote = both
    for question in QUESTIONS:
        a, b = local.search(question, 3), remote.search(question, 3)
        assert _hits(a) == _hits(b) and a.channels == b.channels and a.skipped == b.skipped, question
        scoped = Filters(documents=("port_marrow.pdf",), pages=(2, 2))
        assert _hits(local.search(question, 3, scoped)) == _hits(remote.search(question, 3, scoped))
        x, y = local.ask(question), remote.ask(question)
        assert (x.text, x.abstained, x.extractive, x.answerer) == (y.text, y.abstained, y.extractive, y.answerer)
        assert [(c.marker, c.doc_id, c.page, c.box, c.quote) for c in x.citations] == [
            (c.marker, c.doc_id, c.page, c.box, c.quote) for c in y.citations]
        assert [(h.doc_id, h.page) for h in x.pages] == [(h.doc_id, h.page) for h in y.pages]


def test_pictures_agree(both, files):
    local, remote = both
    with pymupdf.open(files[1]) as pdf:
        shot = pdf[1].get_pixmap(dpi=96).tobytes("png")
    blank = io.BytesIO()
    Image.new("RGB", (200, 120), (30, 90, 160)).save(blank, "PNG")
    for image, words in ((shot, ""), (shot, "when was the pier rebuilt"), (blank.getvalue(), ""),
                         (blank.getvalue(), "harbour dues")):
        a, b = local.search(words, 3, image=image), remote.search(words, 3, image=image)
        assert _hits(a) == _hits(b) and a.skipped == b.skipped
        assert (a.picture.text, a.picture.words, a.picture.held, a.picture.matched) == (
            b.picture.text, b.picture.words, b.picture.held, b.picture.matched)
        x, y = local.ask(words, image=image), remote.ask(words, image=image)
        assert (x.text, x.abstained) == (y.text, y.abstained)


def test_delete_agrees(both):
    local, remote = both
    a, b = local.delete("port_marrow_copy.pdf"), remote.delete("port_marrow_copy.pdf")
    assert (a.id, a.file_name, a.pages) == (b.id, b.file_name, b.pages)
    assert [d.id for d in local.documents()] == [d.id for d in remote.documents()]
    info_a, info_b = local.info(), remote.info()
    assert (info_a.name, info_a.exists, info_a.documents, info_a.pages, info_a.profile, info_a.channels,
            info_a.encoders, info_a.answerer) == (info_b.name, info_b.exists, info_b.documents, info_b.pages,
                                                  info_b.profile, info_b.channels, info_b.encoders, info_b.answerer)


def test_a_page_past_the_end_is_said_alike(both):
    local, remote = both
    question = "What does port_marrow say on page 9?"  # the log has 2 pages
    a = local.search(question, k=3, filters=Filters(documents=("port_marrow.pdf",)))
    b = remote.search(question, k=3, filters=Filters(documents=("port_marrow.pdf",)))
    assert a.absent == b.absent == "page 9 (port_marrow.pdf has 2)"
    events = remote.ask_stream(question, filters=Filters(documents=("port_marrow.pdf",)))
    assert next(events).absent == a.absent  # the streamed answer's pages event says it too
    events.close()
    # The server says it in the request's language, as it says its errors (its face's words)
    body = {"query": question, "k": 3, "documents": ["port_marrow.pdf"]}
    french = remote.http.post("/v1/search", json=body, headers={"Accept-Language": "fr-FR,fr;q=0.9"}).json()
    assert french["absent"] == "la page 9 (port_marrow.pdf en a 2)"
    assert remote.http.post("/v1/search", json=body).json()["absent"] == a.absent
    x = local.ask(question, filters=Filters(documents=("port_marrow.pdf",)))
    y = remote.ask(question, filters=Filters(documents=("port_marrow.pdf",)))
    assert x.abstained and y.abstained and x.text == y.text and "page 9" in x.text


def test_siblings_and_existence_agree(both):
    local, remote = both
    assert local.exists == remote.exists
    with local.sibling("other") as a, remote.sibling("other") as b:
        assert (a.collection, b.collection) == ("other", "other")
        assert a.exists is False and b.exists is False
        assert (a.info().name, a.info().exists) == (b.info().name, b.info().exists) == ("other", False)
        assert _error(lambda x: x.document("report.pdf"), a) == _error(lambda x: x.document("report.pdf"), b)
        assert a.collections() == b.collections()
    assert local.where and remote.where == remote.url  # the data folder; the server's URL
    assert remote.info().name == "default"  # the sibling closed alone: its origin still answers
