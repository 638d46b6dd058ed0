"""Which files an ingest takes, what they are, and their document ids.

Folders are walked and globs expanded; a file's type comes from its bytes; its document id is the
hash of its bytes, so the same bytes are the same document wherever they live.
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Iterable
from pathlib import Path

from ..core.errors import EmptyFile, FileTooLarge
from ..core.types import FileOutcome
from .detect import SUPPORTED, sniff, sniff_file

__all__ = ["document_id", "find_files", "inspect"]


def document_id(path: Path) -> str:
    """The sha256 of the file's bytes (hex, first 32 characters)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:32]


def inspect(path: Path, max_file_mb: float) -> str:
    """The file's media type, after the checks that need no parser: not empty, not over the size limit,
    a type PageSight reads (judged by the bytes). Raises an IngestError naming the file."""
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile("the file is empty (0 bytes)", path)
    if size > max_file_mb * 1024 * 1024:
        raise FileTooLarge(f"{size / 2**20:.1f} MB; the limit is {max_file_mb:g} MB", path)
    return sniff_file(path)


def find_files(inputs: Iterable[str]) -> tuple[list[Path], list[FileOutcome]]:
    """Files named, folders walked recursively, globs expanded; and a failed outcome for each input
    that names nothing.

    Inside folders only files whose bytes are a supported type are taken (a folder may hold
    anything); a file named explicitly is always tried, so its failure is reported.
    """
    found: dict[Path, None] = {}
    missing: list[FileOutcome] = []
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_file():
            found[path.resolve()] = None
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if _looks_supported(child):
                    found[child.resolve()] = None
        elif glob.has_magic(raw):
            matches = sorted(Path(m) for m in glob.glob(str(path), recursive=True))
            files = [m for m in matches if m.is_file()]
            if not files:
                missing.append(FileOutcome(raw, "failed", reason="no file matches this pattern"))
            for m in files:
                found[m.resolve()] = None
        else:
            missing.append(FileOutcome(raw, "failed", reason="no such file or folder"))
    return list(found), missing


def _looks_supported(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return sniff(f.read(1024)) in SUPPORTED
    except OSError:
        return False
