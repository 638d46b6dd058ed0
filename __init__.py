"""PageSight: ask your PDFs and images; answers grounded in the page images, with citations.

    from pagesight import open_backend

    with open_backend() as sight:        # PageSight here, or the server running on this data folder
        sight.ingest(["report.pdf"])
        print(sight.ask("What was the revenue in 2019?").text)

The repository's top-level folders are this package's subpackages (core, ingest, index, retrieve,
generate, api: see DESIGN.md for what each owns).
"""

__all__ = ["Backend", "PageSight", "ServerClient", "__version__", "open_backend"]

__version__ = "0.1.0"


def __getattr__(name: str):
    # Imported on first use, so that `pagesight --help` and the server's health check stay light.
    if name == "PageSight":
        from .api.pagesight import PageSight

        return PageSight
    if name == "ServerClient":
        from .api.client import ServerClient

        return ServerClient
    if name == "Backend":
        from .api.backend import Backend

        return Backend
    if name == "open_backend":
        from .api.opener import open_backend

        return open_backend
    raise AttributeError(f"module 'pagesight' has no attribute {name!r}")
