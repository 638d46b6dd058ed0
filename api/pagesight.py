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

import base64
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ..core.errors import Busy, GenerationError, NotFound
from ..core.i18n import answer_locale, say
from ..core.language import main_language
from ..core.settings import Settings, get_settings
from ..core.types import (
    Answer,
    Document,
    FileOutcome,
    Filters,
    Page,
    Picture,
    SearchResult,
    Turn,
    find_document,
    title_of,
    validate_collection_name,
    validate_tags,
)
from ..generate import ANSWERERS, Answerer, Evidence, Resolved, load_answerer, no_such_page
from ..index import (
    CollectionSchema,
    Encoders,
    Indexer,
    Store,
    TextEncoder,
    collection_names,
    load_encoders,
    open_store,
    resolve_profile,
)
from ..index.encoders import MINILM, Bm25Encoder
from ..index.profiles import profile_models, shared_text_encoder, snapshot, text_model, text_runtime
from ..ingest import Budget, ExtractionPool, find_files
from ..ingest.ocr import ocr_languages_of
from ..ingest.picture import Read, read_picture, still
from ..retrieve import Retriever
from ..retrieve.channels import CHANNELS, available
from ..retrieve.picture import MIN_WORDS, held, picture_query, words_of
from .backend import Backend, CollectionInfo, PageView
from .pipeline import FileSpec, Pipeline

__all__ = ["PICTURE_NOT_FOUND", "Models", "PageSight", "scoped"]

PICTURE_NOT_FOUND = ("Not in these documents: the picture matches no page of them well (few of its words are on "
                     "the nearest page), so there is nothing to answer from.")

log = logging.getLogger(__name__)


def scoped(filters: Filters | None, documents: Sequence[str] | None) -> Filters | None:
    """The filters a follow-up is searched with: the documents carried from the conversation, unless the
    question is already limited to documents of its own."""
    if not documents or (filters is not None and filters.documents):
        return filters
    return replace(filters or Filters(), documents=tuple(documents))


class Admission:
    """At most `running` answers generated at once, and `waiting` more waiting for a turn; beyond, Busy at
    once. A slow answerer (a remote VLM that takes a minute) then holds at most running + waiting of a
    server's threads, and searches, health checks and everything else keep theirs."""

    def __init__(self, running: int, waiting: int):
        self._turns = threading.BoundedSemaphore(running)
        self._admitted, self._limit = 0, running + waiting
        self._lock = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._admitted >= self._limit:
                raise Busy(f"{self._admitted} answers are being generated or waiting, the most this server takes "
                           "at once (PAGESIGHT_ANSWER_CONCURRENCY, PAGESIGHT_ANSWER_QUEUE); ask again shortly")
            self._admitted += 1
        try:
            with self._turns:
                yield
        finally:
            with self._lock:
                self._admitted -= 1


class Models:
    """The profile's encoders and answerers, each loaded on first use and shared by every collection
    (and every thread) of a process; the process's admission of answers (`answering`) and its extraction
    workers (`extraction`), which run while a collection using them is open (`attach`, `detach`)."""

    def __init__(self, settings: Settings, encoders: Encoders | None = None):
        self.settings = settings
        self._given = encoders is not None  # already loaded (a test's, a benchmark's): used as they are
        if encoders is not None:
            self.profile, self.profile_why = encoders.profile, "given"
        else:
            self.profile, self.profile_why = resolve_profile(settings)
        self._encoders = encoders
        self._text: dict[tuple[str | None, str], TextEncoder] = {}  # (model, runtime) -> other text encoders,
        # for collections built with them
        self._sparse: dict[str, Bm25Encoder] = {}  # language -> BM25 of collections built before "auto"
        self._answerers: dict[tuple[str, str | None], Answerer] = {}  # (kind, text runtime) -> answerer
        self._lock = threading.RLock()
        self.answering = Admission(settings.answer_concurrency, settings.answer_queue)
        self._pool: ExtractionPool | None = None
        self._users = 0  # collections open on these models

    @property
    def encoders(self) -> Encoders:
        """The profile's encoders, the text model on the runtime a new collection gets."""
        with self._lock:
            if self._encoders is None:
                self._encoders = load_encoders(self.settings, self.profile)
            return self._encoders

    def encoders_for(self, schema: CollectionSchema | None, language: str | None = None) -> Encoders:
        """The encoders that can read a collection: its text vectors are queried (and added to) with the
        model and runtime that made them, a new collection's with the settings'. The first collection used
        decides what the profile's encoders load with, so a process that serves one older collection loads
        one text encoder, not two. `language`: a new collection's (its first pages'), which may choose its
        text model."""
        if self._given:
            return self.encoders
        return self._with_sparse(self._text_encoders(schema, language), schema)

    def _with_sparse(self, encoders: Encoders, schema: CollectionSchema | None) -> Encoders:
        """`encoders` with the BM25 a collection records (built before BM25 read each page in its language,
        it reads all in English)."""
        recorded = schema.sparse if schema is not None else None
        if recorded is None or encoders.sparse is None or encoders.sparse.spec.name == recorded.name:
            return encoders
        language = recorded.name.split(":", 1)[-1]
        with self._lock:
            if language not in self._sparse:
                self._sparse[language] = Bm25Encoder(language)
        return replace(encoders, sparse=self._sparse[language])

    def _text_encoders(self, schema: CollectionSchema | None, language: str | None = None) -> Encoders:
        recorded = schema.text if schema is not None else None
        model = text_model(self.settings, recorded, language)
        runtime = text_runtime(self.settings, recorded.runtime if recorded else None, model)
        with self._lock:
            if self._encoders is None:
                self._encoders = load_encoders(self.settings, self.profile, text_runtime_name=runtime,
                                               text_model_name=model)
            encoders = self._encoders
            if encoders.text is None or (encoders.text.spec.runtime == runtime
                                         and encoders.text.spec.name == (model or MINILM)):
                return encoders
            if (model, runtime) not in self._text:
                self._text[(model, runtime)] = shared_text_encoder(self.settings, runtime, model)
        return replace(encoders, text=self._text[(model, runtime)])

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

    @property
    def extraction(self) -> ExtractionPool:
        """The extraction workers that read the files ingested and the pictures asked, of every collection:
        a server with ten collections runs one pool's children (each a process of 150-220 MB), not ten, and
        the pool's lanes share them between uploaders whatever the collection. Started on first use, each
        child when there is work for it."""
        with self._lock:
            if self._pool is None:
                settings = self.settings
                self._pool = ExtractionPool(settings.extract_workers, settings.worker_memory_mb,
                                            settings.page_timeout_s, recycle_pages=settings.worker_recycle_pages,
                                            recycle_mb=settings.worker_recycle_mb,
                                            budget=Budget(settings.page_budget_s, ceiling=settings.document_budget_s))
            return self._pool

    def attach(self) -> None:
        """A collection opened on these models."""
        with self._lock:
            self._users += 1

    def detach(self) -> None:
        """A collection closed: the last one stops the extraction workers."""
        with self._lock:
            self._users -= 1
            last = self._users <= 0
        if last:
            self.close()

    def close(self) -> None:
        """Stop the extraction workers (files still waiting are cancelled); the models stay loaded, and a
        later ingest starts workers again."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def answerer(self, kind: str | None = None, schema: CollectionSchema | None = None) -> Answerer:
        """The answerer for a collection (its schema): the extractive one ranks sentences with the text
        encoder the collection's search already loaded, so no second runtime of the model is loaded."""
        kind, why = self.answerer_choice(kind)
        text = self.encoders_for(schema).text if kind == "extractive" else None
        key = (kind, f"{text.spec.name}/{text.spec.runtime}" if text is not None else None)
        with self._lock:
            if key not in self._answerers:
                log.info("answerer: %s (%s)", kind, why)
                generator = profile_models(self.profile, self.settings).get("generator")
                self._answerers[key] = load_answerer(kind, self.settings, text_encoder=text, generator_model=generator)
            return self._answerers[key]


class PageSight(Backend):
    """One collection, with the profile's models: ingest, documents, delete, search, ask, evaluate.

    The store opens on first use and belongs to this process until `close()` (an embedded collection
    can be open in one process at a time). Methods may be called from several threads."""

    def __init__(self, collection: str | None = None, settings: Settings | None = None, *,
                 models: Models | None = None, store: Store | None = None, where: str | None = None):
        """`store`: a store opened already (by default the collection's, opened on first use); `where`: how
        messages name the place of the collections (by default the data folder, or the Qdrant server's URL;
        a server names no path of its own machine to its clients)."""
        self.settings = settings or get_settings()
        self.collection = validate_collection_name(collection or (store.name if store else self.settings.collection))
        self.models = models or Models(self.settings)
        self.models.attach()
        self._attached = True  # until close()
        self._where = where
        self._store: Store | None = store
        self._indexer: Indexer | None = None
        self._lock = threading.RLock()
        self._writing = threading.Lock()  # ingests write to the collection one at a time
        # Searches at once: one a core. More only queue inside the encoder and the store, and on a small
        # machine they slow each other (8 clients: 22 req/s with one search at a time, 15 with eight).
        self._searching = threading.BoundedSemaphore(os.cpu_count() or 1)

    def sibling(self, collection: str | None) -> PageSight:
        """Another collection with the same settings and the same loaded models."""
        return PageSight(collection, self.settings, models=self.models, where=self._where)

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
        return self._where or self.settings.qdrant_url or str(self.settings.data_dir)

    def retriever(self) -> Retriever:
        store = self._require()
        return Retriever(store, self.models.encoders_for(store.schema), self.settings)

    # ---- ingestion ------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], *, tags: Sequence[str] = (), password: str | None = None,
               on_file: Callable[[FileOutcome], None] | None = None,
               on_progress: Callable[[int, int, int], None] | None = None, optimize: bool = True,
               cancel: threading.Event | None = None, languages: str | None = None) -> list[FileOutcome]:
        """Files, folders (walked) or globs into the collection: an outcome per file, in input order; one
        bad file never stops the others. `on_progress(pages read, pages written, pages known)`. Ends by
        building the collection's indexes (`optimize`). `cancel` set: it stops within a second or two, the
        files not written "cancelled", nothing of them indexed. `languages`: what OCR reads their scans in
        ("fra+eng"; PAGESIGHT_OCR_LANGUAGES when None, auto by default)."""
        specs: list[FileSpec | FileOutcome] = []
        seen: set[Path] = set()
        for raw in paths:  # in the order given: each input's files, or why it names none
            files, missing = find_files([str(raw)])
            specs.extend(missing)
            specs.extend(FileSpec(f) for f in files if f not in seen)
            seen.update(files)
        outcomes = self.ingest_specs(specs, tags=tags, password=password, on_file=on_file, on_progress=on_progress,
                                     cancel=cancel, languages=languages)
        if optimize and not (cancel is not None and cancel.is_set()):
            self.optimize(cancel)
        return outcomes

    def ingest_file(self, path: Path, *, tags: Sequence[str] = (), password: str | None = None,
                    file_name: str | None = None, source: str | None = None,
                    on_pages: Callable[[int, int], None] | None = None) -> FileOutcome:
        """One file. `file_name` stands in for the path's when the path is not the document's own (an
        upload's temporary file); `source` is what a later version of the file replaces it by (the
        path, by default; "" for nothing). `on_pages(done, total)`."""
        (outcome,) = self.ingest_specs([FileSpec(Path(path), file_name, source, on_pages)], tags=tags,
                                       password=password)
        return outcome

    def ingest_specs(self, specs: list[FileSpec | FileOutcome], *, tags: Sequence[str] = (),
                     password: str | None = None, on_file: Callable[[FileOutcome], None] | None = None,
                     on_progress: Callable[[int, int, int], None] | None = None, lane: str = "",
                     cancel: threading.Event | None = None, languages: str | None = None) -> list[FileOutcome]:
        """The pipeline (api/pipeline.py) over these files, in order. Several may run at once (in `lane`s of
        the extraction pool that take turns); they write one at a time. `cancel`: set, the ingest stops;
        `languages`: what OCR reads their scans in (ocr_languages_of)."""
        try:
            tags = validate_tags(tags)
            languages = ocr_languages_of(languages) if languages else None
        except ValueError as e:
            return [s if isinstance(s, FileOutcome) else FileOutcome(str(s.path), "failed", reason=str(e))
                    for s in specs]
        return self._pipeline().run(specs, tags, password, on_file, on_progress, lane=lane, cancel=cancel,
                                    languages=languages)

    def _pipeline(self) -> Pipeline:
        return Pipeline(self.store, self._indexer_for, self.models.extraction, self.settings, self._writing)

    def _indexer_for(self, pages: list[Page]) -> Indexer:
        """The collection's indexer, made when pages are first written to it: a new collection's text model is
        chosen by their language, unless PAGESIGHT_TEXT_MODEL chooses it (profiles.text_model), and recorded."""
        with self._lock:
            if self._indexer is None:
                language = main_language(page.language for page in pages) if self.store.schema is None else None
                self._indexer = Indexer(self.store, self.models.encoders_for(self.store.schema, language),
                                        self.settings)
            return self._indexer

    def optimize(self, cancel: threading.Event | None = None) -> None:
        """Build the collection's indexes if points were written or deleted since they were last built
        (the embedded store only builds them when asked: without it every search scans). A failure
        loses nothing: the documents are in, searches stay exact, only slower. The embedded store
        builds on a copy in a child process, so a server calls this while it answers (index/edge.py)."""
        store = self.store
        if not store.unoptimised:
            return
        try:
            store.optimize(cancel)
        except Exception as e:  # e.g. too little disk for the rebuilt segments, or cancelled
            log.warning("collection %r was not optimised (%s); searches scan it until it is "
                        "(pagesight index optimize)", self.collection, e)

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
            doc = self.document(doc_id)  # NotFound for a document that is not here
            raise NotFound(f"no page {number} in document {doc.id} ({doc.file_name} has {doc.pages})")
        return found

    def page_view(self, ref: str, number: int) -> PageView:
        doc = self.document(ref)
        if not 1 <= number <= doc.pages:
            raise NotFound(f"no page {number} in document {doc.id} ({doc.file_name} has {doc.pages})")
        page = self.page(doc.id, number)
        store = self.store
        path = store.image_path(store.images.relative(doc.id, page.image))
        try:
            image = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no image for page {number} of {doc.file_name} (the document was deleted)") from None
        return PageView(doc, page, image, "image/png" if path.suffix == ".png" else "image/jpeg")

    # ---- search and answers ---------------------------------------------------------------------

    def search(self, query: str = "", k: int = 5, filters: Filters | None = None,
               channels: Sequence[str] | None = None, steps: Sequence[str] | None = None, *,
               image: bytes | None = None) -> SearchResult:
        """`steps`: only these of the steps after the channels (retrieve/steps.py; by default every one
        whose weight is not 0). `image`: a picture asked as (part of) the question (a screenshot, a photo of
        a page; PNG, JPEG, WebP or TIFF bytes): read by OCR and searched by its words with `query`'s;
        SearchResult.picture says what was read, and when it matches no page well, no page is returned
        (or, with words typed, the words alone are searched)."""
        if image is None:
            if not query.strip():
                raise ValueError("nothing to search: give a question, a picture, or both")
            with self._searching:
                return self.retriever().search(query, k, filters, channels, steps)
        self._require()
        return self.search_picture(self.read_picture(image), query, k, filters, channels, steps)

    def search_picture(self, read: Read, query: str = "", k: int = 5, filters: Filters | None = None,
                       channels: Sequence[str] | None = None, steps: Sequence[str] | None = None) -> SearchResult:
        """`search` for a picture read already (`read_picture`). The channels that can embed a picture (the
        full profile's page encoder and CLIP) search by the picture itself; the others by its words. With
        words, the best page must hold enough of them (`picture_min_held`); a picture without words is
        kept only when a channel embedded it (unmeasured: no bar)."""
        retriever = self.retriever()
        read_words = words_of(read.page.text)
        picture = Picture(read.page.text, read.seconds, len(read_words),
                          thumbnail="data:image/jpeg;base64," + base64.b64encode(read.thumbnail).decode()
                          if read.thumbnail else "")
        embedded = [name for name, c in CHANNELS.items() if c.encode_picture is not None
                    and (channels is None or name in channels) and getattr(retriever.encoders, c.encoder) is not None]
        pictured = channels  # the channels asked for; by default, its words by those chosen for them
        if pictured is None:
            worded_by = {c.strip() for c in self.settings.picture_word_channels.split(",")}
            pictured = [name for name in CHANNELS if name in worded_by or name in embedded]
        image = still(read.data, self.settings.picture_side_px) if embedded and read.data else None
        worded = picture.words >= MIN_WORDS
        result = SearchResult(hits=[], channels=[], skipped={"picture": "no words could be read in the picture"})
        if worded or image is not None:
            words = picture_query(read.page.text, query) if worded else ""
            depth = max(k, self.settings.picture_rerank_depth) if worded else k
            with self._searching:
                result = retriever.search(words, depth, filters, pictured, steps, picture=image)
            if worded and result.hits:
                # The page a picture shows holds its words: the pages found are ranked by how many they hold
                # (the search's order breaks ties), and the best one's share is the picture's `held`.
                shares = [held(read_words, self.store.page(h.doc_id, h.page).text) for h in result.hits]
                order = sorted(range(len(shares)), key=lambda i: (-round(shares[i], 2), i))
                result.hits = [result.hits[i] for i in order][:k]
                picture.held = shares[order[0]]
            picture.matched = picture.held >= self.settings.picture_min_held if worded else bool(result.hits)
            if not picture.matched and worded:
                result.hits, result.skipped["picture"] = [], (
                    f"the picture matches no page well: {picture.held:.0%} of its words on the nearest page")
        if not picture.matched and query.strip():  # the words typed are searched on their own, as a question is
            with self._searching:
                result = replace(retriever.search(query, k, filters, channels, steps), skipped=result.skipped)
        result.picture = picture
        return result

    def read_picture(self, image: bytes) -> Read:
        """A picture's words, read by OCR as a scan's are, in an extraction worker (ingest/picture.py)."""
        from ..ingest.extract import ExtractOptions

        settings = self.settings
        return read_picture(image, self.models.extraction, ExtractOptions.from_settings(settings),
                            max_bytes=int(settings.max_picture_mb * 2**20), picture_side=settings.picture_side_px,
                            max_side_px=settings.max_picture_side_px)

    def ask_stream(self, question: str = "", k: int | None = None, filters: Filters | None = None,
                   answerer: str | None = None, history: Sequence[Turn] = (), *,
                   image: bytes | None = None) -> Iterator[SearchResult | str | Answer]:
        """The pages found, the answer's text as it comes, the Answer. The answer takes its turn among the
        process's answers first (Busy, raised by the first `next()`, when too many run and wait). With an
        `image`, the pages are those the picture shows (`search`), and the answerer is asked the question
        with the picture's words; a picture of nothing in these documents is answered so."""
        k = k or self.settings.answer_pages
        with self.models.answering():
            model = self.models.answerer(answerer, self.store.schema)
            resolved = self.resolve(question, history, answerer) if question.strip() else Resolved(question)
            carried = resolved.documents if self.settings.followup_scope else None
            result = self.search(resolved.question, k, scoped(filters, carried), image=image)
            asked = resolved.question
            if result.picture is not None:
                if not result.hits:
                    yield result
                    text = say(PICTURE_NOT_FOUND, answer_locale(question or result.picture.text))  # its words
                    yield text
                    yield Answer(text=text, extractive=model.extractive, answerer=model.name, abstained=True,
                                 question=asked)
                    return
                asked = picture_query(result.picture.text[:600], question)
            result.question, result.rewritten_by = asked, resolved.rewritten_by
            yield result
            if result.absent:  # pages its document does not have: nothing of them to read
                text = say(no_such_page(result.absent), answer_locale(question))
                yield text
                yield Answer(text=text, extractive=model.extractive, answerer=model.name, abstained=True,
                             question=asked)
                return
            for item in model.stream(asked, self.evidence(result), self.titles()):
                yield item.model_copy(update={"question": asked}) if isinstance(item, Answer) else item

    def resolve(self, question: str, history: Sequence[Turn] = (), answerer: str | None = None) -> Resolved:
        """A follow-up as the standalone question it will be searched as, rewritten by the answerer's
        model when it has one, by rule otherwise (generate/followup.py)."""
        if not history:
            return Resolved(question)
        return self.models.answerer(answerer, self.store.schema).rewrite(question, history)

    def titles(self) -> list[str]:
        """The titles of the collection's documents: what it has documents about, and of when."""
        return [title_of(name) for name in self.store.file_names().values()]

    def evidence(self, result: SearchResult) -> list[Evidence]:
        """The pages found, numbered [1].. as the answerer will cite them, each with its whole page."""
        store = self.store
        return [Evidence(marker, hit, store.page(hit.doc_id, hit.page),
                         Path(hit.image_path) if hit.image_path else None)
                for marker, hit in enumerate(result.hits, start=1)]

    # ---- about the collection -------------------------------------------------------------------

    def answerer_choice(self, kind: str | None = None) -> tuple[str, str]:
        return self.models.answerer_choice(kind)

    def collections(self) -> list[str]:
        return collection_names(self.settings)

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
        # From what the profile names, without loading a model.
        roles = set(profile_models(self.models.profile, self.settings)) | {"sparse"}
        info.channels, info.skipped = available(roles, schema, self.models.profile)
        return info

    def close(self) -> None:
        with self._lock:
            if self._attached:
                self._attached = False
                self.models.detach()  # the last collection open on the models stops their workers
            if self._store is not None:
                self._store.close()
                self._store = None
            self._indexer = None
