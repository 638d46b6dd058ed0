"""File type from the bytes, never from the name."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import EmptyFile, UnsupportedFileType

__all__ = ["SUPPORTED", "sniff", "sniff_file"]

SUPPORTED = ("application/pdf", "image/png", "image/jpeg", "image/tiff", "image/webp")


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None when it is none we read."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    # PDF readers accept the header anywhere in the first KiB (some files carry junk before it).
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    return None


def sniff_file(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(1024)
    if not head:
        raise EmptyFile("the file is empty (0 bytes)", path)
    media_type = sniff(head)
    if media_type is None:
        raise UnsupportedFileType(
            "not a PDF, PNG, JPEG, TIFF or WebP file (judged by its content, not its name)", path
        )
    return media_type
