"""Answerers (local VLM, remote VLM, extractive) over retrieved pages. Not built yet."""

__all__: list[str] = []
