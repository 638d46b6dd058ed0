"""The `pagesight` command: a thin parser over a backend (`PageSight` here, or `ServerClient` with
--server); each command parses, calls the backend, renders. Heavy imports wait for the command."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True, add_completion=False, help="PageSight: ask your PDFs and images.")
documents_app = typer.Typer(no_args_is_help=True, help="List and delete indexed documents.")
app.add_typer(documents_app, name="documents")
models_app = typer.Typer(no_args_is_help=True, help="The models each profile uses: list, pull, build the tiny ones.")
app.add_typer(models_app, name="models")
index_app = typer.Typer(no_args_is_help=True, help="Collections as a whole: build indexes, move one to a "
                        "Qdrant server.")
app.add_typer(index_app, name="index")

out = Console()
err = Console(stderr=True)

Collection = Annotated[str | None, typer.Option("--collection", "-c", help="collection name (default: 'default')")]
Doc = Annotated[list[str] | None, typer.Option("--doc", help="only these documents: id, unique id prefix or file "
                                                "name (repeatable)")]
File = Annotated[str | None, typer.Option("--file", help="only files whose name matches this glob")]
Tag = Annotated[list[str] | None, typer.Option("--tag", "-t", help="only documents with any of these tags")]
Pages = Annotated[str | None, typer.Option("--pages", help="page range: 3-7, 3-, -7 or 5")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]

_state: dict[str, str | None] = {"server": None}


@app.callback()
def _options(
    server: Annotated[str | None, typer.Option(
        "--server", envvar="PAGESIGHT_SERVER", help="send ingest, documents, search and ask to a running "
        "`pagesight serve` at this URL instead of opening the store here")] = None,
) -> None:
    _state["server"] = server


# ---- helpers --------------------------------------------------------------------------------------

def _settings():
    from ..core.settings import get_settings

    return get_settings()


def _safe(text: object) -> str:
    """User-supplied text (file names, document text) shown as itself: no markup, no control codes."""
    from rich.markup import escape

    from ..core.text import for_terminal

    return escape(for_terminal(text, keep="\n"))


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {_safe(message)}", highlight=False)
    raise typer.Exit(code)


class _failures:
    """Errors a user can act on become one line and exit code 2, never a traceback."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb) -> bool:
        from ..core.errors import PageSightError

        if isinstance(error, PageSightError | ValueError):
            _fail(str(error))
        return False


def _backend(collection: str | None, *, announce: bool = False):
    """The backend commands call: a client of the server given by --server, or PageSight on this machine
    (which says, when `announce`, which profile it runs and why)."""
    settings = _settings()
    with _failures():
        if _state["server"]:
            from .client import ServerClient

            return ServerClient(_state["server"], os.environ.get("PAGESIGHT_SERVER_API_KEY"),
                                collection or settings.collection)
        from .pagesight import PageSight

        sight = PageSight(collection, settings)
        if announce:
            err.print(f"profile: {sight.models.profile} ({_safe(sight.models.profile_why)})", highlight=False)
        return sight


def _filters(doc, tag, file, pages):
    from ..core.types import Filters, parse_pages

    try:
        page_range = parse_pages(pages)
    except ValueError as e:
        _fail(f"--pages: {e}")
    return Filters(documents=tuple(doc) if doc else None, tags=tuple(tag) if tag else None, file=file,
                   pages=page_range)


def _plain(text: str) -> str:
    """Generated or quoted text for the terminal: no control codes (escape sequences) pass."""
    from ..core.text import for_terminal

    return for_terminal(text)


# ---- ingest and documents -------------------------------------------------------------------------

@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="files, folders (walked recursively) or glob patterns")],
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="tag the documents (repeatable)")] = None,
    collection: Collection = None,
    password: Annotated[str | None, typer.Option(help="password for encrypted PDFs")] = None,
    as_json: AsJson = False,
) -> None:
    """Ingest PDFs and images: render pages, extract text and figures, OCR scans, index."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..ingest import find_files

    files, missing = find_files(paths)
    if not files and not missing:
        _fail("no supported files found (PDF, PNG, JPEG, TIFF, WebP)")
    with _backend(collection, announce=True) as backend, _failures(), Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("ingesting", total=len(files) + len(missing))
        outcomes = backend.ingest(paths, tags=tag or [], password=password,
                                  on_file=lambda outcome: progress.advance(task))
    if as_json:
        out.print_json(json.dumps([o.__dict__ for o in outcomes]))
    else:
        _print_outcomes(outcomes)
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


def _print_outcomes(outcomes) -> None:
    table = Table(title="ingest", show_lines=False)
    for column in ("file", "status", "pages", "document", "reason / warnings"):
        table.add_column(column, overflow="fold")
    colours = {"ingested": "green", "replaced": "green", "unchanged": "dim", "failed": "red"}
    for o in outcomes:
        note = o.reason or "; ".join(o.warnings)
        table.add_row(_safe(os.path.basename(o.path) or o.path), f"[{colours[o.status]}]{o.status}[/]",
                      str(o.pages or ""), (o.doc_id or "")[:12], _safe(note))
    out.print(table)
    counts = {s: sum(o.status == s for o in outcomes) for s in colours}
    out.print(", ".join(f"{n} {s}" for s, n in counts.items()))


@documents_app.command("list")
def documents_list(collection: Collection = None, tag: Tag = None, as_json: AsJson = False) -> None:
    """Documents in the collection, with their page counts."""
    with _backend(collection) as backend, _failures():
        docs = backend.documents(tag)
    if as_json:
        out.print_json(json.dumps([d.model_dump(mode="json") for d in docs]))
        return
    table = Table(title=f"{len(docs)} documents")
    for column in ("id", "file", "pages", "tags", "ingested"):
        table.add_column(column, overflow="fold")
    for d in docs:
        table.add_row(d.id, _safe(d.file_name), str(d.pages), _safe(", ".join(d.tags)),
                      d.ingested_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@documents_app.command("delete")
def documents_delete(
    ref: Annotated[str, typer.Argument(help="document id, a unique prefix of it, or its file name")],
    collection: Collection = None,
) -> None:
    """Delete a document: its points and its page images."""
    with _backend(collection) as backend, _failures():
        doc = backend.delete(ref)
    out.print(f"deleted {doc.id} ({_safe(doc.file_name)})")


# ---- search and answers ---------------------------------------------------------------------------

@app.command()
def search(
    query: Annotated[str, typer.Argument(help="the question")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="number of pages")] = 5,
    doc: Doc = None, file: File = None, tag: Tag = None, pages: Pages = None,
    collection: Collection = None,
    as_json: AsJson = False,
) -> None:
    """The pages that best match the question: visual, figure and text channels, fused."""
    filters = _filters(doc, tag, file, pages)
    with _backend(collection, announce=True) as backend, _failures():
        result = backend.search(query, k, filters)
    if as_json:
        out.print_json(json.dumps({"channels": result.channels, "skipped": result.skipped,
                                   "hits": [h.model_dump(mode="json") for h in result.hits]}))
        return
    skipped = "; ".join(f"{c} skipped: {why}" for c, why in result.skipped.items())
    err.print(f"channels: {', '.join(result.channels) or 'none'}" + (f" ({skipped})" if skipped else ""),
              highlight=False)
    if not result.hits:
        out.print("no results (do the filters match?)")
    for rank, h in enumerate(result.hits, 1):
        snippet = " ".join(h.text.split())[:200]
        out.print(f"[bold]{rank}. {_safe(h.file_name)}[/bold] page {h.page}  score {h.score:.4f}  "
                  f"({', '.join(h.channels)})")
        out.print(f"   {_safe(snippet)}", highlight=False)
        out.print(f"   [dim]{_safe(h.image_path)}[/dim]", highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    k: Annotated[int | None, typer.Option("-k", min=1, max=20, help="pages the answerer reads")] = None,
    doc: Doc = None, file: File = None, tag: Tag = None, pages: Pages = None,
    answerer: Annotated[str | None, typer.Option(help="auto, local, remote or extractive")] = None,
    collection: Collection = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the answer, citations and pages as JSON")] = False,
) -> None:
    """Answer from the best pages, streaming, then list the citations (page, box, image)."""
    from ..core.types import Answer, SearchResult

    filters = _filters(doc, tag, file, pages)
    with _backend(collection, announce=True) as backend, _failures():
        if not _state["server"]:
            kind, why = backend.models.answerer_choice(answerer)
            err.print(f"answerer: {kind} ({_safe(why)})", highlight=False)
        found, final = None, None
        for event in backend.ask_stream(question, k, filters, answerer):
            if isinstance(event, SearchResult):
                found = event
            elif isinstance(event, Answer):
                final = event
            elif not as_json:
                sys.stdout.write(_plain(event))
                sys.stdout.flush()
    if as_json:
        out.print_json(json.dumps({"answer": final.model_dump(mode="json", exclude={"pages"}),
                                   "channels": found.channels if found else [],
                                   "pages": [h.model_dump(mode="json") for h in final.pages]}))
        return
    sys.stdout.write("\n")
    if final.dropped_citations:
        err.print(f"dropped citations to pages not given: {_safe(', '.join(final.dropped_citations))}", highlight=False)
    if final.citations:
        out.print("[bold]citations[/bold]")
    for c in final.citations:
        box = "box " + ", ".join(f"{v:.0f}" for v in c.box) + " pt" if c.box else "whole page"
        out.print(f"[{c.marker}] {_plain(c.file_name)}, page {c.page} ({box})", highlight=False, markup=False)
        out.print(f"    {_safe(c.image_path or '')}", highlight=False, soft_wrap=True)


@app.command("eval")
def eval_command(
    questions: Annotated[str, typer.Argument(help="FinanceBench JSONL, MMLongBench-Doc samples.json or plain JSONL")],
    docs: Annotated[str | None, typer.Option("--docs", help="ingest this folder first")] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto, financebench, mmlongbench or jsonl")] = "auto",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="only the first N questions")] = None,
    collection: Collection = None,
    out_file: Annotated[str | None, typer.Option("--out", help="also write the report here as JSON")] = None,
    answers: Annotated[bool, typer.Option("--answers", help="also answer each question and check the citations "
                                          "against the gold pages")] = False,
) -> None:
    """Recall@1/5/10, nDCG@5, MRR and latency per channel and fused, on a question set; with --answers,
    how often the answerer's citations point at a gold page."""
    from dataclasses import asdict
    from pathlib import Path

    from ..retrieve import read_questions

    try:
        asked = read_questions(Path(questions), fmt)[:limit]
    except (OSError, ValueError, KeyError) as e:
        _fail(f"{questions}: cannot read the questions ({e})")
    with _backend(collection, announce=True) as backend, _failures():
        if docs:
            for o in backend.ingest([docs]):
                if o.status == "failed":
                    err.print(f"not ingested: {_safe(o.path)}: {_safe(o.reason)}", highlight=False)
        report = backend.evaluate(asked)
        answered = backend.evaluate_answers(asked) if answers else None
    table = Table(title=f"{report.questions} questions")
    for column in ("channel", "R@1", "R@5", "R@10", "nDCG@5", "MRR", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right")
    for channel, r in report.channels.items():
        table.add_row(channel, *(f"{r.recall[k]:.3f}" for k in (1, 5, 10)), f"{r.ndcg5:.3f}", f"{r.mrr:.3f}",
                      f"{r.latency_ms_p50:.0f}", f"{r.latency_ms_p95:.0f}")
    out.print(table)
    if answered is not None:
        out.print(f"answers: a gold page among those read {answered.gold_in_pages:.3f}; first citation on a gold "
                  f"page {answered.first_citation_gold:.3f}; any citation on a gold page "
                  f"{answered.any_citation_gold:.3f}; p50 {answered.latency_ms_p50:.0f} ms, "
                  f"p95 {answered.latency_ms_p95:.0f} ms", highlight=False)
    if out_file:
        data = asdict(report) | ({"answers": asdict(answered)} if answered is not None else {})
        Path(out_file).write_text(json.dumps(data, indent=2) + "\n")


# ---- the server and the collection's indexes ------------------------------------------------------

@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0 for every interface)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """The REST API and the chat web page (http://HOST:PORT/, OpenAPI docs at /docs)."""
    import uvicorn

    settings = _settings()
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_keys:
        err.print("warning: listening beyond this machine without PAGESIGHT_API_KEYS: anyone who can reach "
                  f"{host}:{port} can read and change the documents", highlight=False)
    uvicorn.run("pagesight.api.app:create_app", factory=True, host=host, port=port, log_level="info",
                timeout_graceful_shutdown=10)


@index_app.command("optimize")
def index_optimize(collection: Collection = None) -> None:
    """Build the embedded collection's indexes now. `pagesight ingest` does this when it ends; a
    server does not (the embedded store holds the process while it works), so run this while the
    server is stopped after large uploads. A Qdrant server optimises by itself."""
    if _settings().qdrant_url:
        out.print("the collection is on a Qdrant server, which optimises by itself", highlight=False)
        return
    from ..index import open_store

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

    from ..index.edge import EdgeStore
    from ..index.migrate import migrate
    from ..index.server import ClusterOptions, ServerStore, connect

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
            err.print(f"[red]mismatch:[/red] {_safe(problem)}", highlight=False)
        raise typer.Exit(1)
    out.print(f"verified. To use it: PAGESIGHT_QDRANT_URL={_safe(to)} (collection {name!r})", highlight=False)


# ---- models and the sample ------------------------------------------------------------------------

@models_app.command("list")
def models_list(as_json: AsJson = False) -> None:
    """What each profile needs, what is on disk, and how big it is."""
    from ..index.profiles import model_status, resolve_profile

    settings = _settings()
    rows = [(profile, s) for profile in ("full", "lite", "tiny") for s in model_status(profile, settings)]
    chosen, why = resolve_profile(settings)
    if as_json:
        out.print_json(json.dumps({"auto": chosen, "why": why, "models": [
            {"profile": p, **s.__dict__} for p, s in rows]}))
        return
    table = Table(title="models")
    for column in ("profile", "role", "model", "on disk", "size", "where"):
        table.add_column(column, overflow="fold")
    for profile, s in rows:
        table.add_row(profile, s.role, _safe(s.model), "yes" if s.on_disk else "[red]no[/red]",
                      f"{s.bytes / 2**20:,.0f} MB" if s.bytes else "", _safe(s.where))
    out.print(table)
    out.print(f"profile 'auto' takes {chosen}: {_safe(why)}", highlight=False)


@models_app.command("pull")
def models_pull(profile: Annotated[str, typer.Argument(help="full, lite or tiny")] = "full") -> None:
    """Download a profile's weights (Hugging Face cache). The only command that downloads."""
    from ..index.profiles import pull

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
    from ..index.tiny import build_tiny_models

    for name, folder in build_tiny_models(_settings().model_dir() / "tiny").items():
        out.print(f"{name}: {_safe(folder)}")


@app.command()
def sample(path: Annotated[str, typer.Argument(help="where to write the sample PDF")] = "pagesight-sample.pdf") -> None:
    """Write a small sample PDF (text, a table, a chart and a scanned page) to try PageSight on."""
    from pathlib import Path

    from .sample import SAMPLE_QUESTION, write_sample_pdf

    written = write_sample_pdf(Path(path))
    out.print(f"wrote {_safe(written)}; try: pagesight ingest {_safe(written)} && "
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
        err.print(f"[red]error:[/red] {_safe(problem)}", highlight=False)
        sys.exit(2)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Before numpy or torch load: on a small machine extra BLAS threads only fight each other.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    app()


if __name__ == "__main__":
    sys.exit(main())
