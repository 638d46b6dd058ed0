"""Table rows read from a page's lines (generate/tables.py): each figure with its column."""

from pagesight.generate.tables import rows_of

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
