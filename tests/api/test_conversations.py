"""Conversations: kept in the app database (SQLite and a real PostgreSQL), migrated by Alembic, owned
by the key that made them, and asked in with follow-ups that keep their context."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, text

from pagesight.api.server.app import create_app
from pagesight.api.server.conversations import ConversationStore, Message, owner_of
from pagesight.api.server.database import upgrade
from pagesight.core.errors import NotFound
from tests import docs
from tests.api.conftest import KEY, local_client, upload
from tests.conftest import make_settings

OTHER_KEY = "another-key-9876543210"
MARROW = ["Port Marrow harbour register", "The harbour dues at Port Marrow were 9 shillings in 1820."]
MARROW_2 = ["Port Marrow shipping", "At Port Marrow the keeper counted 115 ships that season."]
ELLIS = ["Port Ellis harbour register", "The harbour dues at Port Ellis rose to 12 shillings in 1820."]
ELLIS_2 = ["Port Ellis shipping", "At Port Ellis the keeper counted 340 ships that season."]


def message(question: str, answer: str = "an answer", doc_ids=("d1",)) -> Message:
    return Message(id=0, position=0, question=question, answer=answer, answerer="extractive",
                   created_at=datetime.now(UTC), citations=[{"doc_id": d, "page": 1} for d in doc_ids],
                   timings={"total_ms": 12.5})


# ---- the store, on both databases -----------------------------------------------------------------

def test_conversations_are_kept_and_belong_to_their_owner(database_url):
    store = ConversationStore(database_url)
    mine, theirs = owner_of(KEY), owner_of(OTHER_KEY)
    first = store.create(mine, documents=["a.pdf"], tags=["q3"])
    store.create(theirs, "theirs")
    store.add_message(mine, first.id, message("What were the harbour dues at Port Marrow in 1820?"))
    store.add_message(mine, first.id, message("And the ships?", doc_ids=("d2",)))
    store.close()

    reopened = ConversationStore(database_url)  # kept across processes: a new engine, the same rows
    got = reopened.get(mine, first.id)
    assert got.title == "What were the harbour dues at Port Marrow in 1820?"  # named by its first question
    assert [m.question for m in got.messages] == ["What were the harbour dues at Port Marrow in 1820?",
                                                  "And the ships?"]
    assert got.messages[1].timings == {"total_ms": 12.5} and got.documents == ["a.pdf"] and got.tags == ["q3"]
    assert got.created_at.tzinfo is not None
    assert [t.documents for t in got.history()] == [("d1",), ("d2",)]
    assert [c.id for c in reopened.list(mine)] == [first.id]  # only its own
    with pytest.raises(NotFound):
        reopened.get(theirs, first.id)  # another owner's is not found, as one that does not exist
    with pytest.raises(NotFound):
        reopened.add_message(theirs, first.id, message("sneaking in"))
    with pytest.raises(NotFound):
        reopened.delete(theirs, first.id)
    assert len(reopened.get(mine, first.id).messages) == 2  # nothing of theirs reached it

    renamed = reopened.update(mine, first.id, title="Harbours", documents=None)
    assert renamed.title == "Harbours" and renamed.documents is None and renamed.tags == ["q3"]
    reopened.delete(mine, first.id)
    with pytest.raises(NotFound):
        reopened.get(mine, first.id)
    engine = create_engine(database_url)
    with engine.connect() as connection:  # its messages went with it
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar() == 0
    engine.dispose()
    reopened.close()


def test_migrations_upgrade_an_empty_database_and_one_at_the_first_revision(database_url):
    engine = create_engine(database_url)
    upgrade(engine, "0001")
    now = datetime.now(UTC)
    with engine.begin() as connection:  # a conversation written by the first schema
        connection.execute(text("INSERT INTO conversations (id, owner, title, created_at, updated_at) "
                                "VALUES ('c0000000000000000000000000000000', '', 'old', :now, :now)"), {"now": now})
        connection.execute(text("INSERT INTO messages (conversation_id, position, question, answer, citations, "
                                "pages, answerer, timings, created_at) VALUES "
                                "('c0000000000000000000000000000000', 0, 'q?', 'a.', :c, '[]', 'extractive', '{}', "
                                ":now)"), {"c": json.dumps([{"doc_id": "d9", "page": 2}]), "now": now})
    assert "standalone" not in {c["name"] for c in inspect(engine).get_columns("messages")}
    upgrade(engine)  # to the newest
    columns = {c["name"] for c in inspect(engine).get_columns("messages")}
    assert {"standalone", "rewritten_by", "claims", "abstained", "error"} <= columns
    assert {"collection", "documents", "tags"} <= {c["name"] for c in inspect(engine).get_columns("conversations")}
    engine.dispose()

    store = ConversationStore(database_url)  # opening again is a no-op at head
    old = store.get("", "c0000000000000000000000000000000")
    assert old.title == "old" and old.messages[0].abstained is False and old.messages[0].standalone is None
    assert old.history()[0].documents == ("d9",)
    store.close()


# ---- the REST API ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def harbours(tmp_path_factory, report):
    """An app with keys over two ports' registers (and the report), each port with its dues and its ships."""
    folder = tmp_path_factory.mktemp("harbours")
    settings = make_settings(folder / "data", profile="lite", api_keys=f"{KEY},{OTHER_KEY}")
    with local_client(create_app(settings), headers={"Authorization": f"Bearer {KEY}"}) as client:
        files = [("port_marrow.pdf", [MARROW, MARROW_2]), ("port_ellis.pdf", [ELLIS, ELLIS_2])]
        for name, pages in files:
            path = docs.pages_pdf(folder / name, pages)
            upload(client, (name, path.read_bytes()))
        upload(client, ("report.pdf", report.read_bytes()))
        yield client


def ask(client, conversation_id: str, question: str, **extra):
    response = client.post(f"/v1/conversations/{conversation_id}/messages", json={"question": question, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_follow_up_is_answered_from_the_page_the_conversation_points_to(harbours):
    conversation = harbours.post("/v1/conversations", json={}).json()
    first = ask(harbours, conversation["id"], "What were the harbour dues at Port Marrow in 1820?")
    assert first["answer"]["citations"][0]["file_name"] == "port_marrow.pdf"
    assert "9 shillings" in first["answer"]["text"]
    assert first["message"]["standalone"] is None  # the first question stands alone

    follow = ask(harbours, conversation["id"], "How many ships did the keeper count there?")
    message = follow["message"]
    assert message["rewritten_by"] == "rules" and "Port Marrow" in message["standalone"]
    assert "115 ships" in follow["answer"]["text"]
    first_quote = follow["answer"]["citations"][0]
    assert (first_quote["file_name"], first_quote["page"]) == ("port_marrow.pdf", 2)
    assert "115 ships" in first_quote["quote"]
    assert message["timings"]["total_ms"] >= message["timings"]["search_ms"] > 0

    # Asked on its own, the same words cannot tell the ports apart: the context is what found the page.
    alone = harbours.post("/v1/answer", json={"question": "How many ships did the keeper count there?"}).json()
    assert {p["file_name"] for p in alone["pages"]} >= {"port_marrow.pdf", "port_ellis.pdf"}

    kept = harbours.get(f"/v1/conversations/{conversation['id']}").json()  # as a reload would read it
    assert [m["question"] for m in kept["messages"]] == ["What were the harbour dues at Port Marrow in 1820?",
                                                         "How many ships did the keeper count there?"]
    assert kept["messages"][1]["citations"] == follow["message"]["citations"]
    assert kept["title"] == "What were the harbour dues at Port Marrow in 1820?"


def test_a_message_streams_and_ends_with_the_stored_message(harbours):
    conversation = harbours.post("/v1/conversations", json={"title": "streamed"}).json()
    ask(harbours, conversation["id"], "What were the harbour dues at Port Ellis in 1820?")
    with harbours.stream("POST", f"/v1/conversations/{conversation['id']}/messages",
                         json={"question": "And the ships counted there?", "stream": True}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = [(block.split("\n")[0][7:], json.loads(block.split("\n")[1][6:]))
                  for block in response.read().decode().strip().split("\n\n")]
    names = [name for name, _ in events]
    assert names[0] == "pages" and names[-3:] == ["citations", "message", "done"] and "delta" in names
    pages = events[0][1]
    assert pages["rewritten_by"] == "rules" and "Port Ellis" in pages["question"]
    stored = events[-2][1]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert stored["answer"] == streamed and "340 ships" in streamed and stored["position"] == 1


def test_the_scope_limits_the_pages_an_answer_reads(harbours, tmp_path):
    ellis = harbours.get("/v1/documents/port_ellis.pdf").json()["id"]
    conversation = harbours.post("/v1/conversations", json={"documents": ["port_ellis.pdf"]}).json()
    assert conversation["documents"] == [ellis]  # kept as the id: a name can come to mean another file
    # A later upload of a different file of the same name: the scope still means the first one.
    other = docs.pages_pdf(tmp_path / "port_ellis.pdf", [["Port Ellis, a forged register: 9,999 ships."]])
    forged = upload(harbours, ("port_ellis.pdf", other.read_bytes()))["files"][0]["doc_id"]
    answer = ask(harbours, conversation["id"], "How many ships did the keeper count?")
    assert {p["doc_id"] for p in answer["pages"]} == {ellis}
    harbours.delete(f"/v1/documents/{forged}")
    answer = ask(harbours, conversation["id"], "How many ships did the keeper count?")
    assert {p["file_name"] for p in answer["pages"]} == {"port_ellis.pdf"}
    assert "340 ships" in answer["answer"]["text"]
    # widened to everything: the same question reads both ports again
    patched = harbours.patch(f"/v1/conversations/{conversation['id']}", json={"documents": None}).json()
    assert patched["documents"] is None and patched["title"] == "How many ships did the keeper count?"
    answer = ask(harbours, conversation["id"], "How many ships did the keeper count at each port?")
    assert {p["file_name"] for p in answer["pages"]} >= {"port_ellis.pdf", "port_marrow.pdf"}


def test_another_key_cannot_see_or_touch_a_conversation(harbours):
    mine = harbours.post("/v1/conversations", json={"title": "mine"}).json()
    other = {"Authorization": f"Bearer {OTHER_KEY}"}
    for method, path, body in [("GET", "", None), ("PATCH", "", {"title": "taken"}), ("DELETE", "", None),
                               ("POST", "/messages", {"question": "What were the harbour dues?"})]:
        response = harbours.request(method, f"/v1/conversations/{mine['id']}{path}", json=body, headers=other)
        assert response.status_code == 404, (method, path, response.text)
    theirs = harbours.post("/v1/conversations", json={"title": "theirs"}, headers=other).json()
    listed = [c["id"] for c in harbours.get("/v1/conversations").json()]
    assert mine["id"] in listed and theirs["id"] not in listed
    assert [c["id"] for c in harbours.get("/v1/conversations", headers=other).json()] == [theirs["id"]]
    assert harbours.get(f"/v1/conversations/{mine['id']}").json()["title"] == "mine"  # untouched
    assert harbours.get("/v1/conversations", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_bad_conversation_requests_are_4xx_with_the_reason(harbours):
    assert harbours.get("/v1/conversations/not-an-id").status_code == 422
    assert harbours.get("/v1/conversations/" + "0" * 32).status_code == 404
    assert harbours.post("/v1/conversations", json={"title": "x" * 201}).status_code == 422
    assert harbours.post("/v1/conversations", json={"surprise": 1}).status_code == 422
    missing = harbours.post("/v1/conversations", json={"documents": ["nowhere.pdf"]})
    assert missing.status_code == 404 and "nowhere.pdf" in missing.json()["detail"]
    conversation = harbours.post("/v1/conversations", json={}).json()
    assert harbours.post(f"/v1/conversations/{conversation['id']}/messages", json={"question": ""}).status_code == 422
    too_long = harbours.post(f"/v1/conversations/{conversation['id']}/messages", json={"question": "q" * 2001})
    assert too_long.status_code == 422
    assert harbours.get(f"/v1/conversations/{conversation['id']}").json()["messages"] == []  # nothing half-kept


def test_chat_completions_resolve_the_last_question_against_the_earlier_ones(harbours):
    body = {"messages": [
        {"role": "user", "content": "What were the harbour dues at Port Marrow in 1820?"},
        {"role": "assistant", "content": "They were 9 shillings [1]."},
        {"role": "user", "content": "How many ships did the keeper count there?"}]}
    reply = harbours.post("/v1/chat/completions", json=body).json()
    assert "115 ships" in reply["choices"][0]["message"]["content"]
    assert (reply["citations"][0]["file_name"], reply["citations"][0]["page"]) == ("port_marrow.pdf", 2)


def test_the_answer_endpoint_takes_a_history_too(harbours):
    body = {"question": "And the ships?",
            "history": [{"question": "What were the harbour dues at Port Ellis in 1820?"}]}
    reply = harbours.post("/v1/answer", json=body).json()
    assert reply["rewritten_by"] == "rules" and "Port Ellis" in reply["question"]
    assert reply["pages"][0]["file_name"] == "port_ellis.pdf"


def test_a_long_conversation_is_read_a_page_at_a_time_and_capped(database_url):
    import threading

    from pagesight.core.errors import Conflict

    store = ConversationStore(database_url, max_messages=120)
    owner = owner_of(KEY)
    conversation = store.create(owner)
    for n in range(120):
        store.add_message(owner, conversation.id, message(f"Question {n}?"))
    latest = store.get(owner, conversation.id)  # the latest page, oldest first
    assert [m.position for m in latest.messages] == list(range(70, 120))
    assert (latest.total, latest.earlier) == (120, True)
    before = store.get(owner, conversation.id, before=70, limit=60)
    assert [m.position for m in before.messages] == list(range(10, 70)) and before.earlier
    first = store.get(owner, conversation.id, before=10, limit=60)
    assert [m.position for m in first.messages] == list(range(10)) and not first.earlier
    assert [t.question for t in store.history(owner, conversation.id)] == [f"Question {n}?" for n in range(116, 120)]
    with pytest.raises(Conflict, match="holds 120 messages, the most one may"):
        store.add_message(owner, conversation.id, message("One more?"))
    with pytest.raises(Conflict):
        store.check_room(owner, conversation.id)
    # NUL is no text a database keeps (PostgreSQL refuses it): an answer that carries one is kept without it.
    other = store.create(owner)
    kept = store.add_message(owner, other.id, message("Nul\x00 in?", answer="A\x00B", doc_ids=("d\x001",)))
    assert (kept.question, kept.answer, kept.citations[0]["doc_id"]) == ("Nul in?", "AB", "d1")
    # One owner's write in progress holds up no one's reads.
    if store.database._lock is not None:
        with store.database._lock:
            got = []
            reader = threading.Thread(target=lambda: got.append(store.get(owner, other.id)))
            reader.start()
            reader.join(timeout=10)
            assert got and got[0].total == 1
    store.close()


def test_a_full_conversation_refuses_a_question_before_any_work(tmp_path, report):
    settings = make_settings(tmp_path / "data", profile="lite", conversation_max_messages=2)
    with local_client(create_app(settings)) as client:
        upload(client, ("report.pdf", report.read_bytes()))
        conversation = client.post("/v1/conversations", json={}).json()
        for question in ("How many ships did the keeper count?", "And in which year?"):
            assert client.post(f"/v1/conversations/{conversation['id']}/messages",
                               json={"question": question}).status_code == 200
        refused = client.post(f"/v1/conversations/{conversation['id']}/messages", json={"question": "More?"})
        assert refused.status_code == 409 and "start a new conversation" in refused.json()["detail"]
        page = client.get(f"/v1/conversations/{conversation['id']}", params={"limit": 1}).json()
        assert [m["question"] for m in page["messages"]] == ["And in which year?"]
        assert (page["total"], page["earlier"]) == (2, True)


@pytest.mark.parametrize("field", ["title", "question", "tag"])
def test_a_nul_character_is_refused_at_the_edge(harbours, field):
    if field == "title":
        refused = harbours.post("/v1/conversations", json={"title": "Harbour\u0000dues"})
    elif field == "question":
        conversation = harbours.post("/v1/conversations", json={}).json()
        refused = harbours.post(f"/v1/conversations/{conversation['id']}/messages",
                                json={"question": "Dues\u0000?", "stream": True})
    else:
        refused = harbours.get("/v1/documents", params={"tag": "q\x003"})
    assert refused.status_code == 422 and "NUL" in refused.text
