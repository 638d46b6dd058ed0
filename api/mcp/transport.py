"""How the MCP server speaks: the SDK's server with its argument errors answered as the protocol's, the
stdio transport that answers a line it cannot read, and the streamable HTTP endpoint the REST app routes
to. What the tools do is tools.py's."""

from __future__ import annotations

from contextlib import asynccontextmanager

__all__ = ["HttpEndpoint", "server_class"]


def server_class():
    """MCPServer, answering arguments that fail validation (and unknown tools) as the protocol errors they
    are (-32602, Invalid params), where the SDK makes them a tool's failed result."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
    from mcp.shared.exceptions import MCPError
    from mcp_types import INVALID_PARAMS
    from pydantic import ValidationError

    class Server(MCPServer):
        async def call_tool(self, name, arguments, context=None):
            if name not in {tool.name for tool in await self.list_tools()}:
                raise MCPError(code=INVALID_PARAMS, message=f"no tool {name!r}: tools/list names them")
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as e:
                if isinstance(e, UnexpectedToolError) or not isinstance(e.__cause__, ValidationError):
                    raise
                # Where and why, never the values: they are the caller's data.
                wrong = sorted({f"{'.'.join(str(p) for p in err['loc'])} ({err['msg']})"
                                for err in e.__cause__.errors()})
                message = f"invalid arguments for {name}: {'; '.join(wrong)}"
                raise MCPError(code=INVALID_PARAMS, message=message) from None

        def run_stdio(self) -> None:
            """On stdin/stdout, as `run("stdio")`, but answering every line: one that is not JSON (or not
            UTF-8 text: a lone surrogate) gets a -32700 Parse error, JSON that is no JSON-RPC message a
            -32600 Invalid request, each with a null id (the SDK logs such a line and answers nothing,
            and the client waits forever)."""
            import anyio
            from mcp.server.stdio import stdio_server

            async def serve() -> None:
                async with stdio_server() as (read, write):
                    await self._lowlevel_server.run(_Answering(read, write), write,
                                                    self._lowlevel_server.create_initialization_options())

            anyio.run(serve)

    return Server



class HttpEndpoint:
    """The streamable HTTP endpoint at /mcp, as an ASGI app the REST app routes to (stateless: each
    request stands alone, as the REST API's do). The SDK's session manager runs once per instance, so
    each run of the app's lifespan makes a new one (`running`). Without API keys only loopback Host and
    Origin headers are accepted, so that a web page cannot reach a local server through DNS rebinding;
    with keys, the key guards it (gate.py)."""

    path = "/mcp"

    def __init__(self, server, *, keys: bool):
        from mcp.server.transport_security import TransportSecuritySettings

        loopback = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
        self.server = server
        self.security = TransportSecuritySettings(enable_dns_rebinding_protection=not keys, allowed_hosts=loopback,
                                                  allowed_origins=[f"http://{h}" for h in loopback])
        self.app = None

    @asynccontextmanager
    async def running(self):
        self.app = self.server.streamable_http_app(streamable_http_path=self.path, stateless_http=True,
                                                   json_response=True, transport_security=self.security)
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope, receive, send):
        if self.app is None:  # the app's lifespan has not run: nothing serves MCP yet
            from starlette.responses import JSONResponse

            return await JSONResponse({"detail": "not ready"}, status_code=503)(scope, receive, send)
        await self.app(scope, receive, send)


class _Answering:
    """A read stream of the stdio transport that answers what it cannot pass on (see Server.run_stdio)."""

    def __init__(self, inner, write):
        self.inner, self.write = inner, write

    def __getattr__(self, name):  # last_context and the rest of the stream's own
        return getattr(self.inner, name)

    def __aiter__(self):
        return self

    async def __anext__(self):
        while True:
            item = await self.inner.__anext__()
            if not isinstance(item, Exception):
                return item
            await self.write.send(_error_message(item))

    async def receive(self):
        return await self.__anext__()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def __aenter__(self):
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc):
        return await self.inner.__aexit__(*exc)


def _error_message(error: Exception):
    """The JSON-RPC error answering a line the transport could not read (`error`: why)."""
    from mcp.shared.message import SessionMessage
    from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
    from pydantic import ValidationError

    not_json = isinstance(error, ValidationError) and any(e["type"] == "json_invalid" for e in error.errors())
    if not_json or not isinstance(error, ValidationError):
        data = ErrorData(code=PARSE_ERROR, message="Parse error: the line is not JSON in UTF-8 text")
    else:
        data = ErrorData(code=INVALID_REQUEST, message="Invalid request: the line is no JSON-RPC 2.0 message")
    return SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=data))
