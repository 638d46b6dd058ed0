"""Table rows as the extractive answerer reads them, and the first line of an answer taken from one: pure
functions over page text.

Extraction writes a table row as one line of cells joined by " | ", each figure labelled by its column
header where it found one ("Revenues | $ | 2017: 11,692,713 | $ | 2016: 8,830,669"). Here a row is read
back into its label and its figures, each with its column (recovered from the page's rows above it when
extraction left it out), its currency, and the unit the page states for its table ("in thousands").

`headline` answers a question that names a measure and a period with the cell at that row and column,
as the page prints it, with its unit and period ("Total revenues, 2017: $11,692,713 thousand"): it is
read from the quoted row and its header, never computed. A question asking for another unit than the
table's gets the same figure in that unit beside it (a scale, not a computation of a new quantity).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.periods import years_named

__all__ = ["Cell", "Headline", "Row", "headline", "is_heading", "parse_row", "rows_of", "unit_of"]

_VALUE = re.compile(r"^\(?[-−–]?[$€£]?\s?\d[\d,]*(?:\.\d+)?\s?%?\)?$")
_HEADED = re.compile(r"^(?P<header>[^:]{1,60}):\s*(?P<value>.+)$")
_YEARISH = re.compile(r"(?:FY\s?)?((?:18|19|20)\d\d)")
_DATED = re.compile(r"(?:[A-Z][a-z]+\.?\s+\d{1,2},?\s+)(?:18|19|20)\d\d")  # "February 2, 2019": a column
_DAY = re.compile(r"[A-Z][a-z]+\.?\s+\d{1,2},?")  # "August 29,": a column head whose year is on the next line
_UNIT = re.compile(r"\b(?:in|amounts?\s+in|dollars\s+in|\$\s*in|expressed\s+in)?\s*\(?\s*(?:u\.?s\.?\s*)?\$?\s*"
                   r"(thousands|millions|billions)\b|\((thousands|millions|billions)\)", re.IGNORECASE)
# How a question wants its answer written, which asks for no quantity: "Answer in units of percents".
_ANSWER_FORM = re.compile(r"\b(?:in\s+)?units?\s+of\s+(?:per\s?cent(?:age)?s?|%)|\bround(?:ed)?\b[^.?]*", re.IGNORECASE)
_ASKED_UNIT = re.compile(r"\b(?:in|usd|\$)\s*(?:usd\s+)?(thousands|millions|billions)\b", re.IGNORECASE)
_SCALE = {"thousands": 1e3, "millions": 1e6, "billions": 1e9}
_WORD = re.compile(r"[a-z][a-z&'-]*")
# Words of a question that say what kind of answer it wants, or where to look, not what is measured.
_NOT_MEASURE = frozenset("""a an the of for in on at to by from and or as is are was were what which how much many
does did do has have had give state provide calculate compute answer round rounded decimal place places units unit
usd dollars dollar million millions billion billions thousand thousands percent percents percentage amount value
figure number total year years fiscal fy end ending ended as-of based basing using use rely relying relies details
shown information provided primarily statement statements company company's its their this that these those please
question following respond response reported report annual quarter quarterly q1 q2 q3 q4 period periods between
change ratio drawing conclusions stated only clearly outlined according judgment judgments""".split())


@dataclass(frozen=True)
class Cell:
    value: str  # as printed: "11,692,713", "(1,577)", "32%"
    header: str | None = None  # its column: "2017", "2017 vs. 2016"
    dollars: bool = False


@dataclass
class Row:
    label: str
    cells: list[Cell] = field(default_factory=list)
    text: str = ""  # the line it was read from

    def cell_for(self, year: int) -> Cell | None:
        """The row's figure in the column of that year: a column naming that year and no other ("2017",
        "FY2017", "February 2, 2019"; not "2017 vs. 2016")."""
        for cell in self.cells:
            years = _YEARISH.findall(cell.header or "")
            if len(years) == 1 and int(years[0]) == year:
                return cell
        return None

    def render(self) -> str:
        """The row as a reader reads it: its label, then each figure with its column."""
        pairs = [f"{c.header}: {_money(c)}" if c.header else _money(c) for c in self.cells]
        return f"{self.label} ({'; '.join(pairs)})" if pairs else self.label


def _money(cell: Cell) -> str:
    value = cell.value
    if cell.dollars and not value.startswith(("$", "(")) and not value.endswith("%"):
        return "$" + value
    return value


def parse_row(line: str) -> Row | None:
    """A table row's label and figures, from its " | "-joined line; None for a line that is no row of
    figures. A lone "$" cell marks the figure after it as dollars."""
    if " | " not in line:
        return None
    parts = [p.strip() for p in re.sub(r"\s+", " ", line).split(" | ")]
    label, cells, dollars = parts[0], [], False
    for part in parts[1:]:
        # "2,822,795 $": a figure, and the "$" of the next one
        pieces = [p for p in re.split(r"\s+(?=\$$)", part) if p]
        for piece in pieces:
            if piece in ("$", "€", "£"):
                dollars = True
                continue
            header, value = None, piece
            if (headed := _HEADED.match(piece)) and _VALUE.match(headed.group("value").strip()):
                header, value = headed.group("header").strip(), headed.group("value").strip()
                bare = header.replace("$", "").strip()
                if _VALUE.match(bare) and not _YEARISH.fullmatch(bare):  # a figure taken for a column's name
                    header = None
            if not _VALUE.match(value):
                continue
            if value.startswith("$"):
                value, dollars = value[1:].strip(), True
            cells.append(Cell(value, header, dollars))
            dollars = False
    if not cells or not re.search(r"[A-Za-z]", label):
        return None
    return Row(label.rstrip(" :"), cells, line)


def rows_of(lines: Sequence[str]) -> list[Row | None]:
    """The rows of a page's lines in reading order (None for a line that is no row), with the columns of
    figures that extraction left unlabelled taken from the page above them: the last row whose figures
    all had columns, or the last run of lines that are years alone ("2017", "2016"), when it has as many
    columns as the row has figures."""
    out: list[Row | None] = []
    columns: list[str] | None = None
    years: list[str] = []
    for line in lines:
        stripped = line.strip()
        if _YEARISH.fullmatch(stripped) or _DATED.fullmatch(stripped):
            years.append(stripped)
            out.append(None)
            continue
        if _DAY.fullmatch(stripped):  # "August 29," over "2021": the run of years goes on
            out.append(None)
            continue
        if years:
            columns, years = list(years), []
        row = parse_row(line)
        if row is not None and all(_YEARISH.fullmatch(c.value) for c in row.cells) and len(row.cells) > 1:
            columns, row = [c.value for c in row.cells], None  # "Year Ended June 30, | 2016 | 2015": the columns
        out.append(row)
        if row is None:
            continue
        if all(c.header for c in row.cells):
            if columns and len(columns) == len(row.cells) and all(
                    _DAY.fullmatch(c.header) and _YEARISH.fullmatch(column)
                    for c, column in zip(row.cells, columns, strict=True)):
                # "August 29,: 11,258" under the years read above it: "August 29, 2021"
                row.cells = [Cell(c.value, f"{c.header} {columns[i]}", c.dollars) for i, c in enumerate(row.cells)]
            else:
                columns = [c.header for c in row.cells]
        elif columns and len(columns) >= len(row.cells):  # by position: the row's figures stand under them
            row.cells = [c if c.header else Cell(c.value, columns[i], c.dollars) for i, c in enumerate(row.cells)]
    return out


def unit_of(text: str) -> str | None:
    """The unit a table's figures are stated in, as its page says ("(in thousands, except ...)",
    "(Millions)"): thousands, millions or billions; None when the page says none."""
    if match := _UNIT.search(text):
        return (match.group(1) or match.group(2)).lower()
    return None


def is_heading(text: str) -> bool:
    """A heading or a lone label, which answers nothing as a quote: it ends with a colon, or is a short
    line without a figure or a verb's sentence ending ("Fourth Quarter 2022 Financial Highlights:",
    "Total revenues")."""
    stripped = text.strip()
    if stripped.endswith(":"):
        return True
    return len(stripped.split()) <= 6 and not re.search(r"\d", stripped) and not stripped.endswith((".", "?", "!"))


@dataclass(frozen=True)
class Headline:
    text: str  # "Total revenues, 2017: $11,692,713 thousand"
    row: Row


# Where a question says to look, not what it measures: "the income statement" names no income.
_WHERE_TO_LOOK = re.compile(r"\b(?:(?:consolidated\s+)?statements?\s+of\s+(?:income|operations|earnings|cash\s+flows?|"
                            r"financial\s+position|comprehensive\s+income)|(?:income|cash\s+flows?)\s+statements?|"
                            r"balance\s+sheets?)\b", re.IGNORECASE)


# A quantity computed from figures: a ratio, a change, an average, a share. A cell answers a question asking
# for one only where its row or column names that kind of quantity too ("Current ratio", "% Change", a
# percentage for "what percent"): "Total current assets" is one of the figures of "the working capital
# ratio", never its answer, and "Other assets" none of "the fixed asset turnover ratio".
_COMPUTED = {
    "ratio": re.compile(r"\b(?:ratios?|turnover|coverage|multiple)\b", re.IGNORECASE),
    "change": re.compile(r"\b(?:chang(?:e|es|ed)|increase[sd]?|decrease[sd]?|growth|grew|yoy|qoq|"
                         r"year[- ]over[- ]year|difference|how\s+many\s+(?:more|fewer|less))\b|\bvs\.?(?:\s|$)",
                         re.IGNORECASE),
    # A question that gives its own formula ("Define net working capital as total current assets less total
    # current liabilities", "defined as: 365 * ... / ...") asks for what the formula computes: no printed
    # cell is named that way. A formula is "defined/calculated as" with arithmetic after it; "the defined
    # benefit obligation as of 2019" has none.
    "formula": re.compile(r"\b(?:defined?|calculated)\b[^.?]{0,80}?\bas\b[^.?]*?"
                          r"(?:\b(?:less|minus|plus|divided|times|over)\b|[/*+]|\s-\s)", re.IGNORECASE),
    "average": re.compile(r"\b(?:average|mean|median)\b", re.IGNORECASE),
    "share": re.compile(r"\b(?:per\s?cent(?:age)?s?|proportion|margin|rate)\b|%", re.IGNORECASE),
}


def computed_kinds(question: str) -> set[str]:
    """The kinds of computed quantity a question asks for ("ratio", "change", "average", "share", or a
    "formula" of its own), by its words, where it says to look left out ("Answer in units of percents"
    asks for the form of the answer)."""
    asked = _ANSWER_FORM.sub(" ", _WHERE_TO_LOOK.sub(" ", question))
    return {kind for kind, words in _COMPUTED.items() if words.search(asked)}


def _names_quantity(row: Row, cell: Cell, kinds: set[str]) -> bool:
    """Whether a row's cell is the computed quantity asked for: its label or column names each kind (a
    percentage is a share)."""
    named = f"{row.label} {cell.header or ''}"
    return all(_COMPUTED[kind].search(named) or (kind == "share" and cell.value.endswith("%")) for kind in kinds)


def measure_words(question: str) -> set[str]:
    """What a question measures, in its own words: its words but those of where to look ("the income
    statement"), of the answer's form ("in USD millions") and of its period."""
    words = set(_WORD.findall(_WHERE_TO_LOOK.sub(" ", question).lower()))
    return {w for w in words if w not in _NOT_MEASURE and len(w) > 2}


def _label_fit(label: str, wanted: set[str], question: str) -> float:
    """How much of a row's label the question's measure names (0-1): the share of the label's words among
    the measure's (a plural the same as its singular), "total" counted when the question says it too; 0
    when none of them is a measure's word."""
    words = [w for w in _WORD.findall(label.lower()) if len(w) > 2 and w not in ("and", "the", "net", "of")]
    stems = {a.rstrip("s") for a in wanted}
    held = [w for w in words if w.rstrip("s") in stems]
    if not words or not held:
        return 0.0
    total = "total" in words and re.search(r"\btotal\b", question, re.IGNORECASE)
    return (len(held) + bool(total)) / len(words)


def headline(question: str, rows: Sequence[tuple[Row, str]]) -> Headline | None:
    """The first line of an answer to a question naming a measure: the figure of the row whose label the
    question names best, in the column of the period it names (or, naming none, the column it names or the
    row's only figure), with the unit of its page (`rows`: each candidate row with its page's text, best
    ranked first). None when the question names more than one period, or no row has a figure for it (for a
    computed quantity, a figure its row or column names as that quantity)."""
    years = years_named(question)
    wanted = measure_words(question)
    kinds = computed_kinds(question)
    if len(years) > 1 or not wanted:
        return None

    def column(row: Row) -> Cell | None:
        cell = row.cell_for(years[0]) if years else _named_cell(row, wanted)
        return cell if cell is not None and _names_quantity(row, cell, kinds) else None

    best: tuple[float, int, Row, str] | None = None
    for rank, (row, page_text) in enumerate(rows):
        fit = _label_fit(row.label, wanted, question)
        if fit < 0.5 or column(row) is None:
            continue
        if best is None or (fit, -rank) > (best[0], -best[1]):
            best = (fit, rank, row, page_text)
    if best is None:
        return None
    _, _, row, page_text = best
    cell = column(row)
    unit = unit_of(page_text)
    text = f"{row.label}, {cell.header}: {_money(cell)}" if cell.header else f"{row.label}: {_money(cell)}"
    if unit and not cell.value.endswith("%") and not _COMPUTED["ratio"].search(row.label):  # a ratio has no unit
        text += f" {unit[:-1]}"
        asked = _ASKED_UNIT.search(question)
        if asked and asked.group(1).lower() != unit and (number := _number(cell.value)) is not None:
            scaled = number * _SCALE[unit] / _SCALE[asked.group(1).lower()]
            text += f" (= {'$' if cell.dollars else ''}{scaled:,.1f} {asked.group(1).lower()[:-1]})"
    return Headline(text, row)


def _named_cell(row: Row, wanted: set[str]) -> Cell | None:
    """For a question that names no period: the row's figure in the column the question names ("the
    revenue in the north region": the column "Revenue"), or its only figure when it has one and its column
    names no period of its own (a row of one figure per year answers none of them)."""
    stems = {w.rstrip("s") for w in wanted}
    named = [c for c in row.cells if c.header and not _YEARISH.search(c.header)
             and {w.rstrip("s") for w in _WORD.findall(c.header.lower())} & stems]
    if len(named) == 1:
        return named[0]
    if len(row.cells) == 1 and not _YEARISH.search(row.cells[0].header or ""):
        return row.cells[0]
    return None


def _number(value: str) -> float | None:
    digits = re.sub(r"[^\d.]", "", value)
    try:
        number = float(digits)
    except ValueError:
        return None
    return -number if value.startswith("(") or value.startswith(("-", "−", "–")) else number
