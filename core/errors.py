"""PageSight's error hierarchy: every message names the file (or store) and the reason."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "BadPicture",
    "PageSightError",
    "IngestError",
    "UnsupportedFileType",
    "FileTooLarge",
    "EmptyFile",
    "CorruptDocument",
    "EncryptedDocument",
    "TooManyPages",
    "PageTooLarge",
    "IngestTimeout",
    "ExtractionCrashed",
    "Cancelled",
    "StoreError",
    "StoreLocked",
    "DatabaseUnavailable",
    "SchemaMismatch",
    "ModelUnavailable",
    "GenerationError",
    "NotFound",
    "Ambiguous",
    "Conflict",
    "Busy",
    "Forbidden",
]


class PageSightError(Exception):
    """Base class: `reason` is a sentence a user can act on; `path` names the file when there is one."""

    def __init__(self, reason: str, path: str | Path | None = None):
        self.reason = reason
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class IngestError(PageSightError):
    """A file could not be ingested; nothing of it was indexed."""


class UnsupportedFileType(IngestError):
    pass


class FileTooLarge(IngestError):
    pass


class EmptyFile(IngestError):
    pass


class CorruptDocument(IngestError):
    pass


class EncryptedDocument(IngestError):
    pass


class TooManyPages(IngestError):
    pass


class PageTooLarge(IngestError):
    pass


class IngestTimeout(IngestError):
    pass


class ExtractionCrashed(IngestError):
    """The parser process died (out of memory, or a crash inside MuPDF)."""


class Cancelled(IngestError):
    """The ingest of a file was cancelled (its upload job was); nothing of it was indexed."""


class BadPicture(PageSightError):
    """A picture asked as a question that cannot be read: not a picture, too large, animated, corrupt."""


class StoreError(PageSightError):
    pass


class StoreLocked(StoreError):
    pass


class DatabaseUnavailable(StoreError):
    """The app's own database (conversations, jobs) cannot be reached or opened."""


class SchemaMismatch(StoreError):
    """The collection was built with other encoders than the ones asked for."""


class ModelUnavailable(PageSightError):
    """Model weights are not on disk and may not be downloaded."""

    @classmethod
    def missing(cls, model: str, error: Exception) -> ModelUnavailable:
        return cls(
            f"model {model!r} is not on disk and nothing is downloaded implicitly. Fetch the weights once with "
            f"`pagesight models pull` (or `hf download {model}`), or point the setting at a local folder. ({error})"
        )


class GenerationError(PageSightError):
    """An answer could not be generated (the model failed, or a remote endpoint refused or timed out)."""


class NotFound(PageSightError):
    """A document, page or collection asked for by name that is not there."""


class Ambiguous(PageSightError):
    """A reference (an id prefix, a file name) that matches more than one document."""


class Conflict(PageSightError):
    """A request that the state of what it names does not allow (a conversation already as long as it may be)."""


class Busy(PageSightError):
    """As much work of this kind is running and waiting as the server takes: try again after `retry_after_s`."""

    def __init__(self, reason: str, retry_after_s: int = 5):
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class Forbidden(PageSightError):
    """The caller may not do this (an API key of the read role uploading, one naming a collection not its own)."""
