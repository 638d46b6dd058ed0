"""The command line's way to a running `pagesight serve` (`pagesight --server URL ...`): the server
owns the embedded store, so the CLI sends requests instead of opening the store a second time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx

from pagesight.core.errors import PageSightError
from pagesight.core.types import Answer, Citation, Document, Hit

__all__ = ["ServerClient"]


class ServerClient:
    def __init__(self, url: str, api_key: str | None = None, timeout_s: float = 600.0):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s)

    def _call(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as e:
            raise PageSightError(f"cannot reach the PageSight server at {self.url} ({e})") from e
        _check(response, self.url)
        return response

    def upload(self, paths: list[Path], tags: list[str], collection: str | None) -> str:
        """Send files; the job id."""
        with ExitStack() as stack:
            files = [("files", (p.name, stack.enter_context(p.open("rb")))) for p in paths]
            data = {"tags": ",".join(tags)} if tags else {}
            if collection:
                data["collection"] = collection
            return self._call("POST", "/v1/documents", files=files, data=data).json()["id"]

    def job(self, job_id: str) -> dict:
        return self._call("GET", f"/v1/jobs/{job_id}").json()

    def wait(self, job_id: str, every_s: float = 0.5) -> dict:
        while (job := self.job(job_id))["status"] != "done":
            time.sleep(every_s)
        return job

    def documents(self, collection: str | None) -> list[Document]:
        params = {"collection": collection} if collection else {}
        return [Document(**d) for d in self._call("GET", "/v1/documents", params=params).json()]

    def delete(self, doc_id: str, collection: str | None) -> None:
        params = {"collection": collection} if collection else {}
        self._call("DELETE", f"/v1/documents/{doc_id}", params=params)

    def search(self, body: dict) -> dict:
        found = self._call("POST", "/v1/search", json=body).json()
        found["hits"] = [Hit(**h) for h in found["hits"]]
        return found

    def answer(self, body: dict) -> Iterator[str | Answer | list[Hit]]:
        """The pages read (a list of hits), then text deltas, then the Answer."""
        try:
            yield from self._answer_events(body)
        except httpx.TransportError as e:
            raise PageSightError(f"cannot reach the PageSight server at {self.url} ({e})") from e

    def _answer_events(self, body: dict) -> Iterator[str | Answer | list[Hit]]:
        with self.http.stream("POST", "/v1/answer", json={**body, "stream": True}) as response:
            if response.status_code != 200:
                response.read()
                _check(response, self.url)
            event = None
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:])
                    if event == "pages":
                        yield [Hit(**h) for h in data["pages"]]
                    elif event == "delta":
                        yield data["text"]
                    elif event == "citations":
                        citations = [Citation(**{k: v for k, v in c.items() if k != "image_url"},
                                              image_path=self.url + c["image_url"]) for c in data["citations"]]
                        yield Answer(**data["answer"], citations=citations)
                    elif event == "error":
                        raise PageSightError(f"the server could not answer: {data['detail']}")

    def close(self) -> None:
        self.http.close()


def _check(response: httpx.Response, url: str) -> None:
    if response.status_code < 400:
        return
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text[:300]
    if response.status_code == 401:
        raise PageSightError(f"the server at {url} wants an API key: set PAGESIGHT_SERVER_API_KEY ({detail})")
    raise PageSightError(f"the server at {url} answered {response.status_code}: {detail}")
