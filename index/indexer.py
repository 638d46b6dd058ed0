"""Pages in, vectors stored: every encoder of the profile over a document's pages, written whole.

The indexer takes core `Page`s (as ingest reads them) and the folder holding their images; it
never reads a file of the user's. The collection records the encoders that built it, and an
indexer refuses a collection built with others.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from ..core.types import Document, Page, title_of
from .passages import passages
from .pooling import pool_page
from .profiles import Encoders
from .store import DocumentVectors, PageStorage, Store

__all__ = ["Indexer"]

log = logging.getLogger(__name__)


class Indexer:
    """Writes documents into one collection with the given encoders."""

    def __init__(self, store: Store, encoders: Encoders, settings):
        self.store = store
        self.encoders = encoders
        self.page_batch_size = max(1, settings.page_batch_size)
        # Storage options apply when the collection is created; an existing one keeps its own.
        store.ensure_schema(replace(encoders.schema, page_storage=PageStorage.from_settings(settings)))
        self._written = 0  # documents added since the store was last optimised

    def add(self, doc: Document, pages: list[Page], folder: Path, replaces: list[str] = ()) -> None:
        """Encode the document's pages (their images in `folder`, which becomes the document's page
        folder) and write it whole, replacing the documents named; on failure nothing of it remains."""
        vectors = self.encode(pages, folder, title=title_of(doc.file_name))
        self.store.add_document(doc, pages, vectors, folder, replaces=list(replaces))
        self._written += 1

    def encode(self, pages: list[Page], folder: Path, title: str = "") -> DocumentVectors:
        """Every vector the profile has: page text and its passages (text encoder and BM25), each read
        with the document's title; page images as multi-vectors (page encoder); page images and figure
        crops (image encoder)."""
        vectors = DocumentVectors()
        text, image, page, sparse = self.encoders.text, self.encoders.image, self.encoders.page, self.encoders.sparse
        keys, texts = [], []  # page numbers and (page, passage) pairs, with their text
        for p in pages:
            if p.text.strip():
                keys.append(p.number)
                texts.append(f"{title}\n{p.text}")
            vectors.passages[p.number] = passages(p)
            for i, passage in enumerate(vectors.passages[p.number]):
                keys.append((p.number, i))
                texts.append(f"{title}\n{passage.text}")
        text_encodings = (
            (text.encode if text else None, vectors.page_text, vectors.passage_text),
            (sparse.encode_documents if sparse else None, vectors.page_sparse, vectors.passage_sparse),
        )
        for encode, by_page, by_passage in text_encodings:
            if encode is not None:
                for key, vector in zip(keys, encode(texts), strict=True):
                    (by_passage if isinstance(key, tuple) else by_page)[key] = vector
        if image is None and page is None:
            return vectors
        from PIL import Image

        # A batch of pages at a time: a long document's images never sit in memory all at once.
        for start in range(0, len(pages), self.page_batch_size):
            batch = pages[start:start + self.page_batch_size]
            pictures = []
            for p in batch:
                with Image.open(folder / p.image) as picture:
                    pictures.append(picture.convert("RGB"))
            if page is not None:
                for p, multi in zip(batch, page.encode_pages(pictures), strict=True):  # (n_tokens, dim) each
                    vectors.page_multi[p.number] = multi
                    pooled = pool_page(multi, self.store.schema.page_storage)
                    if pooled is not None:
                        vectors.page_pooled[p.number] = pooled
            if image is not None:
                for p, vector in zip(batch, image.encode_images(pictures), strict=True):  # (dim,) each
                    vectors.page_image[p.number] = vector
                for p in batch:
                    crops = []
                    for figure in p.figures:
                        with Image.open(folder / figure.image) as crop:
                            crops.append(crop.convert("RGB"))
                    for i, vector in enumerate(image.encode_images(crops)):
                        vectors.figure_image[(p.number, i)] = vector
        return vectors

    def optimize(self) -> None:
        """Let the store build its indexes over what this indexer wrote (the embedded store only does
        so when asked: without it every search scans). A failure loses nothing: the documents are in,
        searches stay exact, only slower. The embedded store holds the GIL while it works, so a server
        must not call this: its process would stop answering (see `pagesight index optimize`)."""
        if not self._written:
            return
        self._written = 0
        try:
            self.store.optimize()
        except Exception as e:  # e.g. too little disk for the rebuilt segments
            log.warning("the collection was not optimised (%s); searches scan it until it is "
                        "(pagesight index optimize)", e)
