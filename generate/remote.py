"""A remote vision-language model behind any OpenAI-compatible chat-completions endpoint that takes
images (vLLM, Ollama, TGI, hosted APIs). Page images go as PNG data URLs; the answer streams
back as server-sent events. Connection failures, timeouts, 429 and 5xx answers are retried
(with backoff) until the first token arrives; after that a failure ends the answer with an error."""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from collections.abc import Iterator

from ..core.errors import GenerationError
from .answerer import VLMAnswerer
from .prompt import Prompt, load_image

__all__ = ["RemoteVLMAnswerer"]

log = logging.getLogger(__name__)

_RETRY_STATUS = {408, 429, 500, 502, 503, 504}


class RemoteVLMAnswerer(VLMAnswerer):
    name = "remote"

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, timeout_s: float = 120.0,
                 retries: int = 2, max_pixels: int = 602_112, max_new_tokens: int = 512, with_text: bool = True,
                 backoff_s: float = 1.0):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key, self.timeout_s, self.retries = model, api_key, timeout_s, retries
        self.max_pixels, self.max_new_tokens, self.with_text, self.backoff_s = (
            max_pixels, max_new_tokens, with_text, backoff_s)

    def request(self, prompt: Prompt) -> dict:
        """The chat-completions request body for a prompt."""
        content = []
        for part in prompt.parts:
            if part.kind == "image":
                buffer = io.BytesIO()
                load_image(part.image, self.max_pixels).save(buffer, format="PNG")
                url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
                content.append({"type": "image_url", "image_url": {"url": url}})
            else:
                content.append({"type": "text", "text": part.text})
        return {
            "model": self.model, "stream": True, "temperature": 0, "max_tokens": self.max_new_tokens,
            "messages": [{"role": "system", "content": prompt.system}, {"role": "user", "content": content}],
        }

    def _generate(self, prompt: Prompt) -> Iterator[str]:
        import httpx

        body = self.request(prompt)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        timeout = httpx.Timeout(self.timeout_s, connect=min(10.0, self.timeout_s))
        started = False  # once text has been yielded, a retry would repeat it: fail instead
        with httpx.Client(timeout=timeout, headers=headers) as client:
            for attempt in range(self.retries + 1):
                last = attempt == self.retries
                try:
                    with client.stream("POST", self.url, json=body) as response:
                        if response.status_code in _RETRY_STATUS and not last:
                            log.warning("%s answered %s; retrying", self.url, response.status_code)
                        elif response.status_code != 200:
                            response.read()
                            raise GenerationError(
                                f"remote VLM at {self.url} answered {response.status_code}: {_detail(response)}")
                        else:
                            for piece in self._events(response):
                                started = True
                                yield piece
                            return
                except httpx.TimeoutException as e:
                    if last or started:
                        raise GenerationError(f"remote VLM at {self.url} did not answer within {self.timeout_s:g} s "
                                              f"({self.retries + 1} attempts)") from e
                    log.warning("%s timed out; retrying", self.url)
                except httpx.TransportError as e:
                    if last or started:
                        raise GenerationError(f"cannot reach the remote VLM at {self.url}: {e}") from e
                    log.warning("%s: %s; retrying", self.url, e)
                time.sleep(self.backoff_s * 2 ** attempt)

    def _events(self, response) -> Iterator[str]:
        """Text deltas from the server-sent events of a streamed chat completion."""
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            try:
                event = json.loads(data)
            except json.JSONDecodeError as e:
                raise GenerationError(f"remote VLM at {self.url} sent an event that is not JSON: {data[:200]!r}") from e
            if "error" in event:
                raise GenerationError(f"remote VLM at {self.url} failed: {str(event['error'])[:300]}")
            for choice in event.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    yield piece


def _detail(response) -> str:
    try:
        error = response.json().get("error", response.json())
        return str(error.get("message", error) if isinstance(error, dict) else error)[:300]
    except (ValueError, AttributeError):
        return response.text[:300] or response.reason_phrase
