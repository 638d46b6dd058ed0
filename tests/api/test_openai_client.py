"""The official openai package as a client of /v1/chat/completions, over real HTTP."""

import pytest
from openai import AuthenticationError, NotFoundError, OpenAI

from tests import docs
from tests.api.conftest import KEY

QUESTION = "How many ships did the keeper count?"


@pytest.fixture(scope="module")
def openai_client(served):
    base, _ = served
    return OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0)


def test_models_are_the_collections(openai_client):
    assert [m.id for m in openai_client.models.list()] == ["default"]


def test_a_chat_completion_with_citations(openai_client):
    reply = openai_client.chat.completions.create(model="default", messages=[{"role": "user", "content": QUESTION}])
    message = reply.choices[0].message
    assert reply.choices[0].finish_reason == "stop" and message.role == "assistant"
    assert docs.FACT_TEXT in message.content and "[1]" in message.content
    citations = reply.model_extra["citations"]
    assert (citations[0]["marker"], citations[0]["page"], citations[0]["file_name"]) == (1, 1, "report.pdf")


def test_a_streamed_chat_completion(openai_client):
    stream = openai_client.chat.completions.create(model="default", stream=True,
                                                   messages=[{"role": "user", "content": QUESTION}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert docs.FACT_TEXT in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"][0]["page"] == 1


def test_errors_reach_the_sdk_as_its_own_exceptions(served, openai_client):
    base, _ = served
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=f"{base}/v1", api_key="wrong", max_retries=0).models.list()
    with pytest.raises(NotFoundError, match="GET /v1/models lists the collections"):
        openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
