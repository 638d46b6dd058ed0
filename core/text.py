"""Text from files and requests made safe to show, quote or put in a prompt: one rule for every face."""

from __future__ import annotations

import re

__all__ = ["CONTROL", "LIGATURES", "display_name", "for_terminal", "strip_control"]

# C0 and C1 control characters (tab and newline excepted), zero-width and bidirectional controls:
# invisible to a reader, and able to reorder or hide what is shown. Lone surrogates cannot be encoded.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# Typographic ligatures a PDF's fonts (and Tesseract) give as one character: a reader sees the letters,
# and a search must ("ﬁnancial" is "financial").
LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "st", 0xFB06: "st"}


def strip_control(text: str) -> str:
    """The text without control characters; tabs and newlines stay."""
    return CONTROL.sub("", text)


def for_terminal(text: object, keep: str = "\n\t") -> str:
    """Text as a terminal should show it: anything unprintable (escape sequences included) becomes
    U+FFFD, so a document or file name can never drive the terminal."""
    return "".join(c if c.isprintable() or c in keep else "\ufffd" for c in str(text))


def display_name(raw: str | None, fallback: str = "upload") -> str:
    """A file name for display only (never a path): its last component, without control characters or
    separators, not starting with a dot, at most 200 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = strip_control(name).strip().lstrip(".")[:200]
    return name or fallback
