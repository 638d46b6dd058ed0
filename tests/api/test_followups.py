"""One way a follow-up is resolved, whatever the face: the same two-turn exchange through a conversation
kept on the server, /v1/answer with its history, OpenAI's chat protocol (an assistant turn between) and
MCP's ask with its history is searched as the same standalone question and answered from the same page."""

import pytest

from pagesight.api.server.app import create_app
from tests import docs
from tests.api.conftest import local_client, upload
from tests.conftest import make_settings

FIRST = "What were the Lighthouse Company's total revenues in 2017?"
SECOND = "and the year before?"
STANDALONE = "What were the Lighthouse Company's total revenues in 2016?"


@pytest.fixture(scope="module")
def lighthouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lighthouse")
    report = docs.pages_pdf(folder / "lighthouse_results.pdf", [
        ["Lighthouse Company results for 2017.", "Total revenues were 1,020 thousand pounds in 2017."],
        ["Lighthouse Company results for 2016.", "Total revenues were 910 thousand pounds in 2016."],
        ["Lighthouse Company staff.", "The keepers numbered twelve in 2016 and fourteen in 2017."],
    ])
    with local_client(create_app(make_settings(folder / "data", profile="lite"))) as client:
        upload(client, (report.name, report.read_bytes()))
        yield client


def conversation(client) -> tuple[str, dict]:
    made = client.post("/v1/conversations", json={}).json()
    for question in (FIRST, SECOND):
        reply = client.post(f"/v1/conversations/{made['id']}/messages", json={"question": question}).json()
    return reply["message"]["standalone"], reply["answer"]


def answer_route(client) -> tuple[str, dict]:
    reply = client.post("/v1/answer", json={"question": SECOND, "history": [{"question": FIRST}]}).json()
    return reply["question"], reply["answer"]


def openai_route(client) -> tuple[str, dict]:
    reply = client.post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": FIRST}, {"role": "assistant", "content": "It found hairline cracks [1]."},
        {"role": "user", "content": [{"type": "text", "text": SECOND}]}]}).json()
    message = reply["choices"][0]["message"]
    return reply.get("question"), {"text": message["content"], "citations": message["citations"]}


def mcp_route(client) -> tuple[str, dict]:
    reply = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "ask", "arguments": {"question": SECOND, "history": [FIRST]}}},
        headers={"Accept": "application/json, text/event-stream"}).json()
    answer = reply["result"]["structuredContent"]
    return answer["question"], answer


@pytest.mark.parametrize("face", [conversation, answer_route, openai_route, mcp_route],
                         ids=["conversation", "answer", "openai", "mcp"])
def test_the_year_before_is_searched_and_answered_alike_by_every_face(lighthouse, face):
    standalone, answer = face(lighthouse)
    if face is not openai_route:  # OpenAI's protocol has no field for it: its answer shows it
        assert standalone == STANDALONE
    assert "910" in answer["text"] and "1,020" not in answer["text"].split("\n")[0]
    first = answer["citations"][0]
    assert (first["file_name"], first["page"]) == ("lighthouse_results.pdf", 2)
