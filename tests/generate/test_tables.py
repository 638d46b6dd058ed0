"""Table rows read from a page's lines (generate/tables.py): each figure with its column."""

from pagesight.generate.tables import headline, rows_of

# A balance sheet whose column heads are dates written on two lines, the year under the day, as
# extraction reads Costco's 2021 10-K (page 38): "August 29," then "2021".
BALANCE_SHEET = ["CONSOLIDATED BALANCE SHEETS", "(amounts in millions, except par value and share data)",
                 "August 29,", "2021", "August 30,", "2020", "CURRENT ASSETS",
                 "Cash and cash equivalents | $ | August 29,: 11,258 | $ | August 30,: 12,277",
                 "Total current assets | August 29,: 29,505 | August 30,: 28,120",
                 "TOTAL ASSETS | $ | 59,268 | $ | 55,556"]


def test_a_column_headed_by_a_date_over_its_year_is_that_year_s():
    rows = {row.label: row for row in rows_of(BALANCE_SHEET) if row is not None}
    assert rows["TOTAL ASSETS"].cell_for(2021).value == "59,268"
    assert rows["TOTAL ASSETS"].cell_for(2020).value == "55,556"
    assert rows["Cash and cash equivalents"].cell_for(2021).value == "11,258"
    assert rows["Total current assets"].cell_for(2020).value == "28,120"
    assert rows["Cash and cash equivalents"].cells[0].header == "August 29, 2021"


REGIONS = ["Region | Revenue", "North | Revenue: 1200", "South | Revenue: 3400"]
BY_YEAR = ["Year Ended December 31, | 2017 | 2016", "Revenues | $ | 11,692,713 | $ | 8,830,669"]


def test_a_question_naming_no_period_reads_the_column_it_names_or_the_only_figure():
    rows = [(row, "\n".join(REGIONS)) for row in rows_of(REGIONS) if row is not None]
    assert headline("What was the revenue in the north region?", rows).text == "North, Revenue: 1200"
    assert headline("What was the revenue of the south region?", rows).text == "South, Revenue: 3400"
    assert headline("What was the revenue of the east region?", rows) is None  # no row it names
    by_year = [(row, "\n".join(BY_YEAR)) for row in rows_of(BY_YEAR) if row is not None]
    assert headline("What were the revenues?", by_year) is None  # one figure a year: which year is not said
    assert headline("What were the revenues in 2016?", by_year).text == "Revenues, 2016: $8,830,669"


# A balance sheet and its ratios, as a 10-K prints them (in millions).
RATIOS = ["(in millions)", "Year Ended December 31, | 2021 | 2020",
          "Total current assets | 19,815 | 19,378", "Total current liabilities | 13,997 | 11,911",
          "Other assets | 658 | 612", "Current ratio | 1.42 | 1.63", "Gross margin | 38.2% | 37.1%",
          "Revenue growth | 4.1% | 2.0%"]


def test_a_computed_quantity_is_answered_only_by_a_row_that_names_it():
    rows = [(row, "\n".join(RATIOS)) for row in rows_of(RATIOS) if row is not None]
    # one of its figures is not the ratio: no first line rather than a wrong one
    assert headline("What is the FY2021 working capital ratio, total current assets over total current "
                    "liabilities?", rows[:2]) is None
    assert headline("What is the FY2021 fixed asset turnover ratio?", rows) is None  # "Other assets" is none
    assert headline("What is the FY2021 net working capital? Define net working capital as total current assets "
                    "less total current liabilities.", rows) is None  # its own formula: computed, never printed
    assert headline("How many more current assets than current liabilities were there in 2021?", rows) is None
    pension = [(row, "(in millions)") for row in rows_of(["Defined benefit obligation | 2021: 1,250 | 2020: 1,100"])]
    assert headline("What was the defined benefit obligation as of FY2021?", pension).text == (
        "Defined benefit obligation, 2021: 1,250 million")  # a plan's name, no formula
    assert headline("What is the FY2021 current ratio?", rows).text == "Current ratio, 2021: 1.42"
    assert headline("What was the gross margin percentage in 2020?", rows).text == "Gross margin, 2020: 37.1%"
    assert headline("What was the year-over-year revenue growth in 2021?", rows).text == "Revenue growth, 2021: 4.1%"
    # how the answer is to be written asks for no computed quantity
    assets = "Total current assets, 2021: 19,815 million"
    assert headline("What were total current assets in 2021? Answer in units of percents, rounded to one "
                    "decimal place.", rows).text == assets
    assert headline("What were total current assets in 2021?", rows).text == assets
