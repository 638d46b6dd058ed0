"""Page images and figure crops on disk, one folder per document, published by an atomic rename."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

__all__ = ["PageImages"]


class PageImages:
    """`root/<doc_id>/` holds a document's page images, thumbnails and crops.

    Extraction writes into a staging folder; `publish` renames it into place, so a reader never
    sees a half-written document folder.
    """

    def __init__(self, root: Path):
        self.root = root
        self.staging_root = root.parent / "staging"

    def new_staging(self, doc_id: str) -> Path:
        self.staging_root.mkdir(parents=True, exist_ok=True)
        return self.staging_root / f"{doc_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def folder(self, doc_id: str) -> Path:
        return self.root / doc_id

    def relative(self, doc_id: str, name: str) -> str:
        """A path relative to the collection folder, as stored in payloads."""
        return f"{self.root.name}/{doc_id}/{name}"

    def publish(self, doc_id: str, staging: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.folder(doc_id)
        if target.exists():  # left by an attempt that crashed before its points were committed
            shutil.rmtree(target)
        os.replace(staging, target)

    def remove(self, doc_id: str) -> None:
        shutil.rmtree(self.folder(doc_id), ignore_errors=True)

    def clear_staging(self, older_than: float) -> None:
        """Remove staging folders last written before `older_than` (epoch seconds)."""
        if self.staging_root.exists():
            for folder in self.staging_root.iterdir():
                if folder.stat().st_mtime < older_than + 1:
                    shutil.rmtree(folder, ignore_errors=True)

    def remove_orphans(self, live_ids: set[str], older_than: float) -> list[str]:
        """Remove document folders of documents not live, published before `older_than`."""
        if not self.root.exists():
            return []
        orphans = [p.name for p in self.root.iterdir()
                   if p.is_dir() and p.name not in live_ids and p.stat().st_mtime < older_than + 1]
        for doc_id in orphans:
            self.remove(doc_id)
        return orphans
