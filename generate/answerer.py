"""One interface for every answerer: `answer(question, evidence) -> Answer`, and `stream`, which
yields the text as it is generated (str) and ends with the Answer: the text with only valid
citation markers, and the structured citations. Citations are checked as the text streams: a
marker pointing at a page the model was not given never reaches a client, and the text streamed
is the Answer's text exactly.

Every answerer first checks that the pages bear on the question (support.py): when a year or a
name the question asks about is on none of them, it says so instead of answering. A generated
answer's claims are then checked against the pages they cite."""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from ..core.errors import GenerationError
from ..core.i18n import answer_locale, say
from ..core.types import Answer, Turn
from .citations import CitationStream, cite
from .followup import Resolved, resolve, rewrite_prompt_text, usable_rewrite
from .prompt import Evidence, Part, Prompt, build_prompt
from .support import check_claims, missing_terms

__all__ = ["Answerer", "NO_PAGES", "VLMAnswerer", "no_such_page", "not_in_these_documents"]

log = logging.getLogger(__name__)

REWRITE_PROMPT = (
    "You rewrite the last question of a conversation about documents into one standalone question that "
    "can be searched on its own: put back the company, product, period or other subject it refers to "
    "from the earlier questions, and keep everything else as asked. Reply with the question only, on one "
    "line, without answering it."
)
NO_PAGES = "No indexed page matches the question, so there is nothing to answer from."


def not_in_these_documents(missing: list[str]) -> str:
    named = ", ".join(f'"{m}"' for m in missing)
    return (f"Not in these documents: the pages found do not mention {named}, so they do not answer this "
            "question.")


def no_such_page(absent: str) -> str:
    """The answer to a question about pages its document does not have (`absent`: "page 40 (log.pdf has 12)")."""
    return f"Not in these documents: the question asks about {absent}, so they do not answer it."


class Answerer(ABC):
    name: str = "answerer"
    extractive: bool = False

    def rewrite(self, question: str, history: Sequence[Turn]) -> Resolved:
        """A follow-up as a standalone question, from the conversation before it (followup.py's rules)."""
        return resolve(question, history)

    def answer(self, question: str, evidence: list[Evidence], titles: Sequence[str] | None = None) -> Answer:
        *_, final = self.stream(question, evidence, titles)
        return final

    def stream(self, question: str, evidence: list[Evidence],
               titles: Sequence[str] | None = None) -> Iterator[str | Answer]:
        """Text deltas, then one Answer; "not in these documents" when the pages do not bear on the question
        (support.missing_terms; `titles`: the collection's document titles, which name its subjects)."""
        missing = missing_terms(question, evidence, titles)
        if not evidence or missing:
            text = say(not_in_these_documents(missing) if evidence else NO_PAGES, answer_locale(question))
            yield text
            yield Answer(text=text, extractive=self.extractive, answerer=self.name, abstained=True,
                         pages=[e.hit for e in evidence])
            return
        yield from self._stream(question, evidence)

    @abstractmethod
    def _stream(self, question: str, evidence: list[Evidence]) -> Iterator[str | Answer]:
        """Text deltas, then one Answer, from pages that bear on the question."""


class VLMAnswerer(Answerer):
    """A model that reads the prompt (page images, fenced page text, question) and writes the answer."""

    with_text: bool = True

    def _stream(self, question: str, evidence: list[Evidence]) -> Iterator[str | Answer]:
        checked = CitationStream(evidence)
        for delta in self._generate(build_prompt(question, evidence, self.with_text)):
            if shown := checked.feed(delta):
                yield shown
        if rest := checked.close():
            yield rest
        claims = check_claims(checked.text, evidence)
        yield Answer(text=checked.text, citations=cite(checked.text, evidence), answerer=self.name,
                     dropped_citations=checked.dropped, pages=[e.hit for e in evidence], claims=claims,
                     abstained=_declines(checked.text) and not any(c.markers for c in claims))

    def rewrite(self, question: str, history: Sequence[Turn]) -> Resolved:
        """The model rewrites a follow-up into a standalone question; the rules do when it gives nothing
        usable. The scope carried is the rules' (the previous answer's documents, when no new subject)."""
        by_rules = resolve(question, history)
        if not history:
            return by_rules
        prompt = Prompt(REWRITE_PROMPT, [Part("text", rewrite_prompt_text(question, history))])
        try:
            text = usable_rewrite("".join(self._generate(prompt)), question)
        except GenerationError as e:
            log.warning("the follow-up was rewritten by rule: the model failed (%s)", e)
            return by_rules
        if text is None:
            return by_rules
        return Resolved(text, "model" if text != question.strip() else None, by_rules.documents)

    @abstractmethod
    def _generate(self, prompt: Prompt) -> Iterator[str]:
        """Text deltas for a prompt."""


def _declines(text: str) -> bool:
    """Whether a generated answer says the pages do not answer (as the system prompt asks it to)."""
    return bool(re.search(r"\b(?:do|does|did)\s+not\s+(?:contain|answer|mention|say|include|provide|state)|"
                          r"\bnot\s+in\s+(?:these|the)\s+(?:documents|pages)|\bno\s+information\b", text, re.I))
