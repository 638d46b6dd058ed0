"""A page's text as a reader reads it, from the boxes of its lines: pure functions, for the text layer and
for OCR alike.

- Rows: the pieces of a block that sit on one baseline (a table row whose cells MuPDF or Tesseract
  keeps as separate lines) become one line, cells joined by " | "; single-line blocks side by side
  on one baseline become one row when it holds figures (a table split into a block per cell).
- Headers: a row of figures takes the labels of the nearest row above it whose cells stand over its
  figures ("Revenue | 2019: 42.1 | 2018: 39.0"), so a row read alone still says what its numbers are.
- Reading order: blocks are read column by column (columns found from the blocks' horizontal extents),
  each band between full-width blocks in turn, so two columns never mix into one sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.types import Box, Region, union

__all__ = ["Block", "Line", "arrange"]

_NUMBER = re.compile(r"^[(\[]?[-−–]?[$€£¥]?\s?\d[\d,.]*\s?%?[)\]]?$|^[—–-]{1,3}$")
_YEAR = re.compile(r"^(?:FY\s?)?(?:19|20)\d\d[A-Z]?$")
_GAP = 0.6  # a gap wider than this many line heights separates two cells of a row


@dataclass
class Line:
    box: Box
    text: str


@dataclass
class Block:
    box: Box
    lines: list[Line]


@dataclass
class _Row:
    cells: list[Line]
    box: Box = field(init=False)

    def __post_init__(self) -> None:
        self.box = union(c.box for c in self.cells)

    def values(self) -> list[Line]:
        """The cells holding figures (not the first: that is the row's label)."""
        return [c for c in self.cells[1:] if _NUMBER.match(c.text.strip()) and not _YEAR.match(c.text.strip())]

    def text(self, header: _Row | None = None) -> str:
        cells = [c.text.strip() for c in self.cells]
        if header is not None:
            for i, cell in enumerate(self.cells[1:], start=1):
                above = next((h for h in header.cells if _aligned(h.box, cell.box)), None)
                if above is not None and _NUMBER.match(cell.text.strip()):
                    cells[i] = f"{above.text.strip()}: {cells[i]}"
        return " | ".join(cells)


def _height(box: Box) -> float:
    return max(box[3] - box[1], 1.0)


def _same_baseline(a: Box, b: Box) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(_height(a), _height(b))


def _aligned(a: Box, b: Box) -> bool:
    """Whether two cells stand in one column: their horizontal extents overlap (or nearly, for numbers
    set flush right under a centred label)."""
    return min(a[2], b[2]) - max(a[0], b[0]) > -4


def _rows(lines: list[Line]) -> list[_Row]:
    """Lines grouped by baseline, each group left to right; pieces closer than a gap are one cell."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ((ln.box[1] + ln.box[3]) / 2, ln.box[0])):
        if rows and _same_baseline(rows[-1][-1].box, line.box):
            rows[-1].append(line)
        else:
            rows.append([line])
    out = []
    for row in rows:
        row.sort(key=lambda ln: ln.box[0])
        cells = [row[0]]
        for piece in row[1:]:
            last = cells[-1]
            if piece.box[0] - last.box[2] < _GAP * _height(last.box):  # one cell, set in pieces
                cells[-1] = Line(union([last.box, piece.box]), f"{last.text.rstrip()} {piece.text.lstrip()}")
            else:
                cells.append(piece)
        out.append(_Row(cells))
    return out


def _merge_cell_blocks(blocks: list[list[_Row]]) -> list[list[_Row]]:
    """Single-row blocks on one baseline, when together they hold figures, become one block of one row."""
    singles = [i for i, rows in enumerate(blocks) if len(rows) == 1]
    merged: dict[int, int] = {}  # block index -> the block it joined
    for i in singles:
        if i in merged:
            continue
        group = [j for j in singles if j != i and j not in merged
                 and _same_baseline(blocks[i][0].box, blocks[j][0].box)]
        if not group:
            continue
        cells = sorted([c for j in (i, *group) for c in blocks[j][0].cells], key=lambda c: c.box[0])
        row = _Row(cells)
        if row.values():
            blocks[i] = [row]
            merged.update(dict.fromkeys(group, i))
    return [rows for i, rows in enumerate(blocks) if i not in merged]


def _reading_order(blocks: list[list[_Row]], page_width: float) -> list[list[_Row]]:
    """Bands between full-width blocks, top to bottom; in each band, columns left to right, each read top
    to bottom. A column is the blocks whose horizontal extents overlap (by half the narrower)."""
    def box(rows):
        return union(r.box for r in rows)

    wide = 0.55 * page_width
    ordered: list[list[_Row]] = []
    band: list[list[_Row]] = []

    def flush() -> None:
        columns: list[list[list[_Row]]] = []
        for rows in sorted(band, key=lambda rs: box(rs)[0]):
            b = box(rows)
            for column in columns:
                c = union(box(rs) for rs in column)
                if min(b[2], c[2]) - max(b[0], c[0]) > 0.5 * min(b[2] - b[0], c[2] - c[0]):
                    column.append(rows)
                    break
            else:
                columns.append([rows])
        for column in sorted(columns, key=lambda col: min(box(rs)[0] for rs in col)):
            ordered.extend(sorted(column, key=lambda rs: box(rs)[1]))
        band.clear()

    for rows in sorted(blocks, key=lambda rs: box(rs)[1]):
        b = box(rows)
        if b[2] - b[0] > wide:
            flush()
            ordered.append(rows)
        else:
            band.append(rows)
    flush()
    return ordered


def _header(row: _Row, above: list[_Row]) -> _Row | None:
    """The nearest row above whose cells stand over this row's figures and hold labels, not figures."""
    values = row.values()
    if not values:
        return None
    for candidate in reversed(above[-12:]):
        if candidate is row or len(candidate.cells) < 2 or candidate.values():
            continue
        labels = candidate.cells[1:] if len(candidate.cells) > len(values) else candidate.cells
        if all(any(_aligned(h.box, v.box) for h in labels) for v in values):
            return candidate
    return None


def _split_columns(lines: list[Line]) -> list[list[Line]]:
    """A block whose lines stand in separate columns of prose (as OCR may give a two-column page) as one
    block per column; a table (its rows hold figures) stays whole."""
    columns: list[list[Line]] = []
    spans: list[tuple[float, float]] = []  # each column's left and right edge, kept as lines join it
    for line in sorted(lines, key=lambda ln: ln.box[0]):
        x0, x1 = line.box[0], line.box[2]
        for i, (c0, c1) in enumerate(spans):
            if min(x1, c1) - max(x0, c0) > 0.5 * min(x1 - x0, c1 - c0):
                columns[i].append(line)
                spans[i] = (min(c0, x0), max(c1, x1))
                break
        else:
            columns.append([line])
            spans.append((x0, x1))
    if len(columns) < 2 or any(row.values() for row in _rows(lines)):
        return [lines]
    return columns


def arrange(blocks: list[Block], page_width: float) -> list[Region]:
    """The page's text regions in reading order, each a block's rows (a row a line), figures labelled by
    their column headers."""
    grouped = [_rows(part) for b in blocks if b.lines for part in _split_columns(b.lines)]
    ordered = _reading_order(_merge_cell_blocks(grouped), page_width)
    # Headers are looked for across blocks: the labels of a column may be blocks of their own.
    visual = _rows([cell for rows in ordered for row in rows for cell in row.cells])
    regions = []
    for rows in ordered:
        lines = []
        for row in rows:
            above = [r for r in visual if r.box[3] <= row.box[1] + 1 and _overlaps_x(r.box, row.box)]
            lines.append(row.text(_header(row, above)))
        text = "\n".join(line for line in lines if line.strip())
        if text:
            regions.append(Region(kind="text", box=union(r.box for r in rows), text=text))
    return regions


def _overlaps_x(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0])
