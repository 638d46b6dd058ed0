"""Answers grounded in the retrieved pages: a local VLM (transformers), a remote OpenAI-compatible
VLM, or the offline extractive answerer; all cite the pages they used. An answerer is handed its
evidence (the pages, with their text and regions); it never searches or opens a store."""

from __future__ import annotations

from ..core.errors import GenerationError
from ..core.settings import Settings
from .answerer import NO_PAGES, Answerer, VLMAnswerer, no_such_page
from .followup import Resolved
from .prompt import SYSTEM_PROMPT, Evidence, build_prompt

__all__ = ["ANSWERERS", "NO_PAGES", "SYSTEM_PROMPT", "Answerer", "Evidence", "Resolved", "VLMAnswerer",
           "build_prompt", "load_answerer", "no_such_page"]

ANSWERERS = ("local", "remote", "extractive")


def load_answerer(kind: str, settings: Settings, *, text_encoder=None, generator_model: str | None = None) -> Answerer:
    """The answerer of this kind: extractive (needs the text encoder), remote (PAGESIGHT_REMOTE_URL) or
    local (the generator model's folder or name)."""
    if kind == "extractive":
        from .extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(text_encoder)
    common = dict(max_pixels=settings.answer_max_pixels, max_new_tokens=settings.answer_max_new_tokens,
                  with_text=settings.answer_page_text)
    if kind == "remote":
        from .remote import RemoteVLMAnswerer

        if not settings.remote_url:
            raise GenerationError("the remote answerer needs PAGESIGHT_REMOTE_URL (an OpenAI-compatible base URL)")
        return RemoteVLMAnswerer(settings.remote_url, settings.remote_model, api_key=settings.remote_api_key,
                                 timeout_s=settings.remote_timeout_s, retries=settings.remote_retries, **common)
    if kind == "local":
        from .local import LocalVLMAnswerer

        return LocalVLMAnswerer(generator_model or settings.generator_model, device=settings.device,
                                dtype=settings.dtype, **common)
    raise GenerationError(f"unknown answerer {kind!r}: choose {', '.join(ANSWERERS)}")
