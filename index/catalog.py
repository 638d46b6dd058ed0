"""What a store knows of its collection's documents without reading it: each document (a document never
changes once written), how many passages each of its pages has (so the ids of a page's points are known
unread), and the list of live documents as every search reads it (`Catalog`), kept for NAMES_TTL_S.
The store fills and empties it as it reads and writes, under its own lock."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from ..core.types import Document
from .points import point_id

__all__ = ["NAMES_TTL_S", "Catalog", "Known"]

NAMES_TTL_S = 5.0  # how long another process's new documents may go unseen by searches


class Catalog(NamedTuple):
    """The live documents as searches read them (Store.catalog)."""

    documents: tuple[Document, ...]  # by file name
    names: Mapping[str, str]  # file names by document id, in the same order
    kept: dict  # what upper layers derive from this list, made once for it (derived())

    def derived(self, key: str, build: Callable[[], object]):
        """What `build` makes of this list, made once for it (titles indexed for the documents a question names)."""
        if key not in self.kept:
            self.kept.setdefault(key, build())
        return self.kept[key]

    def tagged(self, tags: tuple[str, ...]) -> list[Document]:
        """The documents carrying any of these tags."""
        wanted = set(tags)
        return [d for d in self.documents if wanted.intersection(d.tags)]


class Known:
    """The documents read so far, their pages' passage counts, and the catalog last read."""

    def __init__(self):
        self.documents: dict[str, Document] = {}  # by id
        self.passages: dict[str, tuple[int, ...]] = {}  # by document id: each page's passages, page 1 first
        self._catalog: tuple[float, Catalog] | None = None  # (when read, what it read)

    def remember(self, payload: dict) -> Document:
        """A document point's document, kept with its pages' passage counts (when its layout has them)."""
        doc = self.documents[payload["doc_id"]] = Document(**payload["document"])
        if payload.get("passages") is not None:
            self.passages[doc.id] = tuple(payload["passages"])
        return doc

    def added(self, doc: Document, passages: list[int]) -> None:
        self.documents[doc.id] = doc
        self.passages[doc.id] = tuple(passages)
        self._catalog = None

    def forget(self, doc_id: str) -> None:
        """A document deleted, or one this process is to read again."""
        self.documents.pop(doc_id, None)
        self.passages.pop(doc_id, None)
        self._catalog = None

    def changed(self) -> None:
        """Documents were written another way (imported, states changed): the list is read again."""
        self._catalog = None

    def clear(self) -> None:
        self.documents.clear()
        self.passages.clear()
        self._catalog = None

    def catalog(self, read: Callable[[], list[Document]], fresh: bool = False) -> Catalog:
        """The live documents (`read()` lists them), as last read unless `fresh` or read NAMES_TTL_S ago."""
        if not fresh and self._catalog is not None and time.monotonic() - self._catalog[0] < NAMES_TTL_S:
            return self._catalog[1]
        documents = tuple(read())
        found = Catalog(documents, MappingProxyType({d.id: d.file_name for d in documents}), {})  # names: shared
        self._catalog = (time.monotonic(), found)
        return found

    def places(self, within: tuple[tuple[str, int], ...],
               find: Callable[[str], Document | None]) -> dict[str, tuple[str, int]] | None:
        """The ids of the listed pages' page and passage points, each with its place; None when a
        document's passage counts are unknown (`find` reads a document not yet known)."""
        places = {}
        for doc_id, page in dict.fromkeys(within):
            if doc_id not in self.passages and find(doc_id) is None:
                continue  # no such document (any more): nothing of it to find
            counts = self.passages.get(doc_id)
            if counts is None:
                return None
            if not 1 <= page <= len(counts):
                continue
            for kind, n in (("page", 1), ("block", counts[page - 1])):
                places.update((point_id(doc_id, kind, page, i), (doc_id, page)) for i in range(n))
        return places
