"""A follow-up question resolved against the conversation before it is searched.

"And for 2013?", "what about its tablets?", "How did that change?" mean nothing to a retriever on
their own. A model answerer rewrites them into a standalone question (`VLMAnswerer.rewrite`); without
one, `resolve` does it by rule, from the key terms of the conversation (support.key_terms):

- a question that names its own subject (a name, or a year where the previous one had none) and
  does not refer back stands alone, unchanged;
- an elliptical follow-up ("and for 2013?", "what about Microsoft?") is the previous question with
  the new years or names put in place of the old ones, or with the new words added when it brings
  neither;
- a follow-up naming a period relative to the previous question's ("the year before", "two years
  earlier", "the following year", "the previous quarter", "the month before") is about that period: the period is
  computed from the previous question's, and the follow-up is then one of the above with that period
  written out (elliptical: "and the year before?" after "What were Netflix's total revenues in 2017?"
  is "What were Netflix's total revenues in 2016?", the topic carried; or with words of its own:
  "What was its net income the year before?" is "What was its net income in 2016 (Netflix)?");
- any other follow-up (short, or referring back with "it", "their", "that year") keeps its words and
  carries the names and years of the previous question it lacks, in brackets.

`history_of` turns the earlier questions of a chat (as a client sends them: the OpenAI protocol's user
messages, MCP's `history`) into the turns a follow-up is resolved against, each resolved by rule against
those before it: every face resolves a follow-up the same way as a conversation kept on the server.

The documents the previous answer cited are carried as the follow-up's scope when it names no new
subject of its own: "what about tablets?" is asked of the filing the conversation is about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.types import Turn
from .support import key_terms

__all__ = ["HISTORY_TURNS", "MAX_REWRITE", "Resolved", "history_of", "refers_back", "relative_period", "resolve",
           "rewrite_prompt_text", "usable_rewrite"]

MAX_REWRITE = 600  # characters: a model's rewrite longer than this is not a question
HISTORY_TURNS = 4  # earlier exchanges a follow-up is resolved against
_ELLIPTIC = re.compile(r"^\s*(?:and|also|but|or|now|then|ok(?:ay)?|same|so)?\s*,?\s*(?:what|how)\s+about\b|"
                       r"^\s*(?:and|also|or)\b|^\s*(?:same|likewise)\b|^\s*what\s+of\b", re.IGNORECASE)
# Words that point back to what was asked before. "that", "this", "these" and "those" only with a noun of
# the kind a conversation is about ("that year", "this segment"): alone they are as often a relative pronoun
# ("the code that corresponds to step 5") or a determiner of the question's own subject.
_NOUNS = (r"year|years|period|quarter|month|company|companies|firm|segment|segments|business|division|report|survey|"
          r"document|paper|study|filing|product|products|region|country|time|figure|number|amount|metric|one|ones|"
          r"chart|table|page|section|issue|bulletin|fund|bureau|agency|program|plan")
_BACK = re.compile(rf"\b(?:it|its|it's|they|them|their|theirs|he|she|his|her|"
                   rf"same|former|latter|above|previous|previously|earlier|mentioned|aforementioned|"
                   rf"(?:that|this|these|those|the)\s+(?:{_NOUNS}))\b"
                   # "there" and "then" of a place or a time already named ("count there?"), not "there were"
                   rf"|(?<=\w\s)\b(?:there|then)\b(?!\s+(?:is|are|was|were|be|been|will|would|have|has|had|any)\b)",
                   re.IGNORECASE)
# A pronoun standing for the previous question's subject: its names are carried even when this one holds
# capitalised words of its own ("Base your judgments on..." is no subject).
_STANDS_FOR_SUBJECT = re.compile(r"\b(?:it|its|it's|they|them|their|theirs|he|she|his|her|"
                                 r"(?:the|that|this)\s+(?:company|firm|business|group|organi[sz]ation))\b",
                                 re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9][\w'&.-]*")
_FILLER = frozenset("""and also but or now then ok okay so what how about of for in the a an same likewise
please tell me is was were are do does did""".split())
SHORT = 4  # content words: a follow-up this short leans on what came before

_COUNT = {"one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_N = r"(one|a|two|three|four|five|[1-5])"
# A period named relative to the previous question's: (pattern, unit, sign); a count in the pattern's
# first group multiplies the step (two years earlier: -2), none is one step.
_RELATIVE = (
    (rf"\b{_N}\s+years?\s+(?:before|earlier|prior|previously|back)\b", "year", -1),
    (r"\b(?:the\s+)?(?:previous|prior|preceding|last)\s+(?:fiscal\s+)?year(?:'s)?\b|\bthe\s+year\s+(?:before|earlier|prior)\b"
     r"|\byear\s+before\b", "year", -1),
    (rf"\b{_N}\s+years?\s+(?:later|after|on)\b", "year", 1),
    (r"\b(?:the\s+)?(?:next|following|subsequent)\s+(?:fiscal\s+)?year(?:'s)?\b|\bthe\s+year\s+after\b", "year", 1),
    (rf"\b{_N}\s+quarters?\s+(?:before|earlier|prior)\b", "quarter", -1),
    (r"\b(?:the\s+)?(?:previous|prior|preceding|last)\s+quarter(?:'s)?\b|\bthe\s+quarter\s+before\b", "quarter", -1),
    (r"\b(?:the\s+)?(?:next|following|subsequent)\s+quarter(?:'s)?\b|\bthe\s+quarter\s+after\b", "quarter", 1),
    (rf"\b{_N}\s+months?\s+(?:before|earlier|prior)\b", "month", -1),
    (r"\b(?:the\s+)?(?:previous|prior|preceding|last)\s+month(?:'s)?\b|\bthe\s+month\s+before\b", "month", -1),
    (rf"\b{_N}\s+months?\s+(?:later|after)\b", "month", 1),
    (r"\b(?:the\s+)?(?:next|following|subsequent)\s+month(?:'s)?\b|\bthe\s+month\s+after\b", "month", 1),
)
# Words around a relative period that add nothing to it ("and two years before that?").
_PERIOD_FILLER = frozenset("in for during over of at that this then there from the same period".split())
_MONTH = re.compile(r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?", re.IGNORECASE)
_QUARTER_NAMED = re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth)\s+quarter\b", re.IGNORECASE)
_ORDINALS = ("first", "second", "third", "fourth")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


@dataclass(frozen=True)
class Resolved:
    """A question as it will be searched and answered: standalone, how it got so, and the documents
    carried from the conversation as its scope (None: no scope carried)."""

    question: str
    rewritten_by: str | None = None  # None (stood alone), "rules" or "model"
    documents: tuple[str, ...] | None = None

    @property
    def rewritten(self) -> bool:
        return self.rewritten_by is not None


def _content(question: str) -> list[str]:
    return [w for w in _WORD.findall(question) if w.lower() not in _FILLER]


def refers_back(question: str) -> bool:
    """Whether a question leans on what came before: elliptical, short, or with words that point back."""
    return bool(_ELLIPTIC.search(question) or _BACK.search(question) or len(_content(question)) <= SHORT)


def _substitute(previous: str, old: Sequence[str], new: Sequence[str]) -> str:
    """The previous question with its first old term put as the new ones, the rest of the old dropped."""
    out, placed = previous, False
    for term in old:
        pattern = re.compile(rf"(?<![\w]){re.escape(term)}(?![\w])")
        if not placed and pattern.search(out):
            out = pattern.sub(" and ".join(new), out, count=1)
            out = pattern.sub("", out)
            placed = True
        else:
            out = pattern.sub("", out)
    return re.sub(r"\s{2,}", " ", out).strip() if placed else ""


def _years_of(question: str) -> list[str]:
    """The years as a question writes them (FY2018, 2018, fiscal 2018 all give '2018' to replace; FY18 too)."""
    pattern = r"\b(?:FY|CY)?\s?'?(?:18|19|20)\d\d\b|\b(?:FY|CY)\s?'?\d\d\b"
    return [m.group(0).strip() for m in re.finditer(pattern, question, re.IGNORECASE)]


def _as_written(years: Sequence[str], like: Sequence[str]) -> list[str]:
    """New years written as the previous question wrote its own: "2018" after "FY2019" is "FY2018"."""
    prefix = re.match(r"^(FY|CY)\s?'?", like[0], re.IGNORECASE) if like else None
    return [prefix.group(0) + y if prefix and y.isdigit() else y for y in years]


def relative_period(question: str) -> tuple[str, int, re.Match] | None:
    """The period a question names relative to an earlier one's: (unit, steps, where it is written), e.g.
    ("year", -1) for "the year before", ("year", -2) for "two years earlier", ("quarter", -1) for "the
    previous quarter", ("month", 1) for "the following month"; None when it names none."""
    for pattern, unit, sign in _RELATIVE:
        if match := re.search(pattern, question, re.IGNORECASE):
            count = _COUNT.get((match.group(1) or "").lower(), 1) if match.groups() else 1
            return unit, sign * count, match
    return None


def _move_year(text: str, written: str, steps: int) -> str:
    """The text with the year as `written` there (2018, FY2018, FY18) moved `steps` years, written alike."""
    year = int(re.search(r"(?:18|19|20)\d\d", written).group(0)) if re.search(r"(?:18|19|20)\d\d", written) \
        else 2000 + int(re.search(r"\d\d", written).group(0))
    moved = _as_written([str(year + steps)], [written])[0]
    if re.fullmatch(r"(?:FY|CY)\s?'?\d\d", written, re.IGNORECASE):  # a short year stays short
        moved = re.sub(r"(?:18|19|20)(\d\d)$", r"\1", moved)
    return re.sub(rf"(?<![\w]){re.escape(written)}(?![\w])", moved, text, count=1)


def _periods_of(previous: str, unit: str, steps: int) -> tuple[str, list[str]] | None:
    """The previous question with its period moved as a relative period says, and the new period's words
    (its years; for a quarter, the quarter too); None when the previous question names no such period."""
    if unit in _NAMED:  # a month or a quarter, named once: moved, and its year with it
        pattern, move = _NAMED[unit]
        found = list(pattern.finditer(previous))
        if len(found) != 1:
            return None
        match = found[0]
        written, years = move(match, steps)
        moved = previous[:match.start()] + written + previous[match.end():]
        if years:  # across a year's end
            old = _years_of(moved)
            if not old:
                return None
            moved = _move_year(moved, old[0], years)
        return moved, [written, *_years_of(moved)[:1]]
    old = _years_of(previous)
    if not old:
        return None
    moved = previous
    for written in old:
        moved = _move_year(moved, written, steps)
    return moved, _years_of(moved)


def _month_moved(match: re.Match, steps: int) -> tuple[str, int]:
    """A month named ("September", "Sept.") moved `steps` months, written as it was (in full or short), and
    how many years that crosses."""
    name = match.group(0).rstrip(".").lower()
    index = next(i for i, m in enumerate(_MONTHS) if m.startswith(name[:3])) + steps
    full = _MONTHS[index % 12].capitalize()
    return (full if len(name) > 4 or name in ("may", "june", "july") else full[:3] + "."), index // 12


def _quarter_moved(match: re.Match, steps: int) -> tuple[str, int]:
    """A quarter named ("Q1", "first quarter") moved `steps` quarters, written alike, and the years crossed."""
    quarter = int(match.group(1)) if match.group(1) else _ORDINALS.index(match.group(2).lower()) + 1
    index = quarter - 1 + steps
    written = f"Q{index % 4 + 1}" if match.group(1) else f"{_ORDINALS[index % 4]} quarter"
    return written, index // 4


_NAMED = {"month": (_MONTH, _month_moved), "quarter": (_QUARTER_NAMED, _quarter_moved)}


def resolve(question: str, history: Sequence[Turn]) -> Resolved:
    """The follow-up `question` as a standalone question, by rule (see the module's docstring)."""
    question = question.strip()
    if not history:
        return Resolved(question)
    previous = history[-1]
    before, now = key_terms(previous.question), key_terms(question)
    if not before:  # nothing to carry
        return Resolved(question)
    if (relative := relative_period(question)) is not None and not now.years:
        unit, steps, where = relative
        if (moved := _periods_of(previous.question, unit, steps)) is not None:
            shifted, period = moved
            rest = (question[:where.start()] + " " + question[where.end():]).strip()
            words = [w for w in _content(rest) if w.lower() not in _PERIOD_FILLER]
            if not words:  # "and the year before?": the previous question, in the period named
                return Resolved(shifted, "rules", None)
            # words of its own: they are asked of the period named, with the subject carried
            question = re.sub(r"\s{2,}", " ", f"{question[:where.start()]} in {' '.join(period)} "
                                               f"{question[where.end():]}")
            question = re.sub(r"\s+([?.!,])", r"\1", question).strip()
            now = key_terms(question)
    back = refers_back(question)
    if not back:
        return Resolved(question)  # a question that does not lean on the one before stands alone
    # The previous answer's documents hold the follow-up only when it asks about the same subject and period.
    carried_scope = previous.documents if previous.documents and not now.names and not now.years else None
    elliptic = bool(_ELLIPTIC.search(question)) or len(_content(question)) <= SHORT
    if elliptic:
        words = _content(question)
        # The period named outright, a month with its year or the year alone ("and for September 2013?")
        without_years = _content(_MONTH.sub(" ", re.sub(
            r"|".join(re.escape(y) for y in _years_of(question)) or r"(?!x)x", " ", question)))
        only_years = now.years and not without_years
        only_names = now.names and not now.years and all(
            any(w in name.split() for name in now.names) for w in words)
        if only_years and before.years:
            old = _years_of(previous.question)
            if swapped := _substitute(previous.question, old, _as_written(now.years, old)):
                months, before_months = _MONTH.findall(question), _MONTH.findall(previous.question)
                if len(months) == 1 and len(before_months) == 1:  # "September 2012" -> "March 2014"
                    swapped = _MONTH.sub(months[0].strip(), swapped, count=1)
                return Resolved(swapped, "rules", carried_scope)
        if only_names and before.names:
            if swapped := _substitute(previous.question, list(before.names), list(now.names)):
                return Resolved(swapped, "rules", None)  # another subject: the previous documents do not hold it
    pronoun = bool(_STANDS_FOR_SUBJECT.search(question))
    carry = [n for n in before.names if not now.names or (pronoun and n not in question)]
    carry += [y for y in before.years if not now.years]
    if not carry:
        return Resolved(question, None, carried_scope)
    return Resolved(f"{question.rstrip(' ?')} ({', '.join(carry)})?", "rules", carried_scope)


def history_of(questions: Sequence[str], documents: Sequence[Sequence[str]] = ()) -> list[Turn]:
    """Earlier questions of a chat, oldest first (the last HISTORY_TURNS), as a follow-up is resolved
    against them: each resolved by rule against the ones before it, as a conversation kept on the server
    keeps them ("and for 2013?" after a question about 2012 stands for that question in 2013).
    `documents`: what each one's answer cited, when the client says."""
    turns: list[Turn] = []
    cited = list(documents) + [()] * (len(questions) - len(documents))
    for question, docs in list(zip(questions, cited, strict=True))[-HISTORY_TURNS:]:
        turns.append(Turn(resolve(question, turns).question, tuple(docs)))
    return turns


def rewrite_prompt_text(question: str, history: Sequence[Turn]) -> str:
    """What a model reads to rewrite a follow-up: the earlier questions, then the follow-up."""
    lines = [f"Earlier question {i}: {turn.question}" for i, turn in enumerate(history[-4:], start=1)]
    return "\n".join([*lines, f"Follow-up: {question}"])


def usable_rewrite(text: str, question: str) -> str | None:
    """A model's rewrite, cleaned, or None when it is not a usable question (empty, too long, an answer)."""
    text = re.sub(r"^(?:standalone question|rewritten question|question)\s*:\s*", "", text.strip(), flags=re.IGNORECASE)
    text = text.splitlines()[0].strip().strip('"').strip() if text else ""
    if not text or len(text) > max(MAX_REWRITE, 3 * len(question)) or "[" in text:
        return None
    return text
