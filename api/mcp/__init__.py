"""PageSight as a Model Context Protocol server: an assistant (Claude Desktop, an IDE, any MCP client)
searches the user's documents, asks them questions, lists them and reads a page, image included.

    pagesight mcp                  (stdio: the client starts it; local data, or the server running on it)
    pagesight serve  ->  /mcp      (streamable HTTP, behind the same API key as every other route)

Tools: `search`, `ask`, `list_documents`, `get_page`. Resources: the collections, a collection's
documents (`pagesight://<collection>/documents`), and each page's image as
`pagesight://<collection>/documents/<id>/pages/<n>`. What each does is tools.py's (methods over a
`Backend`, as the CLI works); how the server speaks, over stdio and HTTP, is transport.py's; here they
are put together.
"""

from __future__ import annotations

from collections.abc import Callable

from ..backend import Backend
from .tools import INSTRUCTIONS, Tools
from .transport import HttpEndpoint, server_class

__all__ = ["HttpEndpoint", "build_mcp"]


def build_mcp(backend: Callable[[str | None], Backend], collections: Callable[[], list[str]],
              default_collection: str):
    """The MCP server over `backend(collection)` (called per request, for the collection named or the
    default); `collections()` lists what exists."""
    from mcp_types import ToolAnnotations

    tools = Tools(backend, collections, default_collection)
    server = server_class()("PageSight", instructions=INSTRUCTIONS)
    read_only = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
    for tool in (tools.search, tools.ask, tools.list_documents):
        server.add_tool(tool, annotations=read_only)
    server.add_tool(tools.get_page, annotations=read_only, structured_output=False)  # text and an image
    server.resource("pagesight://collections", mime_type="application/json")(tools.collection_list)
    server.resource("pagesight://{collection}/documents", mime_type="application/json")(tools.document_list)
    server.resource("pagesight://{collection}/documents/{doc_id}/pages/{number}",
                    mime_type="image/jpeg")(tools.page_image)
    return server
