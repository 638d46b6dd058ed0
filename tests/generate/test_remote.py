"""The remote answerer against an OpenAI-compatible server process started here on 127.0.0.1."""

import base64
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from pagesight.core.errors import GenerationError
from pagesight.generate.citations import resolve_citations
from pagesight.generate.remote import RemoteVLMAnswerer
from tests.conftest import STUB_KEY as KEY

QUESTION = "How many ships did the keeper count?"


@pytest.fixture(scope="module")
def server(openai_stub):
    return openai_stub


def requests(log: Path) -> list[dict]:
    """The requests the stub has received (none yet when it has written no log: a test run alone)."""
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def remote(url: str, model: str = "echo", **options) -> RemoteVLMAnswerer:
    options = {"api_key": KEY, "max_pixels": 50_000, "backoff_s": 0.01, **options}
    return RemoteVLMAnswerer(url, model, **options)


def test_streams_the_answer_keeps_valid_citations_and_sends_pages_as_data_urls(server, library):
    url, log = server
    evidence, ids = library
    pages = evidence(QUESTION, k=2)
    log.write_text("")
    *deltas, final = list(remote(url).stream(QUESTION, pages))
    assert deltas == ["The keeper counted", " 4217 ships", " [1].", " A page never given."]  # [7] never shown
    assert final.text == "The keeper counted 4217 ships [1]. A page never given." and final.dropped_citations == ["[7]"]
    assert "".join(deltas) == final.text
    assert [(c.marker, c.doc_id, c.page) for c in final.citations] == [(1, pages[0].hit.doc_id, pages[0].hit.page)]

    (sent,) = requests(log)
    assert sent["path"] == "/v1/chat/completions" and sent["authorization"] == f"Bearer {KEY}"
    body = sent["body"]
    assert body["model"] == "echo" and body["stream"] is True and body["temperature"] == 0
    system, user = body["messages"]
    assert system["role"] == "system" and system["content"].startswith("You answer questions using only")
    images = [p["image_url"]["url"] for p in user["content"] if p["type"] == "image_url"]
    assert len(images) == 2 and all(u.startswith("data:image/png;base64,") for u in images)
    image = Image.open(io.BytesIO(base64.b64decode(images[0].split(",", 1)[1])))
    assert image.width * image.height <= 50_000  # scaled to the pixel budget before sending
    assert user["content"][-1] == {"type": "text", "text": f"Question: {QUESTION}"}


def test_citations_to_pages_not_given_never_reach_the_stream(server, library):
    """Markers split across chunks ([ then 7]) and named citations of other files are held until
    they are checked: what streams is the final text, with none of them."""
    url, _ = server
    evidence, _ = library
    pages = evidence(QUESTION, k=2)
    *deltas, final = list(remote(url, "leaky").stream(QUESTION, pages))
    streamed = "".join(deltas)
    assert streamed == final.text == "The keeper counted 4217 ships. The log agrees [1] and so does. Nothing else [2]."
    assert sorted(final.dropped_citations) == ["[7]", "[9]", "[secret.pdf, page 4]"]
    assert not any(bad in d for d in deltas for bad in ("7]", "9]", "secret"))


@pytest.mark.parametrize("answer", [
    "Revenue [1]. Nope [7]. Both [1, 2] and [x.pdf, page 3] end [memo.pdf, p. 1].",
    "  [9] starts with a dropped marker, then text [1]\n\n",
    "An unclosed [bracket that is not a citation, and a [1] after it.",
    "Brackets [in prose] stay; [12, 2] half stays; " + "a" * 300 + " [ never closed",
])
def test_the_stream_shows_exactly_what_the_whole_answer_resolves_to(answer):
    """Split at every point, the checked stream adds up to resolve_citations of the whole."""
    from pagesight.generate.citations import CitationStream
    from tests.generate.test_citations import PAGES

    whole, _, dropped = resolve_citations(answer, PAGES)
    for cut in range(len(answer) + 1):
        stream = CitationStream(PAGES)
        shown = stream.feed(answer[:cut]) + stream.feed(answer[cut:]) + stream.close()
        assert (shown, stream.text, stream.dropped) == (whole, whole, dropped), cut


def test_a_503_is_retried(server, library):
    url, log = server
    evidence, _ = library
    log.write_text("")
    answer = remote(url, "flaky").answer(QUESTION, evidence(QUESTION, k=1))
    assert answer.text.startswith("The keeper counted 4217 ships [1].")
    assert len(requests(log)) == 2


def test_a_wrong_key_is_a_clear_error_and_not_retried(server, library):
    url, log = server
    evidence, _ = library
    log.write_text("")
    with pytest.raises(GenerationError, match="answered 401: Incorrect API key provided"):
        remote(url, api_key="wrong").answer(QUESTION, evidence(QUESTION, k=1))
    assert len(requests(log)) == 1


def test_timeouts_and_unreachable_servers_are_clear_errors(server, library):
    url, _ = server
    evidence, _ = library
    pages = evidence(QUESTION, k=1)
    with pytest.raises(GenerationError, match=r"did not answer within 0.5 s \(2 attempts\)"):
        remote(url, "slow", timeout_s=0.5, retries=1).answer(QUESTION, pages)
    with pytest.raises(GenerationError, match="cannot reach the remote VLM at http://127.0.0.1:9/v1"):
        remote("http://127.0.0.1:9/v1", retries=0).answer(QUESTION, pages)
    with pytest.raises(GenerationError, match="sent an event that is not JSON"):
        remote(url, "garbled").answer(QUESTION, pages)


def test_claims_are_checked_against_their_pages_and_none_is_dropped(server, library):
    url, _ = server
    evidence, _ = library
    pages = evidence(QUESTION, k=2)
    assert pages[0].page.number == 1 and "4217" in pages[0].text  # [1] is the page that holds the count

    faithful = remote(url, "faithful").answer(QUESTION, pages)
    (claim,) = faithful.claims
    assert (claim.text, claim.markers, claim.supported) == ("The keeper counted 4217 ships in 2023.", [1], True)
    assert claim.box is not None and faithful.unsupported == [] and not faithful.abstained

    wrong = remote(url, "wrongnumber").answer(QUESTION, pages)
    (claim,) = wrong.claims
    assert claim.supported is False and claim.missing == ["5000"] and wrong.unsupported == [claim]
    assert wrong.text == "The keeper counted 5000 ships in 2023 [1]."  # marked, not removed

    foreign = remote(url, "foreign").answer(QUESTION, pages)
    assert foreign.dropped_citations == ["[7]"] and foreign.citations == []
    (claim,) = foreign.claims
    assert claim.text == "The keeper counted 4217 ships." and claim.supported is None  # it cites nothing it was given


def test_every_answerer_says_when_the_pages_do_not_answer(server, library):
    url, _ = server
    evidence, _ = library
    question = "How many ships did the keeper count in 1931?"  # no page mentions 1931
    pages = evidence(question, k=2)
    log_before = len(requests(server[1]))
    answer = remote(url, "faithful").answer(question, pages)
    assert answer.abstained and answer.text.startswith("Not in these documents") and '"1931"' in answer.text
    assert answer.citations == [] and len(requests(server[1])) == log_before  # nothing was generated


def test_the_model_rewrites_a_follow_up_and_the_rules_stand_in_when_it_cannot(server):
    from pagesight.core.types import Turn

    url, log = server
    history = [Turn("What were the harbour dues at Port Marrow in 1820?", ("d1",))]
    resolved = remote(url).rewrite("How many ships did they count?", history)
    assert resolved.question == "How many ships did they count (rewritten)?" and resolved.rewritten_by == "model"
    assert resolved.documents == ("d1",)  # the scope carried is the rules' (no new subject named)
    sent = requests(log)[-1]["body"]
    assert sent["messages"][0]["content"].startswith("You rewrite")
    asked = sent["messages"][1]["content"][0]["text"]
    assert "Earlier question 1: What were the harbour dues at Port Marrow in 1820?" in asked
    for model in ("babbler", "garbled"):  # an answer instead of a question; a reply that is not JSON
        resolved = remote(url, model, retries=0).rewrite("How many ships did they count?", history)
        assert resolved.rewritten_by == "rules" and "Port Marrow" in resolved.question
    assert remote(url).rewrite("What were the dues?", []).rewritten_by is None  # nothing to follow up on
