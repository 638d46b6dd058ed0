"""The wiring of PageSight and its faces. The wiring: `PageSight` (the layers wired in this process, also
the Python API), the pipeline, `Backend` and `open_backend`, and `ServerClient` (the same methods over
HTTP). The faces, each in its folder, each calling the wiring: the server (`server/`: the REST API, its
service and database, the chat page), the command line (`cli/`) and the MCP server (`mcp/`)."""
