"""What every face of PageSight calls: one interface with two implementations, `PageSight` (the
layers wired in this process) and `ServerClient` (the same methods over HTTP to `pagesight serve`).
The CLI parses, picks one (`opener.open_backend`), calls it and renders; so does any program."""

from __future__ import annotations

import base64
import binascii
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import BadPicture
from ..core.types import Answer, Document, FileOutcome, Filters, Page, SearchResult, Turn

if TYPE_CHECKING:
    from ..retrieve.evaluate import AnswerReport, EvalReport, Question

__all__ = ["MAX_IMAGE_CHARS", "Backend", "CollectionInfo", "PageView", "picture_bytes"]

# A picture asked as a question, as every face receives one (a JSON field, an MCP argument, an OpenAI
# message's image_url): base64 or a data: URL, decoded here into the bytes a Backend takes.
MAX_IMAGE_CHARS = 64 * 2**20  # the field's bound; the picture's own limit (PAGESIGHT_MAX_PICTURE_MB) is checked after


def picture_bytes(value: str) -> bytes:
    """A picture sent as base64 or as a data: URL, decoded; BadPicture for a remote URL (never fetched) or
    anything that is not base64."""
    value = value.strip()
    if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE):
        raise BadPicture("PageSight never fetches a picture from a URL: send the picture itself, as a data: URL "
                         "or base64")
    if value.lower().startswith("data:"):
        head, _, value = value.partition(",")
        if not head.lower().endswith(";base64"):
            raise BadPicture("a picture's data: URL must be base64 (data:image/png;base64,...)")
    try:
        return base64.b64decode(re.sub(r"\s+", "", value), validate=True)
    except (binascii.Error, ValueError):
        raise BadPicture("the picture is not valid base64") from None


@dataclass
class CollectionInfo:
    """A collection as `pagesight info` shows it."""

    name: str
    exists: bool
    where: str  # the data folder, or the server's URL
    documents: int = 0
    pages: int = 0
    profile: str = ""
    profile_why: str = ""
    channels: list[str] = field(default_factory=list)  # the channels a search runs
    skipped: dict[str, str] = field(default_factory=dict)  # channel -> why not
    encoders: dict[str, str] = field(default_factory=dict)  # kind -> the encoder recorded with the collection
    answerer: str = ""
    answerer_why: str = ""


@dataclass
class PageView:
    """A page with its document, and its image's bytes."""

    document: Document
    page: Page
    image: bytes
    media_type: str  # image/jpeg or image/png


class Backend(ABC):
    collection: str
    where: str  # where the collection lives, as a person reads it: the data folder, the Qdrant server, the server's URL

    @abstractmethod
    def ingest(self, paths: Iterable[str | Path], *, tags: Sequence[str] = (), password: str | None = None,
               on_file: Callable[[FileOutcome], None] | None = None,
               on_progress: Callable[[int, int, int], None] | None = None,
               cancel: threading.Event | None = None, languages: str | None = None) -> list[FileOutcome]:
        """Files, folders or globs into the collection; an outcome per file, in input order;
        `on_progress(pages read, pages written, pages known)` as it goes. `cancel` set: the ingest stops
        within a second or two; the files not written come back "cancelled", nothing of them indexed.
        `languages`: what OCR reads their scans in ("fra+eng"; by default the document's own language)."""

    @abstractmethod
    def documents(self, tags: Sequence[str] | None = None) -> list[Document]: ...

    @abstractmethod
    def document(self, ref: str) -> Document:
        """A document by id, unique id prefix or file name (NotFound, or Ambiguous listing the matches)."""

    @abstractmethod
    def delete(self, ref: str) -> Document:
        """Delete a document (named as for `document`): its points and page images. The deleted document."""

    @abstractmethod
    def page_view(self, ref: str, number: int) -> PageView:
        """A page of a document (named as for `document`): its text, regions and image (NotFound past the end)."""

    @abstractmethod
    def search(self, query: str = "", k: int = 5, filters: Filters | None = None,
               channels: Sequence[str] | None = None, *, image: bytes | None = None) -> SearchResult:
        """The k best pages for `query`; with an `image` (a picture asked as the question, or part of it), the
        pages the picture shows (SearchResult.picture: what was read of it, and whether it matched)."""

    @abstractmethod
    def ask_stream(self, question: str = "", k: int | None = None, filters: Filters | None = None,
                   answerer: str | None = None, history: Sequence[Turn] = (), *,
                   image: bytes | None = None) -> Iterator[SearchResult | str | Answer]:
        """The pages found (a SearchResult), then the answer's text as it comes, then the Answer. With a
        `history` (the conversation so far), the question is a follow-up: it is rewritten into a standalone
        question first (SearchResult.question), and may carry the previous answer's documents as its scope.
        With an `image`, the question is (also) that picture."""

    @abstractmethod
    def info(self) -> CollectionInfo: ...

    @abstractmethod
    def collections(self) -> list[str]:
        """The collections that exist where this backend looks (the data folder, the Qdrant server, the server)."""

    @abstractmethod
    def answerer_choice(self, kind: str | None = None) -> tuple[str, str]:
        """Which answerer answers (`kind`, or the configured one), and in a few words why."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def sibling(self, collection: str | None) -> Backend:
        """Another collection of the same place, opened the same way (the same loaded models, or the same
        server and key); `None`: the default collection. Closed on its own."""

    @property
    def exists(self) -> bool:
        """Whether the collection has been created (something was ingested into it once)."""
        return self.info().exists

    def ask(self, question: str = "", k: int | None = None, filters: Filters | None = None,
            answerer: str | None = None, history: Sequence[Turn] = (), *, image: bytes | None = None) -> Answer:
        """The answer, with its citations and the pages it read (`image`: a picture asked, as for search)."""
        *_, final = self.ask_stream(question, k, filters, answerer, history, image=image)
        return final

    def evaluate(self, questions: Sequence[Question], *, channels: Sequence[str] | None = None,
                 by: Sequence[str] = ()) -> EvalReport:
        """Each channel alone and fused, over the questions; `by` breaks the figures down by label."""
        from ..retrieve.evaluate import evaluate

        runnable = self.info().channels
        if channels is not None:
            runnable = [c for c in runnable if c in channels]
        return evaluate(self.search, runnable, questions, by=by)

    def evaluate_answers(self, questions: Sequence[Question], k: int | None = None,
                         impossible: Sequence[Question] = (), own_documents: bool = False) -> AnswerReport:
        """The answers to the questions, and to questions the documents do not answer (`impossible`: real
        ones, or counterparts made by `unanswerable`); with `own_documents`, each asked of its own documents."""
        from ..retrieve.evaluate import evaluate_answers

        def ask(text: str, documents: tuple[str, ...] | None):
            return self.ask(text, k, Filters(documents=documents) if documents else None)

        return evaluate_answers(ask, questions, impossible, own_documents)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
