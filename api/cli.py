"""The `pagesight` command: a thin parser over plain functions. Heavy imports wait for the command."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True, add_completion=False, help="PageSight: ask your PDFs and images.")
documents_app = typer.Typer(no_args_is_help=True, help="List and delete indexed documents.")
app.add_typer(documents_app, name="documents")

out = Console()
err = Console(stderr=True)

Collection = Annotated[str | None, typer.Option("--collection", "-c", help="collection name (default: 'default')")]


def _safe(text: object) -> str:
    """User-supplied text (file names, document text) shown as itself: no markup, no control codes."""
    from rich.markup import escape

    shown = "".join(c if c.isprintable() or c in "\n" else "\ufffd" for c in str(text))
    return escape(shown)


def _settings():
    from pagesight.core.settings import get_settings

    return get_settings()


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {_safe(message)}", highlight=False)
    raise typer.Exit(code)


def _open(collection: str | None):
    from pagesight.core.errors import PageSightError
    from pagesight.index import open_store

    try:
        return open_store(_settings(), collection)
    except (PageSightError, ValueError) as e:
        _fail(str(e))


def _text_encoder():
    from pagesight.core.errors import PageSightError
    from pagesight.index import load_text_encoder

    settings = _settings()
    if settings.profile == "auto":
        err.print("profile: lite (auto: the vision models of 'full' are not available in this version)")
    try:
        return load_text_encoder(settings)
    except PageSightError as e:
        _fail(str(e))


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="files, folders (walked recursively) or glob patterns")],
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="tag the documents (repeatable)")] = None,
    collection: Collection = None,
    password: Annotated[str | None, typer.Option(help="password for encrypted PDFs")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcomes as JSON")] = False,
) -> None:
    """Ingest PDFs and images: render pages, extract text and figures, OCR scans, index."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pagesight.ingest.pipeline import Ingestor, find_files

    files, outcomes = find_files(paths)
    if not files and not outcomes:
        _fail("no supported files found (PDF, PNG, JPEG, TIFF, WebP)")
    store = _open(collection)
    with store:
        encoder = _text_encoder()
        from pagesight.core.errors import PageSightError

        try:
            ingestor = Ingestor(store, encoder, _settings())
        except PageSightError as e:
            _fail(str(e))
        with ingestor, Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True, disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task("ingesting", total=len(files))
            for path in files:
                progress.update(task, description=f"ingesting {path.name[:40]}")
                outcomes.append(ingestor.ingest_file(path, tags=tag or [], password=password))
                progress.advance(task)
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
        table.add_row(
            _safe(os.path.basename(o.path) or o.path), f"[{colours[o.status]}]{o.status}[/]", str(o.pages or ""),
            (o.doc_id or "")[:12], _safe(note),
        )
    out.print(table)
    counts = {s: sum(o.status == s for o in outcomes) for s in colours}
    out.print(", ".join(f"{n} {s}" for s, n in counts.items()))


@documents_app.command("list")
def documents_list(
    collection: Collection = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Documents in the collection, with their page counts."""
    with _open(collection) as store:
        docs = store.documents()
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
    doc_id: Annotated[str, typer.Argument(help="document id (or a unique prefix of it)")],
    collection: Collection = None,
) -> None:
    """Delete a document: its points and its page images."""
    with _open(collection) as store:
        matches = [d for d in store.documents() if d.id.startswith(doc_id)] if doc_id else []
        if len(matches) != 1:
            _fail(f"no document matches {doc_id!r}" if not matches else f"{doc_id!r} matches {len(matches)} documents")
        store.delete_document(matches[0].id)
    out.print(f"deleted {matches[0].id} ({_safe(matches[0].file_name)})")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="the question")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="number of pages")] = 5,
    collection: Collection = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The pages that best match the question (dense text channel)."""
    from pagesight.retrieve import search_text

    with _open(collection) as store:
        encoder = _text_encoder()
        from pagesight.core.errors import PageSightError

        try:
            hits = search_text(store, encoder, query, k)
        except PageSightError as e:
            _fail(str(e))
    if as_json:
        out.print_json(json.dumps([h.model_dump(mode="json") for h in hits]))
        return
    if not hits:
        out.print("no results (is anything ingested?)")
    for rank, h in enumerate(hits, 1):
        snippet = " ".join(h.text.split())[:200]
        out.print(f"[bold]{rank}. {_safe(h.file_name)}[/bold] page {h.page}  score {h.score:.3f}  "
                  f"({', '.join(h.channels)})")
        out.print(f"   {_safe(snippet)}", highlight=False)
        out.print(f"   [dim]{_safe(h.image_path)}[/dim]", highlight=False)


@app.command()
def sample(
    path: Annotated[str, typer.Argument(help="where to write the sample PDF")] = "pagesight-sample.pdf",
) -> None:
    """Write a small sample PDF (text, a table, a chart and a scanned page) to try PageSight on."""
    from pathlib import Path

    from pagesight.api.sample import SAMPLE_QUESTION, write_sample_pdf

    written = write_sample_pdf(Path(path))
    out.print(f"wrote {_safe(written)}; try: pagesight ingest {_safe(written)} && "
              f"pagesight search {SAMPLE_QUESTION!r}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Before numpy or torch load: on a small machine extra BLAS threads only fight each other.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    app()


if __name__ == "__main__":
    sys.exit(main())
