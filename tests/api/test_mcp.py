"""The MCP server, through the SDK's own client: over stdio (`pagesight mcp` started as an assistant
starts it) and over streamable HTTP at /mcp of `pagesight serve` (behind the API key). The right page
is found, the answer cites it, a page comes back with its text and image, and bad input is the tool's
error message, not a crash."""

import asyncio
import base64
import json
import os
import sys

import httpx
import pytest

from tests import docs
from tests.api.conftest import KEY, upload, uvicorn_serving
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e  # the MCP server as a child process and over HTTP

pytest.importorskip("mcp")

QUESTION = "When did the harbour dues at Port Marrow rise?"


@pytest.fixture(scope="module")
def harbour(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mcp-docs")
    return docs.pages_pdf(folder / "port_marrow.pdf", [
        ["Port Marrow harbour log.", "The keeper counted 115 ships in the spring."],
        ["Harbour dues at Port Marrow rose to 9 shillings in 1820.", "The pier was rebuilt in 1822."],
    ])


async def exercise(client) -> dict:
    """Every tool and resource once, as an assistant would use them; what came back."""
    tools = {t.name for t in (await client.list_tools()).tools}
    found = await client.call_tool("search", {"query": QUESTION, "k": 2})
    answer = await client.call_tool("ask", {"question": QUESTION})
    listed = await client.call_tool("list_documents", {})
    page = await client.call_tool("get_page", {"document": "port_marrow.pdf", "page": 2})
    past_end = await client.call_tool("get_page", {"document": "port_marrow.pdf", "page": 9})
    unknown = await client.call_tool("search", {"query": QUESTION, "documents": ["nothing-like-it.pdf"]})
    no_such_page = await client.call_tool("search", {"query": "the harbour dues on page 9", "k": 2})
    from mcp.shared.exceptions import MCPError

    try:
        too_long = await client.call_tool("search", {"query": "x" * 5000})
    except MCPError as e:  # arguments out of bounds: the protocol's Invalid params
        too_long = e
    image = await client.read_resource(found.structured_content["hits"][0]["page_uri"])
    # The page's own image, as an assistant passes on a user's screenshot: the picture is the question.
    pictured = await client.call_tool("search", {"image": page.content[1].data, "k": 2})
    not_a_picture = await client.call_tool("ask", {"image": base64.b64encode(b"%PDF-1.7 no picture").decode()})
    documents = await client.read_resource("pagesight://default/documents")
    return {"documents": documents, "tools": tools, "found": found, "answer": answer, "listed": listed, "page": page,
            "past_end": past_end, "unknown": unknown, "too_long": too_long, "image": image, "pictured": pictured,
            "not_a_picture": not_a_picture, "no_such_page": no_such_page}


def check(seen: dict) -> None:
    assert seen["tools"] == {"search", "ask", "list_documents", "get_page"}
    first = seen["found"].structured_content["hits"][0]
    assert (first["file_name"], first["page"]) == ("port_marrow.pdf", 2) and "1820" in first["snippet"]
    answer = seen["answer"].structured_content
    assert not answer["abstained"] and "1820" in answer["text"]
    assert answer["citations"] and answer["citations"][0]["page"] == 2
    assert [d["file_name"] for d in seen["listed"].structured_content["result"]] == ["port_marrow.pdf"]
    text, picture = seen["page"].content
    assert "9 shillings" in text.text and picture.mime_type == "image/jpeg"
    assert base64.b64decode(picture.data)[:2] == b"\xff\xd8"
    assert seen["past_end"].is_error and "no page 9" in seen["past_end"].content[0].text
    assert seen["unknown"].is_error and "nothing-like-it.pdf" in seen["unknown"].content[0].text
    # the collection's only document has 2 pages: the hits are only the nearest, and the tool says why
    assert seen["no_such_page"].structured_content["absent"] == "page 9 (port_marrow.pdf has 2)"
    assert seen["too_long"].error.code == -32602  # bounded like the REST API's query
    (blob,) = seen["image"].contents
    assert base64.b64decode(blob.blob)[:2] == b"\xff\xd8"
    pictured = seen["pictured"].structured_content
    assert (pictured["hits"][0]["file_name"], pictured["hits"][0]["page"]) == ("port_marrow.pdf", 2)
    assert pictured["picture"].endswith("of them on the best page; matched"), pictured["picture"]
    assert seen["not_a_picture"].is_error and "not a picture" in seen["not_a_picture"].content[0].text
    (listed,) = seen["documents"].contents
    assert [d["file_name"] for d in json.loads(listed.text)] == ["port_marrow.pdf"]


def test_stdio_as_an_assistant_starts_it(tmp_path, harbour):
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters

    env = {**os.environ, "PAGESIGHT_DATA_DIR": str(tmp_path / "data"), "PAGESIGHT_PROFILE": "lite",
           "HF_HUB_OFFLINE": "1"}
    import subprocess

    ingested = subprocess.run([sys.executable, "-m", "pagesight.api.cli", "ingest", str(harbour)], env=env,
                              capture_output=True, text=True, timeout=300)
    assert ingested.returncode == 0, ingested.stderr

    async def run():
        params = StdioServerParameters(command=sys.executable, args=["-m", "pagesight.api.cli", "mcp"], env=env)
        async with Client(params, read_timeout_seconds=240) as client:
            return await exercise(client)

    seen = asyncio.run(run())
    check(seen)
    cli = subprocess.run([sys.executable, "-m", "pagesight.api.cli", "search", QUESTION, "-k", "2", "--json"],
                         env=env, capture_output=True, text=True, timeout=300)
    same = [(h["doc_id"], h["page"], round(h["score"], 4)) for h in json.loads(cli.stdout)["hits"]]
    assert [(h["doc_id"], h["page"], h["score"]) for h in seen["found"].structured_content["hits"]] == same


def test_http_at_slash_mcp_behind_the_key(tmp_path, harbour):
    import httpx2
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    from pagesight.api.server.app import create_app

    settings = make_settings(tmp_path / "data", profile="lite", api_keys=KEY)
    with uvicorn_serving(create_app(settings)) as base:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http:
            upload(http, ("port_marrow.pdf", harbour.read_bytes()))
        refused = httpx.post(f"{base}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert refused.status_code == 401  # the same gate as every route

        async def run():
            keyed = httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=240)
            async with keyed, Client(streamable_http_client(f"{base}/mcp", http_client=keyed)) as client:
                return await exercise(client)

        seen = asyncio.run(run())
        check(seen)
        rest = httpx.post(f"{base}/v1/search", json={"query": QUESTION, "k": 2},
                          headers={"Authorization": f"Bearer {KEY}"}).json()["hits"]
        same = [(h["doc_id"], h["page"], round(h["score"], 4)) for h in rest]
        assert [(h["doc_id"], h["page"], h["score"]) for h in seen["found"].structured_content["hits"]] == same


def test_stdio_answers_every_line_with_protocol_errors_where_due(tmp_path, harbour):
    """A line that is not JSON, or not UTF-8 text (a lone surrogate), gets -32700; JSON that is no message
    -32600; bad arguments and an unknown tool -32602; a page number past any page a resource error -32602:
    the client never waits for an answer that does not come, and the server goes on."""
    import select
    import subprocess

    env = {**os.environ, "PAGESIGHT_DATA_DIR": str(tmp_path / "data"), "PAGESIGHT_PROFILE": "lite"}
    ingested = subprocess.run([sys.executable, "-m", "pagesight.api.cli", "ingest", str(harbour), "--json"], env=env,
                              capture_output=True, text=True, timeout=300)
    doc_id = json.loads(ingested.stdout)[0]["doc_id"]
    child = subprocess.Popen([sys.executable, "-m", "pagesight.api.cli", "mcp"], env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def exchange(line: bytes, timeout: float = 60) -> dict:
        child.stdin.write(line + b"\n")
        child.stdin.flush()
        ready, _, _ = select.select([child.stdout], [], [], timeout)
        assert ready, f"no answer to {line[:80]!r}"
        return json.loads(child.stdout.readline())

    def request(n: int, method: str, params: dict) -> bytes:
        return json.dumps({"jsonrpc": "2.0", "id": n, "method": method, "params": params}).encode()

    try:
        init = exchange(request(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                                  "clientInfo": {"name": "test", "version": "1"}}), 240)
        assert "result" in init
        child.stdin.write(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
        assert exchange(b"this is not json")["error"]["code"] == -32700
        surrogate = exchange(b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search",'
                             b'"arguments":{"query":"\\ud800 dues"}}}')
        assert surrogate["error"]["code"] == -32700 and surrogate["id"] is None
        assert exchange(b'{"hello": "world"}')["error"]["code"] == -32600
        wrong = exchange(request(3, "tools/call", {"name": "search", "arguments": {"query": 5}}))
        assert wrong["id"] == 3 and wrong["error"]["code"] == -32602 and "query" in wrong["error"]["message"]
        unknown = exchange(request(4, "tools/call", {"name": "format_disk", "arguments": {}}))
        assert unknown["error"]["code"] == -32602
        far = exchange(request(5, "resources/read", {"uri": f"pagesight://default/documents/{doc_id}/pages/"
                                                            "99999999999999999999"}))
        assert far["id"] == 5 and far["error"]["code"] == -32602
        past = exchange(request(6, "resources/read", {"uri": f"pagesight://default/documents/{doc_id}/pages/9"}))
        assert past["error"]["code"] == -32602 and "no page 9" in past["error"]["message"]
        found = exchange(request(7, "tools/call", {"name": "search", "arguments": {"query": QUESTION, "k": 1}}))
        assert found["result"]["structuredContent"]["hits"][0]["page"] == 2  # and it goes on
    finally:
        child.kill()
        stderr = child.communicate(timeout=30)[1].decode()
    assert "Traceback" not in stderr, stderr[-2000:]
