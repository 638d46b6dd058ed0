"""The sentence encoder on OpenVINO: the same exported graph as ONNX Runtime runs (index/onnx_text.py),
in bfloat16 where the processor multiplies bfloat16 natively (AVX512-BF16, AMX), float32 elsewhere.

On this project's machine (2 cores, AVX512-BF16; bench/textspeed.py, bench/results/textspeed.json) a
passage of the corpus costs 13.5 ms of CPU against ONNX Runtime's 23.0 in float and 13.0 in int8, a
query 5.2 ms against 7.0 and 2.8, and its vectors keep torch's to a cosine of 0.9999 at worst, where
int8's fall to 0.979: bfloat16 keeps float32's range, so an activation far larger than the rest leaves
its neighbours their precision, where int8's one scale per run flattens them.

The collection records the runtime ("openvino") and, with the file it loaded, the precision that ran
it; vectors of the two precisions agree to a cosine of 0.999 (tests/index/test_encoders.py), so a
collection built in bfloat16 is searched with float32 queries on a processor without it.
"""

from __future__ import annotations

import functools
import queue
from pathlib import Path

import numpy as np

from ..core.errors import ModelUnavailable
from .encoders import EncoderSpec, TextEncoder
from .onnx_text import RUNTIMES, exported, file_hash, tokenizer

__all__ = ["LENGTH_STEP", "OpenVinoTextEncoder", "bfloat16_native", "openvino_available"]

# Each text is padded (masked) to a multiple of this many tokens. OpenVINO keeps what it prepares for
# each input shape: at every length from 1 to 256 that grew to a gigabyte over 2,245 FinanceBench
# passages (605 MB with no cache, at 1.35x the time); at 16 shapes, 464 MB, and 6% faster than
# unpadded. The padding is masked out of attention and of the mean, and a text's padded length is its
# own, so its vector still does not depend on the texts run with it.
LENGTH_STEP = 16


@functools.cache
def _core():
    """OpenVINO's runtime, made once a process (its plugins are found and loaded each time one is made)."""
    import openvino as ov

    return ov.Core()


@functools.cache
def openvino_available() -> bool:
    """Whether OpenVINO is installed and finds this processor (its CPU plugin loads); asked once."""
    try:
        return "CPU" in _core().available_devices
    except (ImportError, RuntimeError):
        return False


def bfloat16_native() -> bool:
    """Whether OpenVINO multiplies bfloat16 natively on this processor."""
    return "BF16" in _core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


class OpenVinoTextEncoder(TextEncoder):
    """The exported sentence encoder, compiled by OpenVINO for the CPU.

    One text a run, as on ONNX Runtime (a passage's vector does not depend on its batch), padded to a
    multiple of LENGTH_STEP tokens. Many texts are spread over `workers` Python threads, each running
    its own request on a stream of one thread: every core busy, no thread pool spinning against the
    extraction workers, and callers on several threads (the server's) each wait for a free request.
    Threads are not pinned to cores, for the same reason."""

    def __init__(self, model: Path, name: str, cache: Path, *, workers: int = 1, precision: str | None = None):
        try:
            core = _core()
        except ImportError as e:
            raise ModelUnavailable(f"the openvino text runtime needs OpenVINO ({e}): pip install openvino, "
                                   "or use PAGESIGHT_TEXT_RUNTIME=onnx") from e
        folder, meta = exported(model, name, cache)
        self.tokenizer = tokenizer(folder, meta, multiple=LENGTH_STEP)
        self.workers = max(1, workers)
        # bfloat16 only where it is native: elsewhere it would be emulated, slower than float32.
        self.precision = "bf16" if precision in (None, "bf16") and bfloat16_native() else "f32"
        self.compiled = core.compile_model(str(folder / RUNTIMES["onnx"]), "CPU", {
            "INFERENCE_PRECISION_HINT": self.precision, "INFERENCE_NUM_THREADS": self.workers,
            "NUM_STREAMS": self.workers, "ENABLE_CPU_PINNING": False})
        self._requests: queue.Queue = queue.Queue()
        for _ in range(self.workers):
            self._requests.put(self.compiled.create_infer_request())
        dim = self.compiled.output(0).get_partial_shape()[1].get_length()
        self.spec = EncoderSpec(name=name, revision=meta["revision"], dim=int(dim), runtime="openvino",
                                artifact=f"{file_hash(folder / RUNTIMES['onnx'])}/{self.precision}")
        # One run here, on this thread, before any other: the binding sets up its numpy interface on first
        # use, once, and two threads arriving at once for their first run deadlock in it (pybind11's
        # call_once waits for the GIL that the other holds, seen with two encode threads in an ingest).
        self.encode(["warm"])

    def _feed(self, text: str) -> dict[str, np.ndarray]:
        encoding = self.tokenizer.encode(text)
        return {"input_ids": np.array([encoding.ids], dtype=np.int64),
                "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)}

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int | None = None) -> np.ndarray:
        # batch_size is accepted for the interface; every run holds one text (see the class).
        out = np.zeros((len(texts), self.spec.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # like lengths side by side

        def run(chosen: list[int]) -> None:
            request = self._requests.get()  # a request runs one text at a time: each caller takes its own
            try:
                for i in chosen:
                    out[i] = request.infer(self._feed(texts[i]))[0][0]  # (dim,), normalised in the graph
            finally:
                self._requests.put(request)

        if self.workers == 1 or len(texts) < 2 * self.workers:
            run(order)
            return out
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(self.workers, thread_name_prefix="pagesight-encode") as pool:
            list(pool.map(run, [order[k::self.workers] for k in range(self.workers)]))  # re-raises a failure
        return out
