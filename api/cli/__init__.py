"""The `pagesight` command: a thin parser over a backend (`PageSight` here, or `ServerClient` with
--server); each command parses, calls the backend, renders. Heavy imports wait for the command."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from .terminal import err, marked, out, plain, safe, table

app = typer.Typer(no_args_is_help=True, add_completion=False, help="PageSight: ask your PDFs and images.")
documents_app = typer.Typer(no_args_is_help=True, help="List and delete indexed documents.")
app.add_typer(documents_app, name="documents")
models_app = typer.Typer(no_args_is_help=True, help="The models each profile uses: list, pull, build the tiny ones.")
app.add_typer(models_app, name="models")
index_app = typer.Typer(no_args_is_help=True, help="Collections as a whole: build indexes, move one to a "
                        "Qdrant server.")
app.add_typer(index_app, name="index")

Collection = Annotated[str | None, typer.Option("--collection", "-c", help="collection name (default: 'default')")]
Doc = Annotated[list[str] | None, typer.Option("--doc", help="only these documents: id, unique id prefix or file "
                                                "name (repeatable)")]
File = Annotated[str | None, typer.Option("--file", help="only files whose name matches this glob")]
Tag = Annotated[list[str] | None, typer.Option("--tag", "-t", help="only documents with any of these tags")]
Pages = Annotated[str | None, typer.Option("--pages", help="page range: 3-7, 3-, -7 or 5")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]
Image = Annotated[Path | None, typer.Option("--image", help="a picture as the question (a screenshot or a photo of "
                                            "a page; PNG, JPEG, WebP, TIFF), with the words given, if any")]

_state: dict = {"server": None, "verbose": False}


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import version

        out.print(f"pagesight {version('pagesight')}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    server: Annotated[str | None, typer.Option(
        "--server", envvar="PAGESIGHT_SERVER", help="send ingest, documents, search and ask to a running "
        "`pagesight serve` at this URL (a server running on this data folder is found by itself)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="say more: the profile and why, the server "
                                          "used, the log")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    _state["server"], _state["verbose"] = server, verbose
    if verbose:
        logging.getLogger("pagesight").setLevel(logging.INFO)


# ---- helpers --------------------------------------------------------------------------------------

def _settings():
    from ...core.settings import get_settings

    return get_settings()


def _locale() -> str:
    from ...core.i18n import terminal_locale

    return terminal_locale(_settings().locale)


def _t(message: str) -> str:
    """A message in the terminal's language (core/i18n.py)."""
    from ...core.i18n import say

    return say(message, _locale())


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]{_t('error')}:[/red] {safe(_t(message))}", highlight=False)
    raise typer.Exit(code)


def _say(message: str) -> None:
    """A line about what the command does, on stderr (never mixed into what it prints)."""
    err.print(safe(_t(message)), highlight=False)


def _json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


class _failures:
    """Errors a user can act on become one line and exit code 2, never a traceback."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb) -> bool:
        from ...core.errors import PageSightError

        if isinstance(error, PageSightError | ValueError):
            _fail(str(error))
        return False


def _backend(collection: str | None, *, announce: bool = False):
    """The backend commands call (`open_backend`: the server given by --server or running on this data
    folder, else PageSight here). `announce`: say which profile builds a new local collection, and under
    -v which profile or server runs."""
    from ..client import ServerClient
    from ..opener import open_backend

    with _failures():
        backend = open_backend(collection, _settings(), server=_state["server"])
        if isinstance(backend, ServerClient):
            if _state["verbose"]:
                _say(f"using the server at {backend.where}")
        elif announce and (_state["verbose"] or not backend.exists):
            _say(f"profile: {backend.models.profile} ({backend.models.profile_why})")
    return backend


@contextmanager
def _interruptible() -> Iterator[threading.Event]:
    """While long work runs: Ctrl-C sets the event it watches, and it stops within a second or two, leaving
    nothing partial (its children ignore the terminal's signal: the work stops them); a second Ctrl-C
    stops at once."""
    cancel = threading.Event()

    def interrupted(signum, frame) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        _say("interrupted: stopping (the file being read is not indexed; Ctrl-C again to stop at once)")

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def _filters(doc, tag, file, pages):
    from ...core.types import Filters, parse_pages

    try:
        page_range = parse_pages(pages)
    except ValueError as e:
        _fail(f"--pages: {e}")
    return Filters(documents=tuple(doc) if doc else None, tags=tuple(tag) if tag else None, file=file,
                   pages=page_range)


# ---- ingest and documents -------------------------------------------------------------------------

@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="files, folders (walked recursively) or glob patterns")],
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="tag the documents (repeatable)")] = None,
    collection: Collection = None,
    password: Annotated[str | None, typer.Option(help="password for encrypted PDFs")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="what OCR reads scans in: codes joined by + "
                                             "(fra+eng), or auto (English, or the language the pages show)")] = None,
    as_json: AsJson = False,
) -> None:
    """Ingest PDFs and images: render pages, extract text and figures, OCR scans, index."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from ...ingest import find_files
    from ...ingest.ocr import ocr_languages_of

    files, missing = find_files(paths)
    if not files and not missing:
        _fail("no supported files found (PDF, PNG, JPEG, TIFF, WebP)")
    if lang:
        try:
            lang = ocr_languages_of(lang)
        except ValueError as e:
            _fail(str(e))
    with _backend(collection, announce=True) as backend, _failures(), Progress(
        TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
        TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    ) as progress:
        started = time.perf_counter()
        reading = progress.add_task("reading", total=None, rate="")
        writing = progress.add_task("indexing", total=None, rate="")

        def show(read: int, written: int, known: int) -> None:
            rate = f"{written / max(time.perf_counter() - started, 1e-9):.1f} pages/s" if written else ""
            progress.update(reading, completed=read, total=known or None)
            progress.update(writing, completed=written, total=known or None, rate=rate)

        with _interruptible() as cancel:
            outcomes = backend.ingest(paths, tags=tag or [], password=password, on_progress=show, cancel=cancel,
                                      languages=lang)
    if as_json:
        _json([o.__dict__ for o in outcomes])
    else:
        rows = [[os.path.basename(o.path) or o.path, o.status, str(o.pages or ""), (o.doc_id or "")[:12],
                 o.reason or "; ".join(o.warnings)] for o in outcomes]
        table(f"ingest into {backend.collection!r} ({backend.where})", ["file", "status", "pages", "document",
                                                                       "reason / warnings"], rows)
        statuses = ("ingested", "replaced", "unchanged", "failed", "cancelled")
        counts = {s: sum(o.status == s for o in outcomes) for s in statuses}
        out.print(", ".join(f"{n} {s}" for s, n in counts.items() if n or s != "cancelled"), markup=False,
                  highlight=False)
    if cancel.is_set():
        raise typer.Exit(130)  # as a shell reports a command stopped by Ctrl-C
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


@documents_app.command("list")
def documents_list(collection: Collection = None, tag: Tag = None, as_json: AsJson = False) -> None:
    """Documents in the collection, with their page counts."""
    with _backend(collection) as backend, _failures():
        docs = backend.documents(tag)
    if as_json:
        _json([d.model_dump(mode="json") for d in docs])
        return
    table(f"{len(docs)} documents in {backend.collection!r} ({backend.where})",
          ["id", "file", "pages", "tags", "ingested"],
          [[d.id, d.file_name, str(d.pages), ", ".join(d.tags), d.ingested_at.strftime("%Y-%m-%d %H:%M")]
           for d in docs])


@documents_app.command("delete")
def documents_delete(
    ref: Annotated[str, typer.Argument(help="document id, a unique prefix of it, or its file name")],
    collection: Collection = None,
) -> None:
    """Delete a document: its points and its page images."""
    with _backend(collection) as backend, _failures():
        doc = backend.delete(ref)
    out.print(f"deleted {doc.id} ({safe(doc.file_name)})")


# ---- search and answers ---------------------------------------------------------------------------

def _picture(path: Path | None, words: str) -> bytes | None:
    """The picture given by --image, read whole; a clear error when there is none to read, or nothing asked."""
    if path is None:
        if not words.strip():
            _fail("nothing to ask: give a question, --image PICTURE, or both")
        return None
    limit = _settings().max_picture_mb
    try:
        if path.stat().st_size > limit * 2**20:  # said before a byte is read: a picture is never that large
            _fail(f"{path}: the picture is {path.stat().st_size / 2**20:.1f} MB; the limit is {limit:g} MB")
        return path.read_bytes()
    except OSError as e:
        _fail(f"{path}: cannot read the picture ({e.strerror or e})")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="the question (with --image: words to add, or none)")] = "",
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="number of pages")] = 5,
    doc: Doc = None, file: File = None, tag: Tag = None, pages: Pages = None,
    collection: Collection = None,
    image: Image = None,
    as_json: AsJson = False,
) -> None:
    """The pages that best match the question: visual, figure and text channels, fused. With --image, the
    pages the picture shows (a screenshot or a photo of a page), found by its words."""
    filters = _filters(doc, tag, file, pages)
    picture = _picture(image, query)
    with _backend(collection, announce=True) as backend, _failures():
        result = backend.search(query, k, filters, image=picture)
    if as_json:
        _json({"channels": result.channels, "skipped": result.skipped,
               "hits": [h.model_dump(mode="json") for h in result.hits],
               "picture": {k: v for k, v in result.picture.__dict__.items() if k != "thumbnail"}
               if result.picture else None, "absent": result.absent})
        return
    from ...retrieve.picture import picture_query
    from ...retrieve.snippets import matched_words

    if _state["verbose"]:
        skipped = "; ".join(f"{c} skipped: {why}" for c, why in result.skipped.items())
        _say(f"channels: {', '.join(result.channels) or 'none'}" + (f" ({skipped})" if skipped else ""))
    if result.picture is not None:
        _say(_t(f"the picture: {result.picture.words} words read in {result.picture.read_s:.1f} s, "
                f"{result.picture.held:.0%} of them on the best page"))
        query = picture_query(result.picture.text, query)
    if result.absent:  # pages the document does not have: the pages below are the nearest to the words
        _say(f"not in these documents: {result.absent}")
    if not result.hits:
        if result.picture is not None and not result.picture.matched:
            why = result.skipped.get("picture", "the picture matches no page")
            out.print(safe(_t(f"not in these documents: {why}")))
        else:
            out.print(_t("no results (do the filters match?)"))
    for rank, h in enumerate(result.hits, 1):
        found = _t("found by " + " and ".join(h.channels))
        out.print(f"[bold]{rank}. {safe(h.file_name)}[/bold], page {h.page}  [dim]({found})[/dim]", highlight=False)
        text = plain(h.text)
        out.print("   " + (marked(text, matched_words(text, query)) if out.is_terminal else safe(text)),
                  highlight=False)
        out.print(f"   [dim]{safe(h.image_path)}[/dim]", highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question (with --image, it may be left out)")] = "",
    k: Annotated[int | None, typer.Option("-k", min=1, max=20, help="pages the answerer reads")] = None,
    doc: Doc = None, file: File = None, tag: Tag = None, pages: Pages = None,
    answerer: Annotated[str | None, typer.Option(help="auto, local, remote or extractive")] = None,
    collection: Collection = None,
    image: Image = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the answer, citations and pages as JSON")] = False,
) -> None:
    """Answer from the best pages, streaming, then list the citations (page, box, image)."""
    from ...core.types import Answer, SearchResult

    filters = _filters(doc, tag, file, pages)
    picture = _picture(image, question)
    with _backend(collection, announce=True) as backend, _failures():
        kind, why = backend.answerer_choice(answerer)
        err.print(safe(_t(f"answerer: {kind} ({why})")), highlight=False)
        found, final = None, None
        for event in backend.ask_stream(question, k, filters, answerer, image=picture):
            if isinstance(event, SearchResult):
                found = event
            elif isinstance(event, Answer):
                final = event
            elif not as_json:
                sys.stdout.write(plain(event))
                sys.stdout.flush()
    if as_json:
        _json({"answer": final.model_dump(mode="json", exclude={"pages"}), "channels": found.channels if found else [],
               "pages": [h.model_dump(mode="json") for h in final.pages]})
        return
    sys.stdout.write("\n")
    if final.extractive and not final.abstained:
        err.print(f"[dim]({_t('quoted from the pages, not generated')})[/dim]", highlight=False)
    if final.dropped_citations:
        err.print(f"dropped citations to pages not given: {safe(', '.join(final.dropped_citations))}", highlight=False)
    if final.citations:
        out.print("[bold]citations[/bold]")
    for c in final.citations:
        box = _t("box") + " " + ", ".join(f"{v:.0f}" for v in c.box) + " pt" if c.box else _t("whole page")
        out.print(f"[{c.marker}] {plain(c.file_name)}, page {c.page} ({box})", highlight=False, markup=False)
        out.print(f"    {safe(c.image_path or '')}", highlight=False)
    for claim in final.unsupported:
        lacking = ", ".join(claim.missing) or "its words"
        err.print(f"[yellow]{_t('not supported by the page it cites')}:[/yellow] {safe(claim.text)} "
                  f"[dim]({_t('the page does not hold')} {safe(lacking)})[/dim]", highlight=False)


@app.command("eval")
def eval_command(
    questions: Annotated[str, typer.Argument(help="FinanceBench JSONL, MMLongBench-Doc samples.json or plain JSONL")],
    docs: Annotated[str | None, typer.Option("--docs", help="ingest this folder first")] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto, financebench, mmlongbench or jsonl")] = "auto",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="only the first N questions")] = None,
    channels: Annotated[str | None, typer.Option("--channels", help="only these channels, comma-separated "
                                                 "(visual, figure, text, bm25); fused over them")] = None,
    by: Annotated[list[str] | None, typer.Option("--by", help="break the figures down by this label of the "
                                                 "questions (repeatable; e.g. evidence_type, question_type)")] = None,
    failures: Annotated[int, typer.Option("--failures", min=0, help="show the N questions the fused ranking did "
                                          "worst on, with their gold pages and the top pages found")] = 0,
    collection: Collection = None,
    out_file: Annotated[str | None, typer.Option("--out", help="also write the report here as JSON, with every "
                                                 "question's rankings")] = None,
    answers: Annotated[bool, typer.Option("--answers", help="also answer each question and check the citations "
                                          "against the gold pages")] = False,
    not_answered: Annotated[str | None, typer.Option("--unanswerable", help="with --answers: questions the "
                                                     "documents do not answer, in the same format (each may name "
                                                     "its \"file\"), asked instead of made-up counterparts")] = None,
    own_documents: Annotated[bool, typer.Option("--own-documents", help="with --answers: ask each question of its "
                                                "own documents alone (its gold pages' files, its \"file\")")] = False,
) -> None:
    """Recall@1/5/10 (the share of gold pages found), hit@5 (a gold page found), nDCG@5, MRR and latency, per
    channel and fused, on a question set; with --answers, how often the answerer's citations are gold."""
    from dataclasses import asdict
    from pathlib import Path

    from ...retrieve import read_questions
    from ...retrieve.evaluate import failures as worst

    try:
        asked = read_questions(Path(questions), fmt)[:limit]
    except (OSError, ValueError, KeyError) as e:
        _fail(f"{questions}: cannot read the questions ({e})")
    if (not_answered or own_documents) and not answers:
        _fail("--unanswerable and --own-documents go with --answers")
    impossible = None
    if not_answered:
        try:
            impossible = read_questions(Path(not_answered), "jsonl")[:limit]
        except (OSError, ValueError, KeyError, TypeError) as e:
            _fail(f"{not_answered}: cannot read the questions ({e})")
        if any(q.relevant for q in impossible):
            _fail(f"{not_answered}: a question the documents do not answer has no relevant pages")
    chosen = [c.strip() for c in channels.split(",") if c.strip()] if channels else None
    labels = by if by is not None else [name for name in ("evidence_type", "question_type")
                                        if any(q.label(name) for q in asked)]
    with _backend(collection, announce=True) as backend, _failures():
        if docs:
            for o in backend.ingest([docs]):
                if o.status == "failed":
                    err.print(f"not ingested: {safe(o.path)}: {safe(o.reason)}", highlight=False)
        report = backend.evaluate(asked, channels=chosen, by=labels)
        answered = None
        if answers:
            from pathlib import Path as _Path

            from ...core.types import title_of
            from ...retrieve.evaluate import unanswerable

            documents = backend.documents()
            companies = sorted({q.label("company") for q in asked if q.label("company")} |
                               {_Path(d.file_name).stem.split("_")[0] for d in documents})
            titles = [title_of(d.file_name) for d in documents]
            if impossible is None:
                impossible = unanswerable(asked, companies, titles)
            answered = backend.evaluate_answers(asked, impossible=impossible, own_documents=own_documents)

    def rows(channels: dict) -> list[list[str]]:
        return [[channel, *(f"{r.recall[k]:.3f}" for k in (1, 5, 10)), f"{r.hits[5]:.3f}", f"{r.ndcg5:.3f}",
                 f"{r.mrr:.3f}", f"{r.latency_ms_p50:.0f}", f"{r.latency_ms_p95:.0f}"]
                for channel, r in channels.items()]

    columns = ["channel", "R@1", "R@5", "R@10", "hit@5", "nDCG@5", "MRR", "p50 ms", "p95 ms"]
    right = dict.fromkeys(columns[1:], "right")
    table(f"{report.questions} questions", columns, rows(report.channels), justify=right)
    for label, values in report.by_label.items():
        for value, channels_of in values.items():
            n = sum(1 for q in asked if q.label(label) == value)
            table(f"{label} = {value} ({n} questions)", columns, rows(channels_of), justify=right)
    for row in worst(report, failures) if failures else []:
        out.print(f"\n[bold]{safe(row['id'])}[/bold] {safe(row['question'])}", highlight=False)
        out.print("   gold: " + ", ".join(f"{safe(f)} p{p}" for f, p in row["gold"]), highlight=False)
        for rank, hit in enumerate(row["top"], 1):
            mark = "gold" if hit["gold"] else "    "
            out.print(f"   {rank}. {mark} {safe(hit['file'])} p{hit['page']}: {safe(hit['text'][:160])}",
                      highlight=False)
    if answered is not None:
        out.print(f"answers: a gold page among those read {answered.gold_in_pages:.3f}; first citation on a gold "
                  f"page {answered.first_citation_gold:.3f}; any citation on a gold page "
                  f"{answered.any_citation_gold:.3f}; answered (not abstained) {answered.answered:.3f}; "
                  f"p50 {answered.latency_ms_p50:.0f} ms, p95 {answered.latency_ms_p95:.0f} ms", highlight=False)
        if answered.unanswerable:
            made = "" if not_answered else ": company swapped or years moved a century back"
            out.print(f"{'unanswerable questions' if not_answered else 'unanswerable counterparts'} "
                      f"({answered.unanswerable}{made}): abstained {answered.abstained_unanswerable:.3f}",
                      highlight=False)
    if out_file:
        data = asdict(report) | ({"answers": asdict(answered)} if answered is not None else {})
        Path(out_file).write_text(json.dumps(data, indent=2) + "\n")


@app.command()
def info(as_json: AsJson = False) -> None:
    """What is here: the version, the data folder, each collection (documents, pages, the encoders that built
    it, the channels a search runs), the profile and the answerer and why, and whether a server holds them."""
    from importlib.metadata import version

    from ..client import ServerClient

    settings = _settings()
    with _failures():
        with _backend(None) as first:
            server = first.url if isinstance(first, ServerClient) else None
            names = first.collections()
        infos = []
        for name in names or [settings.collection]:
            with _backend(name) as backend:
                infos.append(backend.info())
    about = {"version": version("pagesight"), "data_dir": str(settings.data_dir), "server": server,
             "store": settings.qdrant_url or "embedded (Qdrant Edge)", "collections": [i.__dict__ for i in infos]}
    if as_json:
        _json(about)
        return
    first = infos[0]
    lines = [f"pagesight {about['version']}", f"data folder: {settings.data_dir}", f"store: {about['store']}",
             f"server: {server or 'none running on this data folder'}",
             f"profile: {first.profile} ({first.profile_why})", f"answerer: {first.answerer} ({first.answerer_why})"]
    for line in lines:
        out.print(line, markup=False, highlight=False)
    table("collections", ["collection", "documents", "pages", "channels", "encoders"],
          [[i.name, str(i.documents) if i.exists else "(not created)", str(i.pages) if i.exists else "",
            ", ".join(i.channels), "; ".join(f"{k}: {v}" for k, v in i.encoders.items())] for i in infos])


# ---- the server and the collection's indexes ------------------------------------------------------

@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0 for every interface)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """The REST API and the chat web page (http://HOST:PORT/, OpenAPI docs at /docs)."""
    import uvicorn

    from ..local_server import announce, local_key
    from ..server.app import create_app

    settings = _settings()
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_keys:
        err.print("warning: listening beyond this machine without PAGESIGHT_API_KEYS: anyone who can reach "
                  f"{host}:{port} can read and change the documents", highlight=False)
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    key = local_key() if settings.api_keys else None  # what commands on this data folder send (local_server.py)
    with _failures():  # the database unreachable, say: one line, not a traceback
        app = create_app(settings, local_key=key, bound=host)
    # uvicorn stops gracefully on SIGTERM, then raises the signal again under the handler it found:
    # make that an exit, so that the note below is taken down rather than the process killed past it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with announce(settings, f"http://{local}:{port}", key):  # commands on this data folder then come here
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=10)


@app.command()
def mcp(collection: Collection = None) -> None:
    """A Model Context Protocol server on stdin/stdout, for assistants (Claude Desktop, IDEs): the tools
    search, ask, list_documents and get_page over this data folder, or over the server running on it.
    `pagesight serve` offers the same at /mcp over HTTP."""
    from ..mcp import build_mcp

    settings = _settings()
    opened: dict[str, object] = {}
    lock = threading.Lock()

    def backend(name: str):
        with lock:  # tools run in threads; one backend per collection, models loaded once
            if name not in opened:
                first = next(iter(opened.values()), None)
                opened[name] = first.sibling(name) if first is not None else _backend(name)
            return opened[name]

    def collections() -> list[str]:
        return backend(collection or settings.collection).collections()

    server = build_mcp(backend, collections, collection or settings.collection)
    try:
        server.run_stdio()
    finally:
        for each in opened.values():
            each.close()


@index_app.command("optimize")
def index_optimize(collection: Collection = None) -> None:
    """Build the embedded collection's indexes now. `pagesight ingest` does this when it ends and
    `pagesight serve` whenever its upload queue is idle; a Qdrant server optimises by itself."""
    if _settings().qdrant_url:
        out.print("the collection is on a Qdrant server, which optimises by itself", highlight=False)
        return
    from ...index import open_store

    started = time.perf_counter()
    with _failures(), open_store(_settings(), collection) as store:
        try:
            with err.status("building the collection's indexes"):
                store.optimize()
        except Exception as e:  # Qdrant's own message, e.g. too little disk for the rebuilt segments
            _fail(f"not optimised: {e}")
    out.print(f"optimised {store.name!r} in {time.perf_counter() - started:.1f} s", highlight=False)


@index_app.command("migrate")
def index_migrate(
    to: Annotated[str, typer.Option("--to", help="URL of the Qdrant server or cluster")],
    collection: Collection = None,
    api_key: Annotated[str | None, typer.Option(envvar="PAGESIGHT_QDRANT_API_KEY", help="the server's API key")] = None,
    batch: Annotated[int, typer.Option(min=1, max=1024, help="points per request")] = 64,
) -> None:
    """Copy an embedded collection to a Qdrant server, in batches; resumable; verified by counts and
    a sample of vectors. Then set PAGESIGHT_QDRANT_URL to use it (page images stay where they are)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ...index.edge import EdgeStore
    from ...index.migrate import migrate
    from ...index.server import ClusterOptions, ServerStore, connect

    settings = _settings()
    name = collection or settings.collection
    with _failures(), EdgeStore(settings.collection_dir(name), name) as source:
        target = ServerStore(connect(to, api_key), settings.collection_dir(name), name, where=to,
                             cluster=ClusterOptions.from_settings(settings))
        with target, Progress(TextColumn("copying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                              console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("copy", total=None)
            report = migrate(source, target, batch=batch,
                             on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    out.print(f"{report.points} points: {report.copied} copied, {report.skipped} already there; "
              f"{report.verified_sample} sampled and compared", highlight=False)
    if not report.ok:
        for problem in report.mismatches:
            err.print(f"[red]mismatch:[/red] {safe(problem)}", highlight=False)
        raise typer.Exit(1)
    out.print(f"verified. To use it: PAGESIGHT_QDRANT_URL={safe(to)} (collection {name!r})", highlight=False)


# ---- models and the sample ------------------------------------------------------------------------

@models_app.command("list")
def models_list(as_json: AsJson = False) -> None:
    """What each profile needs, what is on disk, and how big it is."""
    from ...index.profiles import model_status, resolve_profile

    settings = _settings()
    rows = [(profile, s) for profile in ("full", "lite", "tiny") for s in model_status(profile, settings)]
    chosen, why = resolve_profile(settings)
    if as_json:
        _json({"auto": chosen, "why": why, "models": [{"profile": p, **s.__dict__} for p, s in rows]})
        return
    table("models", ["profile", "role", "model", "on disk", "size", "where"],
          [[profile, s.role, s.model, "yes" if s.on_disk else "no",
            f"{s.bytes / 2**20:,.0f} MB" if s.bytes else (f"about {s.download_mb:,} MB to download" if s.download_mb
                                                          else ""), s.where] for profile, s in rows])
    out.print(f"profile 'auto' takes {chosen}: {safe(why)}", highlight=False)


@models_app.command("pull")
def models_pull(profile: Annotated[str, typer.Argument(help="full, lite or tiny")] = "full") -> None:
    """Download a profile's weights (Hugging Face cache). The only command that downloads."""
    from ...index.profiles import pull

    if profile not in ("full", "lite", "tiny"):
        _fail(f"unknown profile {profile!r}: choose full, lite or tiny")
    if profile == "tiny":
        _fail("the tiny models are built, not downloaded: pagesight models build-tiny")
    with _failures():
        fetched = pull(profile, _settings())
    out.print("fetched: " + ", ".join(fetched) if fetched else f"everything the {profile} profile needs is on disk")


@models_app.command("build-tiny")
def models_build_tiny() -> None:
    """Build the random tiny models of the `tiny` profile (for tests and benchmarks) under the models folder."""
    from ...index.tiny import build_tiny_models

    for name, folder in build_tiny_models(_settings().model_dir() / "tiny").items():
        out.print(f"{name}: {safe(folder)}")


@app.command()
def sample(path: Annotated[str, typer.Argument(help="where to write the sample PDF")] = "pagesight-sample.pdf") -> None:
    """Write a small sample PDF (text, a table, a chart and a scanned page) to try PageSight on."""
    from pathlib import Path

    from .sample import SAMPLE_QUESTION, write_sample_pdf

    written = write_sample_pdf(Path(path))
    out.print(f"wrote {safe(written)}; try: pagesight ingest {safe(written)} && "
              f"pagesight search {SAMPLE_QUESTION!r}")


def _undecodable(args: list[str]) -> str | None:
    """The first argument the system could not decode as text (Python keeps its bytes as surrogates)."""
    for position, arg in enumerate(args, start=1):
        if any("\ud800" <= c <= "\udfff" for c in arg):
            shown = os.fsencode(arg).decode("utf-8", errors="backslashreplace")
            return f"argument {position} ({shown}) is not valid UTF-8 text; check the terminal's encoding"
    return None


def main() -> None:
    if (problem := _undecodable(sys.argv[1:])) is not None:
        err.print(f"[red]error:[/red] {safe(problem)}", highlight=False)
        sys.exit(2)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Before numpy or torch load: on a small machine extra BLAS threads only fight each other.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    app()
