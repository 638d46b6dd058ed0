"""A local vision-language model through transformers: Qwen2-VL by default, Qwen2.5-VL and any
other model that `AutoModelForImageTextToText` loads. Weights are read from disk only
(`pagesight models pull` fetches them); decoding is greedy unless asked otherwise."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from threading import Lock, Thread

from ..core.device import resolve_device, torch_dtype
from ..core.errors import GenerationError, ModelUnavailable
from .answerer import VLMAnswerer
from .prompt import Prompt, load_image

__all__ = ["LocalVLMAnswerer"]

log = logging.getLogger(__name__)


class LocalVLMAnswerer(VLMAnswerer):
    name = "local"

    def __init__(self, model: str, *, device: str = "auto", dtype: str = "auto", max_pixels: int = 602_112,
                 max_new_tokens: int = 512, with_text: bool = True, do_sample: bool = False):
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.model_name = model
        self.device = resolve_device(device)
        self.max_pixels, self.max_new_tokens, self.with_text = max_pixels, max_new_tokens, with_text
        self.do_sample = do_sample
        try:
            self.processor = AutoProcessor.from_pretrained(model, local_files_only=True)
            self.model = AutoModelForImageTextToText.from_pretrained(
                model, local_files_only=True, dtype=torch_dtype(dtype, self.device), device_map=self.device,
            ).eval()
        except OSError as e:
            raise ModelUnavailable.missing(model, e) from e
        except ValueError as e:  # a config transformers cannot map to an image-text-to-text class
            raise ModelUnavailable(f"{model!r} is not an image-text-to-text model transformers can load ({e})") from e
        if getattr(self.processor, "chat_template", None) is None:
            raise ModelUnavailable(f"{model!r} has no chat template; PageSight needs an instruction-tuned model")
        self._torch = torch
        self._one_at_a_time = Lock()  # the server answers from several threads; one model, one generation

    def inputs(self, prompt: Prompt):
        """The model's inputs for a prompt: chat template applied, images scaled to the budget."""
        content, images = [], []
        for part in prompt.parts:
            if part.kind == "image":
                images.append(load_image(part.image, self.max_pixels))
                content.append({"type": "image"})
            else:
                content.append({"type": "text", "text": part.text + "\n"})
        messages = [{"role": "system", "content": prompt.system}, {"role": "user", "content": content}]
        text = self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = self.processor(text=[text], images=images or None, return_tensors="pt")
        return inputs.to(self.model.device)

    def _generate(self, prompt: Prompt) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        inputs = self.inputs(prompt)
        streamer = TextIteratorStreamer(self.processor.tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with self._one_at_a_time, self._torch.inference_mode():
                    self.model.generate(**inputs, streamer=streamer, max_new_tokens=self.max_new_tokens,
                                        do_sample=self.do_sample)
            except BaseException as e:  # reported in the caller's thread below
                failure.append(e)
                streamer.end()

        thread = Thread(target=run, name="pagesight-generate", daemon=True)
        thread.start()
        yield from (piece for piece in streamer if piece)
        thread.join()
        if failure:
            raise GenerationError(f"{self.model_name}: generation failed ({type(failure[0]).__name__}: {failure[0]})")
