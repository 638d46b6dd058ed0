"""Settings, domain types and errors shared by every PageSight stage."""

from pagesight.core.errors import (
    CorruptDocument,
    EmptyFile,
    EncryptedDocument,
    ExtractionCrashed,
    FileTooLarge,
    IngestError,
    IngestTimeout,
    ModelUnavailable,
    PageSightError,
    PageTooLarge,
    SchemaMismatch,
    StoreError,
    StoreLocked,
    TooManyPages,
    UnsupportedFileType,
)
from pagesight.core.settings import Settings, get_settings
from pagesight.core.types import Answer, Box, Citation, Document, Hit, Page, Region, validate_collection_name

__all__ = [
    "Answer",
    "Box",
    "Citation",
    "CorruptDocument",
    "Document",
    "EmptyFile",
    "EncryptedDocument",
    "ExtractionCrashed",
    "FileTooLarge",
    "Hit",
    "IngestError",
    "IngestTimeout",
    "ModelUnavailable",
    "Page",
    "PageSightError",
    "PageTooLarge",
    "Region",
    "SchemaMismatch",
    "Settings",
    "StoreError",
    "StoreLocked",
    "TooManyPages",
    "UnsupportedFileType",
    "get_settings",
    "validate_collection_name",
]
