"""The follow-up set: 66 two-turn exchanges over the three dev sets, written once (2026-12-07) before the
follow-up rules were measured on them, and kept fixed.

Each exchange names a dev question (its set and id) whose gold pages are the second turn's: the second
turn is that question as a person would ask it after the first, and "full" is the dev question itself,
written out. The dev questions' own text is never copied here: a turn is either written out in full (my
words), or made from the dev question by a named change:

- {"shift": n}: the dev question with its one year moved n years, written as it writes it (a first turn
  about another year);
- {"replace": [[old, new], ...]}: the dev question with words replaced (the company for "its", say);
- "same": the dev question as it is (a second turn that needs no rewrite).

Kinds: "relative" (the year before, the following year, two years earlier, the previous quarter),
"topic" (the topic carried to a period named outright: "and in FY2017?"), "pronoun" (its, the company,
that report), "company" (the same question of another company), "none" (a question that stands alone).
"""

from __future__ import annotations

EXCHANGES = [
    # ---- FinanceBench: relative periods ------------------------------------------------------------
    {"set": "financebench", "ref": "financebench_id_03029", "kind": "relative", "first": {"shift": 1},
     "second": "And the year before?"},
    {"set": "financebench", "ref": "financebench_id_08286", "kind": "relative", "first": {"shift": 1},
     "second": "What about the previous year?"},
    {"set": "financebench", "ref": "financebench_id_04417", "kind": "relative", "first": {"shift": 1},
     "second": "and the prior year?"},
    {"set": "financebench", "ref": "financebench_id_04209", "kind": "relative", "first": {"shift": 1},
     "second": "And a year earlier?"},
    {"set": "financebench", "ref": "financebench_id_03031", "kind": "relative", "first": {"shift": -1},
     "second": "And the following year?"},
    {"set": "financebench", "ref": "financebench_id_04700", "kind": "relative", "first": {"shift": 2},
     "second": "and two years earlier?"},
    {"set": "financebench", "ref": "financebench_id_03282", "kind": "relative", "first": {"shift": 1},
     "second": "And the year before that?"},
    {"set": "financebench", "ref": "financebench_id_03531", "kind": "relative", "first": {"shift": -1},
     "second": "What about the next year?"},
    {"set": "financebench", "ref": "financebench_id_04660", "kind": "relative", "first": {"shift": 1},
     "second": "And for the preceding year?"},
    {"set": "financebench", "ref": "financebench_id_00684", "kind": "relative", "first": {"shift": 1},
     "second": "and the year before?"},
    # ---- FinanceBench: the topic carried to a period named outright ---------------------------------
    {"set": "financebench", "ref": "financebench_id_01928", "kind": "topic", "first": {"shift": -1},
     "second": "And for FY 2023?"},
    {"set": "financebench", "ref": "financebench_id_00517", "kind": "topic", "first": {"shift": -1},
     "second": "And in FY2022?"},
    {"set": "financebench", "ref": "financebench_id_00678", "kind": "topic", "first": {"shift": 1},
     "second": "What about FY2022?"},
    # ---- FinanceBench: pronouns ---------------------------------------------------------------------
    {"set": "financebench", "ref": "financebench_id_03029", "kind": "pronoun",
     "first": "What was 3M's total revenue in FY2018?",
     "second": {"replace": [["for 3M", "for the company"]]}},
    {"set": "financebench", "ref": "financebench_id_04417", "kind": "pronoun",
     "first": "How many stores did Best Buy operate at the end of FY2019?",
     "second": {"replace": [["for Best Buy", "for them"]]}},
    {"set": "financebench", "ref": "financebench_id_03282", "kind": "pronoun",
     "first": "What was Netflix's revenue in FY2017?",
     "second": {"replace": [["Netflix's", "its"]]}},
    {"set": "financebench", "ref": "financebench_id_01091", "kind": "pronoun",
     "first": "What was Boeing's revenue in FY2022?",
     "second": "Has the company reported any materially important ongoing legal battles from that year?"},
    {"set": "financebench", "ref": "financebench_id_01290", "kind": "pronoun",
     "first": "What does Boeing make?",
     "second": "Who are its primary customers as of FY2022?"},
    {"set": "financebench", "ref": "financebench_id_00603", "kind": "pronoun",
     "first": "What were Ulta Beauty's net sales in FY2023?",
     "second": "What drove the increase in its merchandise inventories balance at the end of that year?"},
    {"set": "financebench", "ref": "financebench_id_01488", "kind": "pronoun",
     "first": "What did JnJ announce on August 30, 2023?",
     "second": "Which business segment of theirs will be treated as a discontinued operation from then on?"},
    # ---- FinanceBench: the same question of another company ---------------------------------------
    {"set": "financebench", "ref": "financebench_id_00678", "kind": "company",
     "first": {"replace": [["Boeing", "Lockheed Martin"]]}, "second": "What about Boeing?"},
    {"set": "financebench", "ref": "financebench_id_04209", "kind": "company",
     "first": {"replace": [["Costco", "Walmart"]]}, "second": "And Costco?"},
    {"set": "financebench", "ref": "financebench_id_03531", "kind": "company",
     "first": {"replace": [["Nike", "Adobe"]]}, "second": "How about Nike?"},
    {"set": "financebench", "ref": "financebench_id_00684", "kind": "company",
     "first": {"replace": [["AMCOR", "Boeing"]]}, "second": "What about AMCOR?"},
    # ---- FinanceBench: standing alone ------------------------------------------------------------------
    {"set": "financebench", "ref": "financebench_id_01935", "kind": "none",
     "first": "What is Boeing's FY2022 revenue?", "second": "same"},
    {"set": "financebench", "ref": "financebench_id_01275", "kind": "none",
     "first": "What were Netflix's total revenues in 2017?", "second": "same"},
    {"set": "financebench", "ref": "financebench_id_00382", "kind": "none",
     "first": "What industry does AMCOR primarily operate in?", "second": "same"},
    {"set": "financebench", "ref": "financebench_id_01474", "kind": "none",
     "first": "Who are the primary customers of Boeing?", "second": "same"},
    {"set": "financebench", "ref": "financebench_id_00724", "kind": "none",
     "first": "What was 3M's capital expenditure in FY2018?", "second": "same"},
    # ---- OfficeQA: relative periods -----------------------------------------------------------------
    {"set": "officeqa", "ref": "UID0001", "kind": "relative", "first": {"shift": 1}, "second": "And the year before?"},
    {"set": "officeqa", "ref": "UID0006", "kind": "relative", "first": {"shift": 1},
     "second": "What about the previous year?"},
    {"set": "officeqa", "ref": "UID0087", "kind": "relative", "first": {"shift": -1},
     "second": "And the following year?"},
    {"set": "officeqa", "ref": "UID0058", "kind": "relative", "first": {"shift": 1}, "second": "and the prior year?"},
    {"set": "officeqa", "ref": "UID0044", "kind": "relative", "first": {"shift": 1}, "second": "And a year earlier?"},
    {"set": "officeqa", "ref": "UID0159", "kind": "relative", "first": {"shift": 2}, "second": "And two years before?"},
    # ---- OfficeQA: the topic carried ------------------------------------------------------------------
    {"set": "officeqa", "ref": "UID0001", "kind": "topic", "first": {"shift": 1}, "second": "And in 1940?"},
    {"set": "officeqa", "ref": "UID0087", "kind": "topic", "first": {"shift": -1}, "second": "and for September 2013?"},
    {"set": "officeqa", "ref": "UID0095", "kind": "topic", "first": {"shift": 1}, "second": "And for CY 1936?"},
    # ---- OfficeQA: pronouns ----------------------------------------------------------------------------
    {"set": "officeqa", "ref": "UID0010", "kind": "pronoun",
     "first": "What does the U.S. Treasury report under Foreign Exchange and Securities investments?",
     "second": "How much does it have invested in Japanese Yen as of March 31, 2025?"},
    {"set": "officeqa", "ref": "UID0086", "kind": "pronoun",
     "first": "What is the ESF established under the U.S. Department of Treasury?",
     "second": "What was the QoQ percent change in its total assets from the end of June 2022 through the end of "
               "September 2022?"},
    # ---- OfficeQA: standing alone ------------------------------------------------------------------------
    {"set": "officeqa", "ref": "UID0009", "kind": "none",
     "first": "What were the total expenditures for national defense in 1940?", "second": "same"},
    {"set": "officeqa", "ref": "UID0019", "kind": "none",
     "first": "What was the highest amount of U.S. claims owed by a country in 1995?", "second": "same"},
    {"set": "officeqa", "ref": "UID0039", "kind": "none",
     "first": "What were the total Individual income taxes receipts in September 2013?", "second": "same"},
    {"set": "officeqa", "ref": "UID0048", "kind": "none",
     "first": "What did the ESF hold at the end of June 2022?", "second": "same"},
    {"set": "officeqa", "ref": "UID0071", "kind": "none",
     "first": "How much did the Treasury hold in Japanese yen in 2025?", "second": "same"},
    # ---- MMLongBench: relative periods --------------------------------------------------------------------
    {"set": "mmlongbench", "ref": "#0", "kind": "relative",
     "first": {"shift": 1}, "second": "And the year before?"},
    {"set": "mmlongbench", "ref": "#103", "kind": "relative", "first": {"shift": 1},
     "second": "What about the previous year?"},
    {"set": "mmlongbench", "ref": "#154", "kind": "relative", "first": {"shift": -1},
     "second": "And the year after?"},
    {"set": "mmlongbench", "ref": "#156", "kind": "relative", "first": {"shift": 1}, "second": "and a year earlier?"},
    {"set": "mmlongbench", "ref": "#181", "kind": "relative", "first": {"shift": 2},
     "second": "And two years earlier?"},
    # ---- MMLongBench: the topic carried ----------------------------------------------------------------------
    {"set": "mmlongbench", "ref": "#184", "kind": "topic", "first": {"shift": 1}, "second": "And in 2008?"},
    {"set": "mmlongbench", "ref": "#67", "kind": "topic", "first": {"shift": -1}, "second": "And for FY 2019?"},
    # ---- MMLongBench: pronouns -------------------------------------------------------------------------------
    {"set": "mmlongbench", "ref": "#67", "kind": "pronoun",
     "first": "What was Activision Blizzard's revenue in FY 2019?",
     "second": "What is its R&D to asset ratio in FY 2019?"},
    {"set": "mmlongbench", "ref": "#26", "kind": "pronoun",
     "first": "Who is Long Ouyang?",
     "second": "How many times has his paper published in 2022 been cited?"},
    {"set": "mmlongbench", "ref": "#0", "kind": "pronoun",
     "first": "What did the Pew Research Center survey find about the threat of terrorism in 2015?",
     "second": "In that survey, what share of adults, Republicans and Democrats said the government was doing "
               "very or fairly well in reducing it?"},
    {"set": "mmlongbench", "ref": "#103", "kind": "pronoun",
     "first": "What did Pew's January 2019 survey find about Trump and the economy?",
     "second": "In that survey, by what percentage did the share of people expecting their personal finances to "
               "improve some or a lot change?"},
    # ---- MMLongBench: standing alone ---------------------------------------------------------------------------
    {"set": "mmlongbench", "ref": "#3", "kind": "none", "first": "What did Americans think of ISIS in 2015?",
     "second": "same"},
    {"set": "mmlongbench", "ref": "#20", "kind": "none", "first": "What is RAG?", "second": "same"},
    {"set": "mmlongbench", "ref": "#40", "kind": "none", "first": "What is Activision Blizzard's FY2019 revenue?",
     "second": "same"},
    {"set": "mmlongbench", "ref": "#80", "kind": "none", "first": "What does the guidebook cover?", "second": "same"},
    {"set": "mmlongbench", "ref": "#120", "kind": "none", "first": "Who published the report?", "second": "same"},
    # ---- More relative periods and pronouns on FinanceBench and OfficeQA -----------------------------------
    {"set": "financebench", "ref": "financebench_id_01902", "kind": "relative",
     "first": "Which Best Buy product category performed the best in the domestic market during Q3 of FY2024?",
     "second": "And the previous quarter?"},
    {"set": "financebench", "ref": "financebench_id_00724", "kind": "pronoun",
     "first": "What was Pfizer's total revenue in Q2 2023?",
     "second": "Which geographic region had the biggest drop in its Q22023 year over year revenues?"},
    {"set": "officeqa", "ref": "UID0087", "kind": "relative",
     "first": "What were the total Individual income taxes receipts for the U.S. Federal Government in September 2014?",
     "second": "And the year before?"},
    {"set": "officeqa", "ref": "UID0199", "kind": "relative", "first": {"shift": 1}, "second": "and the year before?"},
    {"set": "mmlongbench", "ref": "#193", "kind": "none", "first": "How much did people listen to music in 2013?",
     "second": "same"},
]
