"""Which backend a command or a program gets: a client of a server (named, or running on this data
folder), else the layers wired in this process. Apart from backend.py, which both implementations
import: this module imports them."""

from __future__ import annotations

import logging

from ..core.settings import Settings, get_settings
from .backend import Backend
from .local_server import running

__all__ = ["open_backend"]

log = logging.getLogger(__name__)


def open_backend(collection: str | None = None, settings: Settings | None = None, *,
                 server: str | None = None) -> Backend:
    """The backend a command or a program uses: a client of the server at `server` (or
    PAGESIGHT_SERVER), with PAGESIGHT_SERVER_API_KEY; else of a server running on this data folder,
    which it holds, with the key that server left for commands of its folder (local_server.py);
    else the layers wired in this process (`PageSight`)."""
    settings = settings or get_settings()
    url, key = server or settings.server, settings.server_api_key
    if url is None and (local := running(settings)) is not None:
        log.info("using the server running on %s: %s", settings.data_dir, local.url)
        url, key = local.url, key or local.key
    if url:
        from .client import ServerClient

        return ServerClient(url, key, collection or settings.collection)
    from .pagesight import PageSight  # the layers, imported only when they run here

    return PageSight(collection, settings)
