"""Reading files into pages: type from the bytes, render, visible text with boxes, figures, OCR,
limits; parsing in a sandboxed child process. Ingest knows nothing of vectors or stores."""

from .detect import SUPPORTED, sniff, sniff_file
from .extract import Extracted, ExtractOptions, extract
from .files import document_id, find_files, inspect
from .pool import Budget, ExtractionPool
from .worker import ExtractionWorker

__all__ = [
    "SUPPORTED",
    "Budget",
    "Extracted",
    "ExtractOptions",
    "ExtractionPool",
    "ExtractionWorker",
    "document_id",
    "extract",
    "find_files",
    "inspect",
    "sniff",
    "sniff_file",
]
