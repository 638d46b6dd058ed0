"""The financial statements a question names, and those a page is headed by (core/statements.py)."""

from pagesight.core.types import Page, Region
from pagesight.retrieve.statements import page_statements, statements_named


def test_each_way_a_question_names_a_statement():
    assert statements_named("Using the cash flow statement, what was capex in FY2019?") == {"cash flows"}
    assert statements_named("from the statement of cash flows and the income statement") == {"cash flows", "income"}
    assert statements_named("based on the statement of income and the P&L") == {"income"}
    assert statements_named("what the statement of operations shows") == {"income"}
    assert statements_named("from the balance sheet") == {"financial position"}
    assert statements_named("the statement of financial position") == {"financial position"}
    assert statements_named("How did cash flows from operations change?") == set()  # no statement named
    assert statements_named("What was the income of the Treasury?") == set()


def page(*blocks: tuple[float, str]) -> Page:
    regions = [Region(kind="text", box=(72, top, 540, top + 40), text=text) for top, text in blocks]
    return Page(number=1, width=612, height=792, image_width=10, image_height=10, image="p.png",
                thumbnail="t.png", regions=regions)


def test_a_page_is_the_statement_its_heading_names():
    statement = page((40, "SQUARE, INC.\nCONSOLIDATED STATEMENTS OF CASH FLOWS\n(In thousands)"),
                     (120, "Net cash provided by operating activities | 2020: 381,603 | 2019: 465,699"))
    assert page_statements(statement) == {"cash flows"}
    assert page_statements(page((40, "Condensed Consolidated Balance Sheets"))) == {"financial position"}
    netflix = page((40, "Table of Contents"), (60, "NETFLIX, INC.\nCONSOLIDATED STATEMENTS OF OPERATIONS"))
    assert page_statements(netflix) == {"income"}


def test_a_page_that_only_mentions_a_statement_is_not_it():
    # a sentence at the top of a page that mentions the statement, and the statement's name further down
    notes = page((40, "The accompanying notes are an integral part of these consolidated statements of cash flows "
                      "and of the other statements presented."),
                 (400, "Consolidated Statements of Cash Flows"))
    assert page_statements(notes) == set()
    below = page((40, "Liquidity and Capital Resources\nCash flow activities\nThe following table summarizes "
                      "our cash flows, as the consolidated statements of cash flows present them:"))
    assert page_statements(below) == set()  # the third line of its first block is no heading
    index = page((40, "Index to Consolidated Financial Statements\nConsolidated Balance Sheets | 68\n"
                      "Consolidated Statements of Operations | 69"))
    assert page_statements(index) == set()  # an index of the statements is none of them
