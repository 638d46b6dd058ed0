"""The financial statements a question asks to read from, and those a page is headed by: "using the cash
flow statement" names the statement of cash flows, and a page whose heading reads "CONSOLIDATED
STATEMENTS OF CASH FLOWS" is that statement. Filings name each statement several ways (a balance sheet
is also a statement of financial position; an income statement a statement of operations, of income or
of earnings, or a P&L); both sides are read onto one name per statement."""

from __future__ import annotations

import re

from ..core.types import Page

__all__ = ["HEADING", "page_statements", "statements_named"]

# A page's heading: the first lines of its blocks starting in this top share of its height, those of at
# most so many words ("SQUARE, INC." above "CONSOLIDATED STATEMENTS OF CASH FLOWS"; FinanceBench's
# statement pages: bench/headings.py).
HEADING_SHARE = 0.2
HEADING_LINES = 2
HEADING_WORDS = 12
_POSITION = r"balance\s+sheets?|statements?\s+of\s+(?:consolidated\s+)?financial\s+(?:position|condition)"
_ASKED = {
    "cash flows": r"cash[- ]?flows?\s+statements?|statements?\s+of\s+(?:consolidated\s+)?cash[- ]?flows?",
    "income": r"income\s+statements?|statements?\s+of\s+(?:consolidated\s+)?(?:income|operations|earnings)|"
              r"p\s?&\s?l\b|profit\s+and\s+loss\s+statements?",
    "financial position": _POSITION,
}
_HEADED = {
    "cash flows": r"statements?\s+of\s+(?:consolidated\s+)?cash\s+flows?",
    "income": r"statements?\s+of\s+(?:consolidated\s+)?(?:income|operations|earnings)|income\s+statements?",
    "financial position": _POSITION,
}
# Each statement's heading as filings write it: what a search for its page asks for.
HEADING = {"cash flows": "consolidated statements of cash flows",
           "income": "consolidated statements of operations income",
           "financial position": "consolidated balance sheets"}
_ASKED_RE = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in _ASKED.items()}
_HEADED_RE = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in _HEADED.items()}


def statements_named(question: str) -> set[str]:
    """The statements a question names ("cash flows", "income", "financial position")."""
    return {name for name, pattern in _ASKED_RE.items() if pattern.search(question)}


def page_statements(page: Page) -> set[str]:
    """The statements a page is, by its heading: the first lines of the blocks starting in its top part,
    those short enough to be a heading and not a table's row (a sentence further down that mentions
    "the consolidated statements of cash flows" does not make its page one, nor does the row
    "Consolidated Balance Sheets | 68" of an index of the statements)."""
    lines = [line for r in page.regions if r.kind == "text" and r.box[1] <= HEADING_SHARE * page.height
             for line in r.text.splitlines()[:HEADING_LINES]
             if len(line.split()) <= HEADING_WORDS and " | " not in line]
    heading = "\n".join(lines)
    return {name for name, pattern in _HEADED_RE.items() if pattern.search(heading)}
