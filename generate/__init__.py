"""Answers grounded in the retrieved pages: a local VLM (transformers), a remote OpenAI-compatible
VLM, or the offline extractive answerer; all cite the pages they used."""

from __future__ import annotations

from pagesight.core.settings import Settings
from pagesight.generate.answerer import NO_PAGES, Answerer, VLMAnswerer
from pagesight.generate.prompt import SYSTEM_PROMPT, Evidence, build_prompt, gather_evidence

__all__ = ["NO_PAGES", "SYSTEM_PROMPT", "Answerer", "Evidence", "VLMAnswerer", "build_prompt", "choose_answerer",
           "gather_evidence", "load_answerer"]


def choose_answerer(settings: Settings, profile: str) -> tuple[str, str]:
    """Which answerer runs, and in a few words why."""
    from pagesight.index.profiles import profile_models

    if settings.answerer != "auto":
        return settings.answerer, "set by PAGESIGHT_ANSWERER"
    if settings.remote_url:
        return "remote", f"PAGESIGHT_REMOTE_URL is set ({settings.remote_url})"
    generator = profile_models(profile, settings).get("generator")
    if generator:
        from pagesight.index.profiles import snapshot

        if snapshot(generator) is not None:
            return "local", f"{generator} is on disk"
        return "extractive", f"{generator} is not on disk (`pagesight models pull` fetches it)"
    return "extractive", f"the {profile} profile has no generator"


def load_answerer(settings: Settings, text_encoder, kind: str, profile: str) -> Answerer:
    if kind == "extractive":
        from pagesight.generate.extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(text_encoder)
    common = dict(max_pixels=settings.answer_max_pixels, max_new_tokens=settings.answer_max_new_tokens,
                  with_text=settings.answer_page_text)
    if kind == "remote":
        from pagesight.core.errors import GenerationError
        from pagesight.generate.remote import RemoteVLMAnswerer

        if not settings.remote_url:
            raise GenerationError("the remote answerer needs PAGESIGHT_REMOTE_URL (an OpenAI-compatible base URL)")
        return RemoteVLMAnswerer(settings.remote_url, settings.remote_model, api_key=settings.remote_api_key,
                                 timeout_s=settings.remote_timeout_s, retries=settings.remote_retries, **common)
    from pagesight.generate.local import LocalVLMAnswerer
    from pagesight.index.profiles import profile_models

    model = profile_models(profile, settings).get("generator", settings.generator_model)
    return LocalVLMAnswerer(model, device=settings.device, dtype=settings.dtype, **common)
