"""A follow-up question resolved against the conversation before it is searched.

"And for 2013?", "what about its tablets?", "How did that change?" mean nothing to a retriever on
their own. A model answerer rewrites them into a standalone question (`VLMAnswerer.rewrite`); without
one, `resolve` does it by rule, from the key terms of the conversation (support.key_terms):

- a question that names its own subject (a name, or a year where the previous one had none) and
  does not refer back stands alone, unchanged;
- an elliptical follow-up ("and for 2013?", "what about Microsoft?") is the previous question with
  the new years or names put in place of the old ones, or with the new words added when it brings
  neither;
- any other follow-up (short, or referring back with "it", "their", "that year") keeps its words and
  carries the names and years of the previous question it lacks, in brackets.

The documents the previous answer cited are carried as the follow-up's scope when it names no new
subject of its own: "what about tablets?" is asked of the filing the conversation is about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.types import Turn
from .support import key_terms

__all__ = ["MAX_REWRITE", "Resolved", "refers_back", "resolve", "rewrite_prompt_text", "usable_rewrite"]

MAX_REWRITE = 600  # characters: a model's rewrite longer than this is not a question
_ELLIPTIC = re.compile(r"^\s*(?:and|also|but|or|now|then|ok(?:ay)?|same|so)?\s*,?\s*(?:what|how)\s+about\b|"
                       r"^\s*(?:and|also|or)\b|^\s*(?:same|likewise)\b|^\s*what\s+of\b", re.IGNORECASE)
_BACK = re.compile(r"\b(?:it|its|it's|they|them|their|theirs|that|this|those|these|there|then|he|she|his|her|"
                   r"same|former|latter|above|previous|previously|earlier|mentioned|aforementioned|"
                   r"the\s+company|the\s+firm|the\s+year|that\s+year|this\s+year)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9][\w'&.-]*")
_FILLER = frozenset("""and also but or now then ok okay so what how about of for in the a an same likewise
please tell me is was were are do does did""".split())
SHORT = 4  # content words: a follow-up this short leans on what came before


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
    """The years as a question writes them (FY2018, 2018, fiscal 2018 all give '2018' to replace)."""
    return [m.group(0).strip() for m in re.finditer(r"\b(?:FY|CY)?\s?'?(?:18|19|20)\d\d\b", question)]


def _as_written(years: Sequence[str], like: Sequence[str]) -> list[str]:
    """New years written as the previous question wrote its own: "2018" after "FY2019" is "FY2018"."""
    prefix = re.match(r"^(FY|CY)\s?'?", like[0], re.IGNORECASE) if like else None
    return [prefix.group(0) + y if prefix and y.isdigit() else y for y in years]


def resolve(question: str, history: Sequence[Turn]) -> Resolved:
    """The follow-up `question` as a standalone question, by rule (see the module's docstring)."""
    question = question.strip()
    if not history:
        return Resolved(question)
    previous = history[-1]
    before, now = key_terms(previous.question), key_terms(question)
    if not before:  # nothing to carry
        return Resolved(question)
    back = refers_back(question)
    if now.names and not back:
        return Resolved(question)  # a new subject, named in full
    if not back and now.years and not before.years:
        return Resolved(question)
    # The previous answer's documents hold the follow-up only when it asks about the same subject and period.
    carried_scope = previous.documents if previous.documents and not now.names and not now.years else None
    elliptic = bool(_ELLIPTIC.search(question)) or len(_content(question)) <= SHORT
    if elliptic:
        words = _content(question)
        only_years = now.years and len(words) == len(_years_of(question))
        only_names = now.names and not now.years and all(
            any(w in name.split() for name in now.names) for w in words)
        if only_years and before.years:
            old = _years_of(previous.question)
            if swapped := _substitute(previous.question, old, _as_written(now.years, old)):
                return Resolved(swapped, "rules", carried_scope)
        if only_names and before.names:
            if swapped := _substitute(previous.question, list(before.names), list(now.names)):
                return Resolved(swapped, "rules", None)  # another subject: the previous documents do not hold it
    carry = [n for n in before.names if not now.names] + [y for y in before.years if not now.years]
    if not carry:
        return Resolved(question, None, carried_scope)
    return Resolved(f"{question.rstrip(' ?')} ({', '.join(carry)})?", "rules", carried_scope)


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
