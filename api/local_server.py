"""A running `pagesight serve` leaves a note in its data folder, so that a command run on the same
folder sends its requests there instead of failing to open a collection the server holds."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core.settings import Settings

__all__ = ["announce", "running"]

NOTE = "server.json"


@contextmanager
def announce(settings: Settings, url: str) -> Iterator[None]:
    """While the server runs: its URL and process id in `<data folder>/server.json`."""
    if settings.qdrant_url:  # a Qdrant server is shared by design: nothing to redirect
        yield
        return
    note = Path(settings.data_dir) / NOTE
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    try:
        yield
    finally:
        try:
            if json.loads(note.read_text()).get("pid") == os.getpid():
                note.unlink()
        except (OSError, ValueError):
            pass


def running(settings: Settings) -> str | None:
    """The URL of a server that holds this data folder now, if one answers."""
    note = Path(settings.data_dir) / NOTE
    try:
        found = json.loads(note.read_text())
        os.kill(int(found["pid"]), 0)  # is the process there at all
    except (OSError, ValueError, KeyError, TypeError):
        return None
    import httpx

    try:
        if httpx.get(found["url"].rstrip("/") + "/health", timeout=2).status_code == 200:
            return found["url"]
    except httpx.HTTPError:
        pass
    return None
