"""Reading PDFs and images into pages: render, visible text with boxes, figures, OCR; limits."""

from pagesight.ingest.detect import sniff, sniff_file
from pagesight.ingest.extract import Extracted, ExtractOptions, extract
from pagesight.ingest.pipeline import FileOutcome, Ingestor, document_id, find_files
from pagesight.ingest.worker import ExtractionWorker

__all__ = [
    "Extracted",
    "ExtractOptions",
    "ExtractionWorker",
    "FileOutcome",
    "Ingestor",
    "document_id",
    "extract",
    "find_files",
    "sniff",
    "sniff_file",
]
