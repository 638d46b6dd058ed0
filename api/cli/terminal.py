"""How the command line writes: text a user gave (file names, page text) shown as itself, never as markup
or terminal codes; lines never wrapped (paths, ids and JSON stay whole when piped or logged); tables
sized to a terminal, and plain tab-separated lines when the output is not one."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from ...core.text import for_terminal

__all__ = ["err", "marked", "out", "plain", "safe", "table"]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def plain(text: object) -> str:
    """Generated or quoted text for the terminal: no control codes (escape sequences) pass."""
    return for_terminal(text)


def safe(text: object) -> str:
    """User-supplied text for a rich print: no markup, no control codes."""
    return escape(for_terminal(text, keep="\n"))


def marked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` for a rich print with these spans in bold (the words of the query a snippet holds)."""
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(safe(text[last:start]) + "[bold]" + safe(text[start:end]) + "[/bold]")
        last = end
    return "".join(pieces) + safe(text[last:])


def table(title: str, columns: list[str], rows: list[list[str]], justify: dict[str, str] | None = None) -> None:
    """A table on a terminal; elsewhere the title, then a header line and a line a row, tab-separated,
    each cell whole (rows are given as plain text; markup is only added on a terminal)."""
    if not out.is_terminal:
        out.print(plain(title), markup=False, highlight=False)
        for row in [columns, *rows]:
            out.print("\t".join(plain(cell).replace("\t", " ") for cell in row), markup=False, highlight=False)
        return
    from rich.table import Table

    shown = Table(title=safe(title))
    for column in columns:
        shown.add_column(column, overflow="fold", justify=(justify or {}).get(column, "left"))
    for row in rows:
        shown.add_row(*(safe(cell) for cell in row))
    out.print(shown)
