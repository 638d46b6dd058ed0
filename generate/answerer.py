"""One interface for every answerer: `answer(question, evidence) -> Answer`, and `stream`, which
yields the text as it is generated (str) and ends with the Answer: the text with only valid
citation markers, and the structured citations. Citations are checked as the text streams: a
marker pointing at a page the model was not given never reaches a client, and the text streamed
is the Answer's text exactly."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from ..core.types import Answer
from .citations import CitationStream, cite
from .prompt import Evidence, Prompt, build_prompt

__all__ = ["Answerer", "NO_PAGES", "VLMAnswerer"]

NO_PAGES = "No indexed page matches the question, so there is nothing to answer from."


class Answerer(ABC):
    name: str = "answerer"

    def answer(self, question: str, evidence: list[Evidence]) -> Answer:
        *_, final = self.stream(question, evidence)
        return final

    @abstractmethod
    def stream(self, question: str, evidence: list[Evidence]) -> Iterator[str | Answer]:
        """Text deltas, then one Answer."""


class VLMAnswerer(Answerer):
    """A model that reads the prompt (page images, fenced page text, question) and writes the answer."""

    with_text: bool = True

    def stream(self, question: str, evidence: list[Evidence]) -> Iterator[str | Answer]:
        if not evidence:
            yield NO_PAGES
            yield Answer(text=NO_PAGES, answerer=self.name)
            return
        checked = CitationStream(evidence)
        for delta in self._generate(build_prompt(question, evidence, self.with_text)):
            if shown := checked.feed(delta):
                yield shown
        if rest := checked.close():
            yield rest
        yield Answer(text=checked.text, citations=cite(checked.text, evidence), answerer=self.name,
                     dropped_citations=checked.dropped, pages=[e.hit for e in evidence])

    @abstractmethod
    def _generate(self, prompt: Prompt) -> Iterator[str]:
        """Text deltas for a prompt."""
