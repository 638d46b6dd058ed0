"""A running `pagesight serve` leaves a note in its data folder, so that a command run on the same
folder sends its requests there instead of failing to open a collection the server holds.

The note carries the server's URL, its process id and, when the server asks for API keys, a key of
its own made for this run: whoever can read the data folder can read every collection in it anyway,
so a command of the same user on the same folder needs no key of its own (`open_backend`). The note
is readable by its owner alone.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.settings import Settings

__all__ = ["LocalServer", "announce", "local_key", "running"]

NOTE = "server.json"


@dataclass(frozen=True)
class LocalServer:
    """A server running on this data folder: its URL, and the key it gives commands of this folder."""

    url: str
    key: str | None = None


def local_key() -> str:
    """A fresh key for one run of a server: commands on its data folder use it (see the module's text)."""
    return "local-" + secrets.token_urlsafe(32)


@contextmanager
def announce(settings: Settings, url: str, key: str | None = None) -> Iterator[None]:
    """While the server runs: its URL, process id and local key in `<data folder>/server.json`."""
    if settings.qdrant_url:  # a Qdrant server is shared by design: nothing to redirect
        yield
        return
    note = Path(settings.data_dir) / NOTE
    note.parent.mkdir(parents=True, exist_ok=True)
    tmp = note.with_suffix(f".tmp-{os.getpid()}")
    # Created readable by the owner alone, before anything is written into it.
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(json.dumps({"url": url, "pid": os.getpid(), "key": key}))
    os.replace(tmp, note)
    try:
        yield
    finally:
        try:
            if json.loads(note.read_text()).get("pid") == os.getpid():
                note.unlink()
        except (OSError, ValueError):
            pass


def running(settings: Settings) -> LocalServer | None:
    """The server that holds this data folder now, if one answers."""
    note = Path(settings.data_dir) / NOTE
    try:
        found = json.loads(note.read_text())
        os.kill(int(found["pid"]), 0)  # is the process there at all
        url = str(found["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    import httpx

    try:
        if httpx.get(url.rstrip("/") + "/health", timeout=2).status_code == 200:
            return LocalServer(url, found.get("key") or None)
    except httpx.HTTPError:
        pass
    return None
