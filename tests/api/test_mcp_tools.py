"""The MCP tools as the server registers them (api/mcp): their schemas are the methods' arguments and no
more, and a backend's refusal is the tool's error message. In process, over a stand-in backend; the
protocol end to end is test_mcp.py's."""

import asyncio

import pytest

pytest.importorskip("mcp")

from pagesight.api.mcp import build_mcp  # noqa: E402
from pagesight.core.errors import NotFound  # noqa: E402


class Refusing:
    """A backend that knows no document."""

    def documents(self, tags=None):
        raise NotFound("no document 'x.pdf' in collection 'default'")


def test_the_tools_schemas_are_their_arguments_and_a_refusal_is_the_message():
    opened = []

    def backend(name):
        opened.append(name)
        return Refusing()

    server = build_mcp(backend, lambda: ["default"], "default")
    tools = {t.name: t for t in asyncio.run(server.list_tools())}
    assert set(tools) == {"search", "ask", "list_documents", "get_page"}
    assert set(tools["search"].input_schema["properties"]) == {"query", "k", "documents", "tags", "pages",
                                                                "collection", "image"}
    assert tools["get_page"].input_schema["required"] == ["document", "page"]
    from mcp.server.mcpserver.exceptions import ToolError

    with pytest.raises(ToolError, match="no document 'x.pdf'"):
        asyncio.run(server.call_tool("list_documents", {}))
    with pytest.raises(ToolError, match="collection"):
        asyncio.run(server.call_tool("list_documents", {"collection": "../etc"}))
    assert opened == ["default"]  # a bad name never reaches the backend
