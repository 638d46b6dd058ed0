"""A stand-in for an OpenAI-compatible chat-completions server, run as its own process by the
remote-answerer tests: `python openai_stub.py PORT_FILE LOG_FILE API_KEY`.

It behaves by the requested model name: "echo" streams a cited answer, "leaky" one whose citations
point at pages it was not given, split over the stream's chunks; "faithful", "wrongnumber" and
"foreign" prepared answers (a claim the cited page bears, one with a wrong figure, one citing a page
never given); "flaky" answers 503 to the first
request, "slow" waits 3 s before answering, "garbled" sends an event that is not JSON. Asked to rewrite
a follow-up (the system prompt says "You rewrite"), it answers "Standalone question: <the follow-up>
(rewritten)"; "babbler" answers a paragraph with a citation instead.
Every request (headers and body) is appended to LOG_FILE as a JSON line.
"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ANSWER = ["The keeper counted ", "4217 ships", " [1].", " A page never given [7]."]
PREPARED = {  # answers to "How many ships did the keeper count?" over the report's first page as [1]
    "faithful": ["The keeper counted ", "4217 ships in 2023 [1]."],
    "wrongnumber": ["The keeper counted ", "5000 ships in 2023 [1]."],
    "foreign": ["The keeper counted 4217 ships [7]."],
}
LEAKY = ["The keeper counted 4217 ships [", "7]. The log agrees [1", ", 9] and so does [secret.pdf", ", page 4",
         "]. Nothing else [2]."]
seen: dict[str, int] = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open(sys.argv[2], "a") as log:
            log.write(json.dumps({"path": self.path, "authorization": self.headers.get("Authorization"),
                                  "body": body}) + "\n")
        model = body.get("model")
        seen[model] = seen.get(model, 0) + 1
        if self.path != "/v1/chat/completions":
            return self.json(404, {"error": {"message": "no such route"}})
        if self.headers.get("Authorization") != f"Bearer {sys.argv[3]}":
            return self.json(401, {"error": {"message": "Incorrect API key provided"}})
        if model == "flaky" and seen[model] == 1:
            return self.json(503, {"error": {"message": "overloaded"}})
        if model == "slow":
            time.sleep(3)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if model == "garbled":
            self.wfile.write(b"data: {not json\n\n")
            return
        pieces = LEAKY if model == "leaky" else PREPARED.get(model, ANSWER)
        system = body["messages"][0]["content"] if body.get("messages") else ""
        if isinstance(system, str) and system.startswith("You rewrite"):
            asked = body["messages"][1]["content"][0]["text"].rsplit("Follow-up: ", 1)[1]
            pieces = (["The keeper counted 4217 ships [1]. " * 3] if model == "babbler"
                      else ["Standalone question: ", asked.rstrip("?"), " (rewritten)?"])
        for piece in pieces:
            chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(sys.argv[1]).write_text(str(server.server_address[1]))
    server.serve_forever()
