"""`PageSight`'s methods over HTTP, to a running `pagesight serve` (`pagesight --server URL ...`): the
server owns the embedded store, so a client sends requests instead of opening it a second time.
Same methods, same return types; page images come back as URLs on the server."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

import httpx

from ..core import errors
from ..core.errors import Ambiguous, NotFound, PageSightError
from ..core.types import (
    Answer,
    Citation,
    Document,
    FileOutcome,
    Filters,
    Hit,
    Page,
    Picture,
    Region,
    SearchResult,
    Turn,
    validate_tags,
)
from .backend import Backend, CollectionInfo, PageView

__all__ = ["ServerClient"]

# The errors a server's 400 names (`kind`) that a client raises as they are: a picture or a file that could not
# be read, a bad request to the store; not those of the server's own running (busy, database).
_RAISED_AGAIN = frozenset({"BadPicture", "IngestError", "UnsupportedFileType", "FileTooLarge", "EmptyFile",
                           "CorruptDocument", "EncryptedDocument", "TooManyPages", "PageTooLarge"})
_ANSWERER_IS_THE_SERVERS = "the answerer is the server's setting (PAGESIGHT_ANSWERER where it runs)"


class ServerClient(Backend):
    def __init__(self, url: str, api_key: str | None = None, collection: str | None = None, timeout_s: float = 600.0):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = self.where = url.rstrip("/")
        self.collection = collection  # None: the server's default
        self._api_key, self._timeout_s = api_key, timeout_s
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    # ---- ingestion ------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], *, tags: Sequence[str] = (), password: str | None = None,
               on_file: Callable[[FileOutcome], None] | None = None,
               on_progress: Callable[[int, int, int], None] | None = None,
               cancel: threading.Event | None = None, languages: str | None = None) -> list[FileOutcome]:
        from ..ingest.files import find_files  # only when files are sent: a question needs none of ingest

        if password:
            raise PageSightError("a password is not sent to a server; ingest encrypted files where the server runs")
        tags = validate_tags(tags)
        files, outcomes = find_files([str(p) for p in paths])
        if files:
            job = self.wait(self.upload(files, tags, languages), on_progress=on_progress, cancel=cancel)
            outcomes += [FileOutcome(str(path), f["status"], f["doc_id"], f["pages_done"],
                                     reason=f["error"] or f.get("note") or "")
                         for path, f in zip(files, job["files"], strict=True)]
        for outcome in outcomes:
            if on_file:
                on_file(outcome)
        return outcomes

    def upload(self, paths: list[Path], tags: list[str], languages: str | None = None) -> str:
        """Send files, each with its path as its source key (so a changed file replaces its earlier
        version, as an ingest on the server's own machine does); the job id."""
        with ExitStack() as stack:
            files = [("files", (p.name, stack.enter_context(p.open("rb")))) for p in paths]
            data: dict = {"sources": [str(p.resolve()) for p in paths]}
            if tags:
                data["tags"] = ",".join(tags)
            if languages:
                data["lang"] = languages
            if self.collection:
                data["collection"] = self.collection
            return self._call("POST", "/v1/documents", files=files, data=data).json()["id"]

    def job(self, job_id: str) -> dict:
        return self._call("GET", f"/v1/jobs/{job_id}").json()

    def cancel(self, job_id: str) -> dict:
        """Cancel a job of this key's (the server stops it; poll it until it is done)."""
        return self._call("DELETE", f"/v1/jobs/{job_id}").json()

    def wait(self, job_id: str, every_s: float = 0.5,
             on_progress: Callable[[int, int, int], None] | None = None,
             cancel: threading.Event | None = None) -> dict:
        """The job once it is done; `cancel` set meanwhile, it is cancelled on the server first."""
        asked = False
        while True:
            if cancel is not None and cancel.is_set() and not asked:
                asked = True
                try:
                    self.cancel(job_id)
                except PageSightError:  # finished meanwhile
                    pass
            job = self.job(job_id)
            if on_progress:
                written = sum(f["pages_done"] for f in job["files"] if f["status"] in ("ingested", "replaced"))
                on_progress(job["pages_done"], written, job["pages_total"] or 0)
            if job["status"] == "done":
                return job
            time.sleep(every_s / 5 if asked else every_s)

    # ---- documents ------------------------------------------------------------------------------

    def documents(self, tags: Sequence[str] | None = None) -> list[Document]:
        params = self._params() | ({"tag": list(tags)} if tags else {})
        return [self._document(d) for d in self._call("GET", "/v1/documents", params=params).json()]

    def document(self, ref: str) -> Document:
        if not ref.strip():  # as PageSight says it; an empty path would name the list of documents
            raise NotFound("no document given (an empty id)")
        return self._document(self._call("GET", f"/v1/documents/{_path(ref)}", params=self._params()).json())

    def delete(self, ref: str) -> Document:
        doc = self.document(ref)
        self._call("DELETE", f"/v1/documents/{doc.id}", params=self._params())
        return doc

    def collections(self) -> list[str]:
        """The collections the server has."""
        return self._call("GET", "/v1/collections").json()

    def page_view(self, ref: str, number: int) -> PageView:
        doc = self.document(ref)
        found = self._call("GET", f"/v1/documents/{doc.id}/pages/{number}", params=self._params()).json()
        image = self._call("GET", f"/v1/documents/{doc.id}/pages/{number}/image", params=self._params())
        page = Page(number=found["number"], width=found["width"], height=found["height"], image_width=0,
                    image_height=0, image=found["image_url"], thumbnail=found["thumbnail_url"], text=found["text"],
                    text_source=found["text_source"],
                    regions=[Region(kind=r["kind"], box=tuple(r["box"]), text=r["text"]) for r in found["regions"]])
        return PageView(doc, page, image.content, image.headers.get("content-type", "image/jpeg"))

    def _document(self, data: dict) -> Document:
        return Document(**data, source=f"{self.url} (collection {self.collection or 'default'})")

    # ---- search and answers ---------------------------------------------------------------------

    def search(self, query: str = "", k: int = 5, filters: Filters | None = None,
               channels: Sequence[str] | None = None, *, image: bytes | None = None) -> SearchResult:
        body = self._body("query", query, k, filters, image) | (
            {"channels": list(channels)} if channels is not None else {})
        found = self._call("POST", "/v1/search", json=body).json()
        return SearchResult([self._hit(h) for h in found["hits"]], found["channels"], found["skipped"],
                            picture=_picture(found.get("picture")), absent=found.get("absent"))

    def ask_stream(self, question: str = "", k: int | None = None, filters: Filters | None = None,
                   answerer: str | None = None, history: Sequence[Turn] = (), *,
                   image: bytes | None = None) -> Iterator[SearchResult | str | Answer]:
        if answerer is not None:
            raise PageSightError(_ANSWERER_IS_THE_SERVERS)
        body = self._body("question", question, k, filters, image) | {"stream": True}
        if history:
            body["history"] = [{"question": t.question, "documents": list(t.documents)} for t in history]
        try:
            with self.http.stream("POST", "/v1/answer", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    _check(response, self.url)
                yield from self._answer_events(response)
        except httpx.TransportError as e:
            raise PageSightError(f"cannot reach the PageSight server at {self.url} ({e})") from e

    def _answer_events(self, response) -> Iterator[SearchResult | str | Answer]:
        event, pages = None, []
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:])
                if event == "pages":
                    pages = [self._hit(h) for h in data["pages"]]
                    yield SearchResult(pages, data.get("channels", []), data.get("skipped", {}),
                                       data.get("question"), data.get("rewritten_by"), _picture(data.get("picture")),
                                       data.get("absent"))
                elif event == "delta":
                    yield data["text"]
                elif event == "citations":
                    citations = [Citation(**{k: v for k, v in c.items() if k != "image_url"},
                                          image_path=self.url + c["image_url"]) for c in data["citations"]]
                    yield Answer(**data["answer"], citations=citations, pages=pages)
                elif event == "error":
                    raise PageSightError(f"the server could not answer: {data['detail']}")

    def _hit(self, data: dict) -> Hit:
        return Hit(**{k: v for k, v in data.items() if k != "image_url"}, image_path=self.url + data["image_url"])

    def _body(self, field: str, text: str, k: int | None, filters: Filters | None, image: bytes | None = None) -> dict:
        filters = filters or Filters()
        body = {field: text or None, "k": k, "documents": list(filters.documents) if filters.documents else None,
                "tags": list(filters.tags) if filters.tags else None, "file": filters.file,
                "pages": _pages(filters.pages), "collection": self.collection,
                "image": base64.b64encode(image).decode("ascii") if image is not None else None}
        return {key: value for key, value in body.items() if value is not None}

    # ---- about the collection -------------------------------------------------------------------

    def info(self) -> CollectionInfo:
        name = self.collection or "default"
        data = self._call("GET", f"/v1/collections/{_path(name)}").json()
        return CollectionInfo(**data, where=self.url)

    def answerer_choice(self, kind: str | None = None) -> tuple[str, str]:
        if kind is not None:
            raise PageSightError(_ANSWERER_IS_THE_SERVERS)
        info = self.info()
        return info.answerer, f"the server's: {info.answerer_why}"

    def close(self) -> None:
        self.http.close()

    def sibling(self, collection: str | None) -> ServerClient:
        return ServerClient(self.url, self._api_key, collection, self._timeout_s)

    def _params(self) -> dict:
        return {"collection": self.collection} if self.collection else {}

    def _call(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as e:
            raise PageSightError(f"cannot reach the PageSight server at {self.url} ({e})") from e
        _check(response, self.url)
        return response


def _picture(data: dict | None) -> Picture | None:
    return Picture(**data) if data else None


def _path(ref: str) -> str:
    return quote(ref, safe="")


def _pages(pages) -> str | None:
    if pages is None:
        return None
    low, high = pages
    return f"{low or ''}-{high or ''}" if low != high else str(low)


def _check(response: httpx.Response, url: str) -> None:
    if response.status_code < 400:
        return
    kind = None
    try:
        body = response.json()
        detail, kind = body.get("detail"), body.get("kind")
    except ValueError:
        detail = response.text[:300]
    if response.status_code == 400 and kind in _RAISED_AGAIN:  # the server's own error: raised as it was
        raise getattr(errors, kind)(str(detail))
    if response.status_code == 401:
        raise PageSightError(f"the server at {url} wants an API key: set PAGESIGHT_SERVER_API_KEY ({detail})")
    if response.status_code == 404:
        raise NotFound(str(detail))
    if response.status_code == 409:
        raise Ambiguous(str(detail))
    raise PageSightError(f"the server at {url} answered {response.status_code}: {detail}")
