"""Follow-ups resolved by rule against the conversation: the subject carried, the period swapped, a new
subject left alone, and the previous answer's documents carried only when the subject stays."""

from pagesight.core.types import Turn
from pagesight.generate.followup import history_of, refers_back, relative_period, resolve, usable_rewrite

APPLE = Turn("What was Apple's iPhone revenue in FY2019?", ("apple-2019",))
DEFENSE = Turn("What were the total expenditures for U.S. national defense in the calendar year of 1940?")


def test_an_elliptical_follow_up_swaps_the_period_or_the_subject():
    assert resolve("And for 2018?", [APPLE]).question == "What was Apple's iPhone revenue in FY2018?"
    assert resolve("And in 1941?", [DEFENSE]).question == (
        "What were the total expenditures for U.S. national defense in the calendar year of 1941?")
    other = resolve("What about Microsoft?", [APPLE])
    assert other.question == "What was Microsoft's iPhone revenue in FY2019?" and other.documents is None


def test_a_period_named_with_its_month_swaps_the_month_and_the_year():
    # Before: "September" was taken for a name of the follow-up's own, and the question stood alone.
    receipts = Turn("What were the total Individual income taxes receipts in September 2012? Round to one decimal.")
    assert resolve("and for September 2013?", [receipts]).question == (
        "What were the total Individual income taxes receipts in September 2013? Round to one decimal.")
    assert resolve("And in March 2014?", [receipts]).question == (
        "What were the total Individual income taxes receipts in March 2014? Round to one decimal.")
    assert resolve("And for 2013?", [receipts]).question == (  # the year alone: the month stays
        "What were the total Individual income taxes receipts in September 2013? Round to one decimal.")


def test_a_month_before_or_after_crosses_the_year_and_is_written_as_the_question_wrote_it():
    receipts = Turn("What were the total Individual income taxes receipts in January 2013? Round to one decimal.")
    assert resolve("and the previous month?", [receipts]).question == (
        "What were the total Individual income taxes receipts in December 2012? Round to one decimal.")
    assert resolve("And the month after?", [receipts]).question == (
        "What were the total Individual income taxes receipts in February 2013? Round to one decimal.")
    short = Turn("What was the public debt outstanding at the end of Sept. 2013?")
    assert resolve("and three months later?", [short]).question == (
        "What was the public debt outstanding at the end of Dec. 2013?")
    assert relative_period("What was it two months earlier?")[:2] == ("month", -2)
    # No month in the question before: nothing to move, the subject carried as for any follow-up.
    assert resolve("and the previous month?", [APPLE]).question == "and the previous month (Apple, 2019)?"


def test_a_follow_up_that_leans_back_carries_the_subject_and_the_documents():
    tablets = resolve("What about tablets?", [APPLE])
    assert tablets.question == "What about tablets (Apple, 2019)?" and tablets.rewritten_by == "rules"
    assert tablets.documents == ("apple-2019",)
    assert resolve("What was its net income?", [APPLE]).question == "What was its net income (Apple, 2019)?"
    receipts = resolve("What were the total receipts that year?", [DEFENSE])
    assert receipts.question == "What were the total receipts that year (1940)?"
    # another year: the previous answer's filing is not where that year is (no scope carried)
    assert resolve("What was the total debt in 2017?", [APPLE]).documents is None


def test_a_question_that_stands_alone_is_left_as_asked():
    boeing = resolve("What is Boeing's FY2020 revenue?", [APPLE])
    assert boeing.question == "What is Boeing's FY2020 revenue?" and not boeing.rewritten and boeing.documents is None
    assert resolve("What was Apple's revenue?", []).question == "What was Apple's revenue?"
    plain = Turn("How are you today?")  # nothing to carry
    assert resolve("And the ships?", [plain]).question == "And the ships?"
    assert not refers_back("How many ships did the keeper of Port Ellis count in the summer of 1820?")
    assert refers_back("And the ships?") and refers_back("How did that change?")


def test_a_model_rewrite_is_used_only_when_it_is_a_question():
    assert usable_rewrite('Standalone question: "What was Apple\'s iPad revenue in 2019?"', "tablets?") == (
        "What was Apple's iPad revenue in 2019?")
    assert usable_rewrite("", "tablets?") is None
    assert usable_rewrite("Revenue was $21bn [1].", "tablets?") is None  # an answer, with a citation
    assert usable_rewrite("x" * 700, "tablets?") is None


NETFLIX = Turn("What were Netflix's total revenues in 2017?")


def test_a_period_relative_to_the_previous_ones_is_computed_and_the_topic_carried():
    assert resolve("and the year before?", [NETFLIX]).question == "What were Netflix's total revenues in 2016?"
    assert resolve("And the previous year?", [NETFLIX]).question == "What were Netflix's total revenues in 2016?"
    assert resolve("and two years earlier?", [NETFLIX]).question == "What were Netflix's total revenues in 2015?"
    assert resolve("And the following year?", [NETFLIX]).question == "What were Netflix's total revenues in 2018?"
    assert resolve("and the year before?", [APPLE]).question == "What was Apple's iPhone revenue in FY2018?"
    fy = Turn("What is Pfizer's PPNE in FY21?")
    assert resolve("and the prior year?", [fy]).question == "What is Pfizer's PPNE in FY20?"
    own = resolve("What was its net income the year before?", [NETFLIX])
    assert own.question == "What was its net income in 2016 (Netflix)?" and own.rewritten_by == "rules"
    # a question that names its own year is not moved
    assert resolve("And the year before, in 2014?", [NETFLIX]).question == "And the year before, in 2014 (Netflix)?"


def test_a_quarter_before_or_after_crosses_the_year():
    amcor = Turn("What was AMCOR's restructuring liability in Q1 of FY2023?")
    assert resolve("and the previous quarter?", [amcor]).question == (
        "What was AMCOR's restructuring liability in Q4 of FY2022?")
    assert resolve("and the next quarter?", [amcor]).question == (
        "What was AMCOR's restructuring liability in Q2 of FY2023?")
    jnj = Turn("Did JnJ's net earnings increase in the fourth quarter of 2022?")
    assert resolve("and the quarter after?", [jnj]).question == (
        "Did JnJ's net earnings increase in the first quarter of 2023?")
    assert relative_period("How did sales do two quarters earlier?")[:2] == ("quarter", -2)
    assert relative_period("What about revenue?") is None


def test_a_chats_earlier_questions_are_resolved_as_a_conversation_keeps_them():
    turns = history_of(["What were Netflix's total revenues in 2017?", "and the year before?"], [("nflx-2017",)])
    assert [t.question for t in turns] == ["What were Netflix's total revenues in 2017?",
                                           "What were Netflix's total revenues in 2016?"]
    assert turns[0].documents == ("nflx-2017",) and turns[1].documents == ()
    assert resolve("and two years before that?", turns).question == "What were Netflix's total revenues in 2014?"
    many = history_of([f"Question {n} about the 1820 dues?" for n in range(10)])
    assert len(many) == 4 and many[-1].question == "Question 9 about the 1820 dues?"
