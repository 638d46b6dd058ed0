"""Files in, documents out: find the files, skip the unchanged, extract, encode, index whole.

One bad file never stops the others: each gets an outcome (ingested, replaced, unchanged, failed
with the reason) and the failures leave nothing behind.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pagesight.core.errors import EmptyFile, FileTooLarge, PageSightError
from pagesight.core.settings import Settings
from pagesight.core.types import Document
from pagesight.index.pooling import pool_page
from pagesight.index.profiles import Encoders
from pagesight.index.store import DocumentVectors, PageStorage, Store, now
from pagesight.ingest.detect import SUPPORTED, sniff, sniff_file
from pagesight.ingest.extract import ExtractOptions
from pagesight.ingest.passages import document_title, passages
from pagesight.ingest.worker import ExtractionWorker

__all__ = ["FileOutcome", "Ingestor", "find_files", "document_id"]

log = logging.getLogger(__name__)

Status = Literal["ingested", "replaced", "unchanged", "failed"]


@dataclass
class FileOutcome:
    path: str
    status: Status
    doc_id: str | None = None
    pages: int = 0
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


def document_id(path: Path) -> str:
    """The sha256 of the file's bytes: the same bytes are the same document wherever they live."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:32]


def find_files(inputs: Iterable[str]) -> tuple[list[Path], list[FileOutcome]]:
    """Files named, folders walked recursively, globs expanded.

    Inside folders only files whose bytes are a supported type are taken (a folder may hold
    anything); a file named explicitly is always tried, so its failure is reported.
    """
    found: dict[Path, None] = {}
    missing: list[FileOutcome] = []
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_file():
            found[path.resolve()] = None
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if _looks_supported(child):
                    found[child.resolve()] = None
        elif glob.has_magic(raw):
            matches = sorted(Path(m) for m in glob.glob(str(path), recursive=True))
            files = [m for m in matches if m.is_file()]
            if not files:
                missing.append(FileOutcome(raw, "failed", reason="no file matches this pattern"))
            for m in files:
                found[m.resolve()] = None
        else:
            missing.append(FileOutcome(raw, "failed", reason="no such file or folder"))
    return list(found), missing


def _looks_supported(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return sniff(f.read(1024)) in SUPPORTED
    except OSError:
        return False


class Ingestor:
    """Ingests files into one collection with the given encoders."""

    def __init__(self, store: Store, encoders: Encoders, settings: Settings):
        self.store = store
        self.encoders = encoders
        self.settings = settings
        # Storage options apply when the collection is created; an existing one keeps its own.
        self.store.ensure_schema(replace(encoders.schema, page_storage=PageStorage.from_settings(settings)))
        self._worker = ExtractionWorker(settings.worker_memory_mb)
        self._written = 0  # documents added since the store was last optimised

    def ingest(self, paths: list[Path], *, tags: list[str] = (), password: str | None = None,
               on_file: Callable[[FileOutcome], None] | None = None) -> list[FileOutcome]:
        outcomes = []
        for path in paths:
            outcome = self.ingest_file(path, tags=tags, password=password)
            outcomes.append(outcome)
            if on_file:
                on_file(outcome)
        return outcomes

    def ingest_file(self, path: Path, *, tags: list[str] = (), password: str | None = None,
                    file_name: str | None = None, source: str | None = None,
                    on_pages: Callable[[int, int], None] | None = None) -> FileOutcome:
        """One file. `file_name` and `source` stand in for the path's when the path is not the
        document's own (an upload's temporary file); `on_pages(done, total)` reports progress."""
        path = Path(path).resolve()
        name = file_name or path.name

        def failed(reason: str) -> FileOutcome:
            # Reasons quote library messages, which may name the path; an upload's path is the server's business.
            return FileOutcome(str(path), "failed", reason=reason.replace(str(path), name))

        try:
            return self._ingest(path, sorted(set(tags)), password, name, source or str(path), on_pages)
        except PageSightError as e:
            log.info("%s failed: %s", path, e.reason)
            return failed(e.reason)
        except OSError as e:
            return failed(f"cannot read the file ({e.strerror or e})")
        except Exception as e:  # a bug or an encoder failure: the store is already rolled back
            log.exception("unexpected failure ingesting %s", path)
            return failed(f"unexpected error ({type(e).__name__}: {e})")

    def _ingest(self, path: Path, tags: list[str], password: str | None, file_name: str, source: str,
                on_pages: Callable[[int, int], None] | None) -> FileOutcome:
        size = path.stat().st_size
        if size == 0:
            raise EmptyFile("the file is empty (0 bytes)", path)
        limit = self.settings.max_file_mb * 1024 * 1024
        if size > limit:
            raise FileTooLarge(f"{size / 2**20:.1f} MB; the limit is {self.settings.max_file_mb:g} MB", path)
        media_type = sniff_file(path)
        doc_id = document_id(path)
        existing = self.store.get_document(doc_id)
        if existing is not None:
            return FileOutcome(str(path), "unchanged", doc_id, existing.pages, reason="already indexed")
        replaces = [d.id for d in self.store.documents_from(source)]

        staging = self.store.images.new_staging(doc_id)
        try:
            options = ExtractOptions.from_settings(self.settings, password=password)
            extracted = self._worker.run(path, media_type, staging, options, self.settings.file_timeout_s)
            doc = Document(
                id=doc_id, file_name=file_name, source=source, media_type=media_type,
                pages=len(extracted.pages), tags=tags, ingested_at=now(), repaired=extracted.repaired,
                warnings=extracted.warnings,
            )
            if on_pages:
                on_pages(0, doc.pages)
            vectors = self._encode(extracted.pages, staging, title=document_title(file_name))
            self.store.add_document(doc, extracted.pages, vectors, staging, replaces=replaces)
            self._written += 1
            if on_pages:
                on_pages(doc.pages, doc.pages)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        status: Status = "replaced" if replaces else "ingested"
        return FileOutcome(str(path), status, doc_id, doc.pages, warnings=extracted.warnings)

    def _encode(self, pages, folder: Path, title: str = "") -> DocumentVectors:
        """Every vector the profile has: page text and its passages (text encoder and BM25), page
        images as multi-vectors (page encoder), page images and figure crops (image encoder)."""
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
        batch_size = max(1, self.settings.page_batch_size)
        for start in range(0, len(pages), batch_size):
            batch = pages[start:start + batch_size]
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

    @property
    def worker_peak_rss_mb(self) -> float:
        """The largest resident size an extraction worker reached so far."""
        return self._worker.peak_rss_mb

    def optimize(self) -> None:
        """Let the store build its indexes over what this ingestor wrote (the embedded store only
        does so when asked: without it every search scans). A failure loses nothing: the documents
        are in, searches stay exact, only slower. The embedded store holds the GIL while it works, so
        a server must not call this: its process would stop answering (see `pagesight index optimize`)."""
        if not self._written:
            return
        self._written = 0
        try:
            self.store.optimize()
        except Exception as e:  # e.g. too little disk for the rebuilt segments
            log.warning("the collection was not optimised (%s); searches scan it until it is "
                        "(pagesight index optimize)", e)

    def close(self) -> None:
        self._worker.close()

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

