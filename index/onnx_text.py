"""The sentence encoder on ONNX Runtime: the same weights as the torch path (the packaged
all-MiniLM-L6-v2 by default), exported here once, with pooling and normalisation inside the graph,
and optionally quantized to int8 (the matrix products only, per channel).

Encoding needs only onnxruntime, tokenizers and numpy, so a query does not import torch; the
export (the first time, into the models folder) uses torch and onnx. The export is deterministic:
the same weights give the same file, whose hash the collection records.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..core.errors import ModelUnavailable
from .encoders import EncoderSpec, TextEncoder, revision_of

__all__ = ["RUNTIMES", "OnnxTextEncoder", "PooledOnnxEncoder", "export", "export_once", "exported", "file_hash",
           "tokenizer"]

log = logging.getLogger(__name__)

RUNTIMES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}  # runtime -> file in the export folder
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _pooling(model: Path) -> str:
    """How the sentence-transformers model pools token vectors: "mean" or "cls"."""
    config = model / "1_Pooling" / "config.json"
    if not config.is_file():
        return "mean"
    data = json.loads(config.read_text())
    if data.get("pooling_mode_mean_tokens"):
        return "mean"
    if data.get("pooling_mode_cls_token"):
        return "cls"
    raise ModelUnavailable(f"{model}: only mean or CLS pooling runs on ONNX Runtime; use PAGESIGHT_TEXT_RUNTIME=torch")


def _max_length(model: Path) -> int:
    config = model / "sentence_bert_config.json"
    return int(json.loads(config.read_text()).get("max_seq_length", 256)) if config.is_file() else 256


def export_apart(model: Path, folder: Path) -> Path:
    """`export` in a fresh interpreter: torch and transformers (a gigabyte once imported) never load into
    the process that then only runs ONNX Runtime, and the caller's own script is never imported again
    (a multiprocessing child would re-run a plain script without a main guard, and fail)."""
    run_apart("pagesight.index.onnx_text", "export", model, folder, what=f"the text model {model}")
    return folder


# The child: one call, and a PageSight error as one line on stderr (its last), never a traceback.
_CHILD = """
import sys
from importlib import import_module
from pathlib import Path
from pagesight.core.errors import PageSightError
try:
    getattr(import_module(sys.argv[1]), sys.argv[2])(Path(sys.argv[3]), Path(sys.argv[4]))
except PageSightError as e:
    sys.exit(str(e))
"""


def export_once(folder: Path, complete: Callable[[], bool], export: Callable[[], object]) -> None:
    """`export()` into `folder` unless `complete()`, one process at a time (a lock file beside the folder).
    Two processes using a model for the first time together (a server and an ingest in another terminal)
    each exported it, and the second, replacing the folder, deleted the first's export under its reader;
    now the second waits for the first and reads its export."""
    if complete():
        return
    import fcntl

    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, or the process ends
        if not complete():
            export()


def run_apart(module: str, function: str, source: Path, folder: Path, *, what: str) -> None:
    """`module.function(source, folder)` (an export) in a fresh interpreter, its failure a ModelUnavailable
    naming `what` and the child's last line."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _CHILD, module, function, str(source), str(folder)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise ModelUnavailable(f"exporting {what} to ONNX failed: {last}")


def export(model: Path, folder: Path) -> Path:
    """Export a sentence-transformers folder to `folder` (model.onnx, model-int8.onnx, tokenizer.json,
    the settings), written in a scratch folder and moved into place whole."""
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
    except ImportError as e:
        raise ModelUnavailable(f"exporting the text encoder to ONNX needs torch, transformers and onnx ({e}): "
                               "pip install onnx, or use PAGESIGHT_TEXT_RUNTIME=torch") from e
    if not (model / "tokenizer.json").is_file():
        raise ModelUnavailable(f"{model} has no tokenizer.json (a fast tokenizer): use PAGESIGHT_TEXT_RUNTIME=torch")
    pooling, max_length = _pooling(model), _max_length(model)
    scratch = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    transformer = AutoModel.from_pretrained(model, local_files_only=True).eval()

    class Embed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):  # (batch, tokens) each -> (batch, dim)
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids).last_hidden_state  # (batch, tokens, dim)
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    sample = {name: torch.ones((2, 8), dtype=torch.int64) for name in _INPUTS}
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS} | {"embedding": {0: "batch"}}
    root = logging.getLogger()
    level = root.level
    # The exporter's tracing notes and the quantizer's advice are for model authors, not for users.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root.setLevel(logging.ERROR)
        try:
            torch.onnx.export(Embed(), tuple(sample[n] for n in _INPUTS), str(scratch / RUNTIMES["onnx"]),
                              input_names=list(_INPUTS), output_names=["embedding"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
            # int8 for the matrix products only, per output channel: the embeddings stay within about half
            # a percent of float (cosine), at about half the time.
            quantize_dynamic(str(scratch / RUNTIMES["onnx"]), str(scratch / RUNTIMES["onnx-int8"]),
                             op_types_to_quantize=["MatMul"], per_channel=True, weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
    shutil.copy(model / "tokenizer.json", scratch / "tokenizer.json")
    (scratch / "pagesight.json").write_text(json.dumps({"source": str(model), "revision": revision_of(model),
                                                        "max_length": max_length, "pooling": pooling}))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(scratch, folder)
    return folder


def exported(model: Path, name: str, cache: Path) -> tuple[Path, dict]:
    """The export folder of `model` under `cache` (exported the first time) and its settings."""
    revision = revision_of(model)
    folder = cache / revision.replace(":", "-")

    def export() -> None:
        log.info("exporting %s to ONNX under %s (once)", name, folder)
        export_apart(model, folder)

    export_once(folder, lambda: all((folder / file).is_file() for file in (*RUNTIMES.values(), "pagesight.json")),
                export)
    meta = json.loads((folder / "pagesight.json").read_text())
    return folder, meta | {"revision": revision}


def tokenizer(folder: Path, meta: dict, multiple: int | None = None):
    """The export's tokenizer: cut at the model's window, padded only to the longest text of a run
    (rounded up to a `multiple` of tokens when given). A sentence-transformers tokenizer.json may pad
    every text to a fixed length of its own: 128 tokens for a 10-word query."""
    from tokenizers import Tokenizer

    loaded = Tokenizer.from_file(str(folder / "tokenizer.json"))
    loaded.enable_truncation(meta["max_length"])
    loaded.enable_padding(pad_to_multiple_of=multiple)
    return loaded


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()[:12]


class OnnxTextEncoder(TextEncoder):
    """A sentence encoder exported to ONNX, run by ONNX Runtime on the CPU with `threads` threads.

    One text a run by default: on the CPU that is the fastest (no padding at all; measured 20 ms a
    120-word passage in int8 against 30 in batches of 8), and int8's activation scales, computed per
    run, then depend on the text alone, so a passage gets the same vector however it is batched.
    Larger batches are encoded longest first, so that little of each is padding.

    Many texts (an ingest's) are spread over `workers` Python threads, each running the one session
    (ONNX Runtime runs are thread-safe and release the GIL): single-threaded runs side by side keep
    every core busy without an intra-op pool spinning against the extraction workers."""

    def __init__(self, model: Path, name: str, cache: Path, *, runtime: str = "onnx-int8", threads: int = 1,
                 batch_size: int = 1, workers: int = 1):
        import onnxruntime as ort

        if runtime not in RUNTIMES:
            raise ValueError(f"unknown ONNX runtime {runtime!r}: choose {', '.join(RUNTIMES)}")
        folder, meta = exported(model, name, cache)
        self.tokenizer = tokenizer(folder, meta)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(folder / RUNTIMES[runtime]), options,
                                            providers=["CPUExecutionProvider"])
        self.batch_size = batch_size
        self.workers = max(1, workers)
        dim = self.session.get_outputs()[0].shape[1]
        self.spec = EncoderSpec(name=name, revision=meta["revision"], dim=int(dim), runtime=runtime,
                                artifact=file_hash(folder / RUNTIMES[runtime]))

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.spec.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # longest first: batches of like length
        size = batch_size or self.batch_size
        batches = [order[start:start + size] for start in range(0, len(order), size)]

        def run(chosen: list[int]) -> None:
            encodings = self.tokenizer.encode_batch([texts[i] for i in chosen])
            feed = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
            out[chosen] = self.session.run(None, feed)[0]  # (batch, dim), normalised in the graph

        if self.workers == 1 or len(batches) < 2 * self.workers:
            for chosen in batches:
                run(chosen)
            return out
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(self.workers, thread_name_prefix="pagesight-encode") as pool:
            list(pool.map(run, batches))  # each writes its own rows; map re-raises the first failure
        return out


class PooledOnnxEncoder(TextEncoder):
    """A sentence encoder shipped as an ONNX graph that ends at its token vectors (last_hidden_state), as
    a package carries it (packaged.py): pooled here (`pooling`: "cls" or "mean") and L2-normalised; a query
    gets `query_prefix` first (bge-small-en-v1.5 was trained to read retrieval queries after one).

    One text a run, over `workers` threads, as OnnxTextEncoder runs: a passage's vector does not depend
    on what it is encoded with."""

    def __init__(self, folder: Path, name: str, *, pooling: str = "cls", query_prefix: str = "",
                 max_tokens: int = 256, workers: int = 1, runtime: str = "onnx-int8"):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_tokens)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.pooling, self.query_prefix, self.workers = pooling, query_prefix, max(1, workers)
        dim = self.session.get_outputs()[0].shape[-1]
        self.spec = EncoderSpec(name=name, revision=file_hash(folder / "model.onnx"), dim=int(dim), runtime=runtime,
                                artifact=file_hash(folder / "model.onnx"))

    def _one(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text)
        feed = {"input_ids": np.array([encoding.ids], dtype=np.int64),
                "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)}
        hidden = self.session.run(None, feed)[0][0]  # (tokens, dim)
        pooled = hidden[0] if self.pooling == "cls" else hidden.mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int | None = None) -> np.ndarray:
        texts = [self.query_prefix + t for t in texts] if query and self.query_prefix else texts
        out = np.zeros((len(texts), self.spec.dim), dtype=np.float32)
        if self.workers == 1 or len(texts) < 2 * self.workers:
            for i, text in enumerate(texts):
                out[i] = self._one(text)
            return out
        from concurrent.futures import ThreadPoolExecutor

        def run(indexes: range) -> None:
            for i in indexes:
                out[i] = self._one(texts[i])

        with ThreadPoolExecutor(self.workers, thread_name_prefix="pagesight-encode") as pool:
            list(pool.map(run, [range(k, len(texts), self.workers) for k in range(self.workers)]))
        return out
