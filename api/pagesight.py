"""The one wiring of the layers, which is also PageSight's Python API:

    from pagesight import PageSight

    with PageSight() as sight:                       # the default collection, settings from PAGESIGHT_*
        sight.ingest(["report.pdf", "scans/"], tags=["q3"])
        for hit in sight.search("revenue by region", k=5).hits:
            print(hit.file_name, hit.page, hit.score)
        answer = sight.ask("What was the revenue in the north region?")
        print(answer.text, [(c.file_name, c.page, c.box) for c in answer.citations])

An ingest reads each file into pages (ingest: a sandboxed worker process), then encodes and writes
them whole (index); a search runs the channels and fuses them (retrieve); an answer hands the
pages found to an answerer (generate). The CLI, the server and the benchmarks all come through here.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from ..core.errors import GenerationError, NotFound, PageSightError
from ..core.settings import Settings, get_settings
from ..core.types import (
    Answer,
    Document,
    FileOutcome,
    Filters,
    Page,
    SearchResult,
    find_document,
    validate_collection_name,
    validate_tags,
)
from ..generate import ANSWERERS, Answerer, Evidence, load_answerer
from ..index import Encoders, Indexer, Store, load_encoders, open_store, resolve_profile
from ..index.profiles import profile_models, snapshot
from ..index.store import now
from ..ingest import ExtractionWorker, ExtractOptions, document_id, find_files, inspect
from ..retrieve import Retriever
from .backend import Backend, CollectionInfo

__all__ = ["Models", "PageSight"]

log = logging.getLogger(__name__)


class Models:
    """The profile's encoders and answerers, each loaded on first use and shared by every collection
    (and every thread) of a process."""

    def __init__(self, settings: Settings, encoders: Encoders | None = None):
        self.settings = settings
        if encoders is not None:  # already loaded (a test's, a benchmark's)
            self.profile, self.profile_why = encoders.profile, "given"
        else:
            self.profile, self.profile_why = resolve_profile(settings)
        self._encoders = encoders
        self._answerers: dict[str, Answerer] = {}
        self._lock = threading.RLock()

    @property
    def encoders(self) -> Encoders:
        with self._lock:
            if self._encoders is None:
                self._encoders = load_encoders(self.settings, self.profile)
            return self._encoders

    def answerer_choice(self, kind: str | None = None) -> tuple[str, str]:
        """Which answerer runs, and in a few words why."""
        kind = kind or self.settings.answerer
        if kind != "auto":
            if kind not in ANSWERERS:
                raise GenerationError(f"unknown answerer {kind!r}: choose auto, {', '.join(ANSWERERS)}")
            return kind, "asked for" if kind != self.settings.answerer else "set by PAGESIGHT_ANSWERER"
        if self.settings.remote_url:
            return "remote", f"PAGESIGHT_REMOTE_URL is set ({self.settings.remote_url})"
        generator = profile_models(self.profile, self.settings).get("generator")
        if generator is None:
            return "extractive", f"the {self.profile} profile has no generator"
        if snapshot(generator) is None:
            return "extractive", f"{generator} is not on disk (`pagesight models pull` fetches it)"
        return "local", f"{generator} is on disk"

    def answerer(self, kind: str | None = None) -> Answerer:
        kind, why = self.answerer_choice(kind)
        with self._lock:
            if kind not in self._answerers:
                log.info("answerer: %s (%s)", kind, why)
                generator = profile_models(self.profile, self.settings).get("generator")
                text = self.encoders.text if kind == "extractive" else None
                self._answerers[kind] = load_answerer(kind, self.settings, text_encoder=text, generator_model=generator)
            return self._answerers[kind]


class PageSight(Backend):
    """One collection, with the profile's models: ingest, documents, delete, search, ask, evaluate.

    The store opens on first use and belongs to this process until `close()` (an embedded collection
    can be open in one process at a time). Methods may be called from several threads."""

    def __init__(self, collection: str | None = None, settings: Settings | None = None, *,
                 models: Models | None = None, store: Store | None = None):
        """`store`: a store opened already (by default the collection's, opened on first use)."""
        self.settings = settings or get_settings()
        self.collection = validate_collection_name(collection or (store.name if store else self.settings.collection))
        self.models = models or Models(self.settings)
        self._store: Store | None = store
        self._indexer: Indexer | None = None
        self._worker: ExtractionWorker | None = None
        self._lock = threading.RLock()

    def sibling(self, collection: str | None) -> PageSight:
        """Another collection with the same settings and the same loaded models."""
        return PageSight(collection, self.settings, models=self.models)

    # ---- the parts, opened on first use ---------------------------------------------------------

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.settings, self.collection)
            return self._store

    @property
    def exists(self) -> bool:
        """Whether the collection has been created (something was ingested into it once)."""
        return self.store.schema is not None

    def _require(self) -> Store:
        store = self.store
        if store.schema is None:
            raise NotFound(f"collection {self.collection!r} does not exist in {self.where}; ingest something first")
        return store

    @property
    def where(self) -> str:
        return self.settings.qdrant_url or str(self.settings.data_dir)

    def retriever(self) -> Retriever:
        return Retriever(self._require(), self.models.encoders, self.settings)

    # ---- ingestion ------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], *, tags: Sequence[str] = (), password: str | None = None,
               on_file: Callable[[FileOutcome], None] | None = None,
               on_pages: Callable[[Path, int, int], None] | None = None, optimize: bool = True) -> list[FileOutcome]:
        """Files, folders (walked) or globs into the collection: an outcome per file, in input order; one
        bad file never stops the others. Ends by building the collection's indexes (`optimize`)."""
        tags = validate_tags(tags)
        outcomes, seen = [], set()
        for raw in paths:  # in the order given: each input's files, or why it names none
            files, missing = find_files([str(raw)])
            todo: list = [*missing, *(f for f in files if f not in seen)]
            seen.update(files)
            for item in todo:
                if isinstance(item, FileOutcome):
                    outcome = item
                else:
                    progress = (lambda done, total, path=item: on_pages(path, done, total)) if on_pages else None
                    outcome = self.ingest_file(item, tags=tags, password=password, on_pages=progress)
                outcomes.append(outcome)
                if on_file:
                    on_file(outcome)
        if optimize:
            self.optimize()
        return outcomes

    def ingest_file(self, path: Path, *, tags: Sequence[str] = (), password: str | None = None,
                    file_name: str | None = None, source: str | None = None,
                    on_pages: Callable[[int, int], None] | None = None) -> FileOutcome:
        """One file. `file_name` stands in for the path's when the path is not the document's own (an
        upload's temporary file); `source` is what a later version of the file replaces it by (the
        path, by default; an upload replaces nothing unless it names one). `on_pages(done, total)`."""
        path = Path(path).resolve()
        name = file_name or path.name

        def failed(reason: str) -> FileOutcome:
            # Reasons quote library messages, which may name the path; an upload's path is the server's business.
            return FileOutcome(str(path), "failed", reason=reason.replace(str(path), name))

        try:
            return self._ingest(path, validate_tags(tags), password, name,
                                str(path) if source is None else source, on_pages)
        except PageSightError as e:
            log.info("%s failed: %s", path, e.reason)
            return failed(e.reason)
        except OSError as e:
            return failed(f"cannot read the file ({e.strerror or e})")
        except ValueError as e:  # tags
            return failed(str(e))
        except Exception as e:  # a bug or an encoder failure: the store is already rolled back
            log.exception("unexpected failure ingesting %s", path)
            return failed(f"unexpected error ({type(e).__name__}: {e})")

    def _ingest(self, path: Path, tags: list[str], password: str | None, file_name: str, source: str,
                on_pages: Callable[[int, int], None] | None) -> FileOutcome:
        media_type = inspect(path, self.settings.max_file_mb)
        doc_id = document_id(path)
        store = self.store
        existing = store.get_document(doc_id)
        if existing is not None:
            return FileOutcome(str(path), "unchanged", doc_id, existing.pages, reason="already indexed")
        replaces = [d.id for d in store.documents_from(source)] if source else []
        indexer, worker = self._ingest_parts()
        staging = store.images.new_staging(doc_id)
        try:
            options = ExtractOptions.from_settings(self.settings, password=password)
            extracted = worker.run(path, media_type, staging, options, self.settings.file_timeout_s)
            doc = Document(id=doc_id, file_name=file_name, source=source, media_type=media_type,
                           pages=len(extracted.pages), tags=tags, ingested_at=now(), repaired=extracted.repaired,
                           warnings=extracted.warnings)
            if on_pages:
                on_pages(0, doc.pages)
            indexer.add(doc, extracted.pages, staging, replaces=replaces)
            if on_pages:
                on_pages(doc.pages, doc.pages)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return FileOutcome(str(path), "replaced" if replaces else "ingested", doc_id, doc.pages,
                           warnings=extracted.warnings)

    def _ingest_parts(self) -> tuple[Indexer, ExtractionWorker]:
        with self._lock:
            if self._indexer is None:
                self._indexer = Indexer(self.store, self.models.encoders, self.settings)
            if self._worker is None:
                self._worker = ExtractionWorker(self.settings.worker_memory_mb)
            return self._indexer, self._worker

    @property
    def worker_peak_rss_mb(self) -> float:
        """The largest resident size an extraction worker of this collection reached so far."""
        return self._worker.peak_rss_mb if self._worker else 0.0

    def optimize(self) -> None:
        """Build the collection's indexes over what was ingested since the last time (see Indexer.optimize)."""
        if self._indexer is not None:
            self._indexer.optimize()

    # ---- documents ------------------------------------------------------------------------------

    def documents(self, tags: Sequence[str] | None = None) -> list[Document]:
        return self.store.documents(tuple(tags) if tags else None)

    def document(self, ref: str) -> Document:
        return find_document(self.store.documents(), ref)

    def delete(self, ref: str) -> Document:
        doc = self.document(ref)
        self.store.delete_document(doc.id)
        return doc

    def page(self, doc_id: str, number: int) -> Page:
        found = self.store.page(doc_id, number)
        if found is None:
            raise NotFound(f"no page {number} in document {doc_id}")
        return found

    # ---- search and answers ---------------------------------------------------------------------

    def search(self, query: str, k: int = 5, filters: Filters | None = None,
               channels: Sequence[str] | None = None) -> SearchResult:
        return self.retriever().search(query, k, filters, channels)

    def ask_stream(self, question: str, k: int | None = None, filters: Filters | None = None,
                   answerer: str | None = None) -> Iterator[SearchResult | str | Answer]:
        k = k or self.settings.answer_pages
        model = self.models.answerer(answerer)
        result = self.search(question, k, filters)
        yield result
        yield from model.stream(question, self.evidence(result))

    def evidence(self, result: SearchResult) -> list[Evidence]:
        """The pages found, numbered [1].. as the answerer will cite them, each with its whole page."""
        store = self.store
        return [Evidence(marker, hit, store.page(hit.doc_id, hit.page),
                         Path(hit.image_path) if hit.image_path else None)
                for marker, hit in enumerate(result.hits, start=1)]

    # ---- about the collection -------------------------------------------------------------------

    def info(self) -> CollectionInfo:
        info = CollectionInfo(name=self.collection, exists=self.exists, where=self.where, profile=self.models.profile,
                              profile_why=self.models.profile_why)
        info.answerer, info.answerer_why = self.models.answerer_choice()
        if not info.exists:
            return info
        schema = self.store.schema
        docs = self.store.documents()
        info.documents, info.pages = len(docs), sum(d.pages for d in docs)
        info.encoders = {kind: spec.describe() for kind in ("page", "image", "text", "sparse")
                         if (spec := getattr(schema, kind)) is not None}
        info.channels, info.skipped = self.retriever().channels()
        return info

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.close()
                self._worker = None
            if self._store is not None:
                self._store.close()
                self._store = None
            self._indexer = None
