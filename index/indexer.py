"""Pages in, vectors stored: every encoder of the profile over documents' pages, each written whole.

The indexer takes core `Page`s (as ingest reads them) and the folder holding their images; it
never reads a file of the user's. Several documents are encoded together (one call of each encoder
for all their texts, page images and figures in batches across documents), then written one by one,
each whole or not at all. The collection records the encoders that built it, and an indexer refuses
a collection built with others.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

from ..core.errors import Cancelled
from ..core.types import Document, Page, title_of
from .passages import passages
from .points import DocumentVectors
from .pooling import pool_page
from .profiles import Encoders
from .store import PageStorage, Store

__all__ = ["Indexer"]

log = logging.getLogger(__name__)

ENCODE_SLICE = 256  # texts encoded between two looks at whether the ingest was cancelled (about a second)
# A document, its pages, the folder of their images, the documents it replaces.
Job = tuple[Document, list[Page], Path, list[str]]


class Indexer:
    """Writes documents into one collection with the given encoders."""

    def __init__(self, store: Store, encoders: Encoders, settings):
        self.store = store
        self.encoders = encoders
        self.page_batch_size = max(1, settings.page_batch_size)
        self.image_batch_size = max(1, settings.image_batch_size)
        self.page_text = settings.page_text_vectors
        # Storage options apply when the collection is created; an existing one keeps its own.
        store.ensure_schema(replace(encoders.schema, page_storage=PageStorage.from_settings(settings)))

    def add(self, doc: Document, pages: list[Page], folder: Path, replaces: list[str] = ()) -> None:
        """Encode one document's pages (their images in `folder`, which becomes the document's page folder)
        and write it whole, replacing the documents named; on failure nothing of it remains."""
        (error,) = self.add_many([(doc, pages, folder, list(replaces))])
        if error is not None:
            raise error

    def add_many(self, jobs: list[Job], cancel: threading.Event | None = None) -> list[Exception | None]:
        """Encode the documents together, then write each whole; for each, None or what stopped it (Cancelled
        for those not written when `cancel` was set: it is looked at between slices of the encoding and
        before each document is written)."""
        try:
            vectors = self.encode([(pages, folder, title_of(doc.file_name)) for doc, pages, folder, _ in jobs], cancel)
        except Exception as e:  # an encoder failed, or the ingest was cancelled: none of these was written
            return [e] * len(jobs)
        errors: list[Exception | None] = []
        for (doc, pages, folder, replaces), found in zip(jobs, vectors, strict=True):
            if cancel is not None and cancel.is_set():
                errors.append(Cancelled("cancelled before it was written", doc.file_name))
                continue
            try:
                self.store.add_document(doc, pages, found, folder, replaces=list(replaces))
                errors.append(None)
            except Exception as e:  # this document is rolled back; the others go on
                errors.append(e)
        return errors

    def encode(self, documents: list[tuple[list[Page], Path, str]],
               cancel: threading.Event | None = None) -> list[DocumentVectors]:
        """Every vector the profile has, for each (pages, image folder, title): page text (unless
        `page_text_vectors` is off) and its passages, each read with the document's title (text encoder
        and BM25); page images as multi-vectors (page encoder); page images and figure crops (image
        encoder)."""
        out = [DocumentVectors() for _ in documents]
        text, sparse = self.encoders.text, self.encoders.sparse
        keys, texts, languages = [], [], []  # (document, page) and (document, (page, passage)), their text, language
        for d, (pages, _, title) in enumerate(documents):
            for p in pages:
                if p.text.strip():
                    keys.append((d, p.number))
                    texts.append(f"{title}\n{p.text}")
                    languages.append(p.language)
                out[d].passages[p.number] = passages(p)
                for i, passage in enumerate(out[d].passages[p.number]):
                    keys.append((d, (p.number, i)))
                    texts.append(f"{title}\n{passage.text}")
                    languages.append(p.language)
        # BM25 reads every page and passage (it costs next to nothing); the dense encoder reads a page's
        # whole text only with `page_text_vectors` (it sees the first 256 word pieces, which its passages
        # hold already: a quarter of the encoding time for no R@5 on the dev sets, bench/textenc.py).
        dense = [i for i, (_, key) in enumerate(keys) if self.page_text or isinstance(key, tuple)]
        for encode, by_page, by_passage, chosen in (
            ((lambda some: text.encode([texts[i] for i in some])) if text else None, "page_text", "passage_text",
             dense),
            ((lambda some: sparse.encode_documents([texts[i] for i in some], [languages[i] for i in some]))
             if sparse else None, "page_sparse", "passage_sparse", range(len(keys))),
        ):
            if encode is not None and chosen:
                vectors = []
                for start in range(0, len(chosen), ENCODE_SLICE):  # a cancelled ingest stops within a slice
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("cancelled while its text was encoded")
                    vectors.extend(encode(chosen[start:start + ENCODE_SLICE]))
                for i, vector in zip(chosen, vectors, strict=True):
                    d, key = keys[i]
                    getattr(out[d], by_passage if isinstance(key, tuple) else by_page)[key] = vector
        if self.encoders.image is not None or self.encoders.page is not None:
            self._encode_images(documents, out)
        return out

    def _encode_images(self, documents: list[tuple[list[Page], Path, str]], out: list[DocumentVectors]) -> None:
        """Page images and figure crops, in batches that run across documents: a long document's images
        never sit in memory all at once, and many short ones share a batch."""
        from PIL import Image

        image, page_encoder = self.encoders.image, self.encoders.page

        def load(path: Path):
            with Image.open(path) as picture:
                return picture.convert("RGB")

        pages = [(d, folder, p) for d, (ps, folder, _) in enumerate(documents) for p in ps]
        for start in range(0, len(pages), self.page_batch_size):
            batch = pages[start:start + self.page_batch_size]
            pictures = [load(folder / p.image) for _, folder, p in batch]
            if page_encoder is not None:
                for (d, _, p), multi in zip(batch, page_encoder.encode_pages(pictures), strict=True):  # (n_tokens, dim)
                    out[d].page_multi[p.number] = multi
                    pooled = pool_page(multi, self.store.schema.page_storage)
                    if pooled is not None:
                        out[d].page_pooled[p.number] = pooled
            if image is not None:
                for (d, _, p), vector in zip(batch, image.encode_images(pictures), strict=True):  # (dim,)
                    out[d].page_image[p.number] = vector
        if image is None:
            return
        figures = [(d, folder, p.number, i, figure) for d, folder, p in pages for i, figure in enumerate(p.figures)]
        for start in range(0, len(figures), self.image_batch_size):
            batch = figures[start:start + self.image_batch_size]
            crops = [load(folder / figure.image) for _, folder, _, _, figure in batch]
            for (d, _, number, i, _), vector in zip(batch, image.encode_images(crops), strict=True):
                out[d].figure_image[(number, i)] = vector
