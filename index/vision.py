"""Vision encoders: late-interaction page encoders (ColQwen2, ColQwen2.5, ColPali through
colpali-engine) and CLIP-family image encoders (CLIP, SigLIP through transformers).

Model classes come from explicit tables: a known checkpoint name maps to its family, and a local
folder names its family in its config.json (`model_type`); names are never pattern-matched.
Loading never downloads (`local_files_only`): `pagesight models pull` does that, on purpose.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from ..core.device import resolve_device, torch_dtype
from ..core.errors import ModelUnavailable
from .encoders import EncoderSpec, revision_of

__all__ = [
    "PAGE_FAMILIES",
    "IMAGE_FAMILIES",
    "KNOWN_MODELS",
    "PageEncoder",
    "ImageEncoder",
    "ColVisionEncoder",
    "ClipImageEncoder",
    "model_family",
]

log = logging.getLogger(__name__)

# family -> (model class, processor class) in colpali_engine.models
PAGE_FAMILIES = {
    "qwen2_vl": ("ColQwen2", "ColQwen2Processor"),
    "qwen2_5_vl": ("ColQwen2_5", "ColQwen2_5_Processor"),
    "paligemma": ("ColPali", "ColPaliProcessor"),
}
# family -> model class in transformers
IMAGE_FAMILIES = {"clip": "CLIPModel", "siglip": "SiglipModel"}

# Published checkpoints and their families (ColPali-family repos hold adapters, without a
# config.json of their own to read the family from).
KNOWN_MODELS = {
    "vidore/colqwen2-v1.0": "qwen2_vl",
    "vidore/colqwen2.5-v0.2": "qwen2_5_vl",
    "vidore/colpali-v1.3": "paligemma",
    "openai/clip-vit-base-patch32": "clip",
    "openai/clip-vit-large-patch14": "clip",
    "google/siglip-base-patch16-224": "siglip",
}


def model_family(model: str, families: dict) -> str:
    """The family of a checkpoint: from the table of known names, or from a local config.json."""
    family = KNOWN_MODELS.get(model)
    config = Path(model) / "config.json"
    if family is None and config.is_file():
        family = json.loads(config.read_text()).get("model_type")
    if family not in families:
        raise ModelUnavailable(
            f"{model!r}: unknown model family {family!r}; PageSight knows {', '.join(sorted(families))}. "
            "Give a known checkpoint name or a local folder whose config.json names one of these."
        )
    return family


class PageEncoder(ABC):
    """Pages to multi-vectors (late interaction); queries to multi-vectors in the same space."""

    spec: EncoderSpec

    @abstractmethod
    def encode_pages(self, images: list) -> list[np.ndarray]:
        """One (n_tokens, dim) float32 array per PIL image, padding rows removed."""

    @abstractmethod
    def encode_queries(self, texts: list[str]) -> list[np.ndarray]:
        """One (n_tokens, dim) float32 array per query."""


class ImageEncoder(ABC):
    """Images and text into one dense space (CLIP-style)."""

    spec: EncoderSpec

    @abstractmethod
    def encode_images(self, images: list) -> np.ndarray:
        """(n, dim) float32, L2-normalised."""

    @abstractmethod
    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised."""


class ColVisionEncoder(PageEncoder):
    """ColQwen2 / ColQwen2.5 / ColPali through colpali-engine."""

    def __init__(self, model: str, *, device: str = "auto", dtype: str = "auto", max_visual_tokens: int = 768,
                 batch_size: int = 2, revision: str | None = None):
        import torch

        try:
            import colpali_engine.models as cm
        except ImportError as e:
            raise ModelUnavailable("page encoders need colpali-engine: pip install colpali-engine") from e
        family = model_family(model, PAGE_FAMILIES)
        model_cls, processor_cls = (getattr(cm, name) for name in PAGE_FAMILIES[family])
        self.device = resolve_device(device)
        self.dtype = torch_dtype(dtype, self.device)
        try:
            # device_map, not .to(): ColPali's tied lm_head stays on the meta device under transformers 5,
            # and the retriever never uses it.
            self.model = model_cls.from_pretrained(
                model, dtype=self.dtype, device_map=self.device, local_files_only=True
            ).eval()
            extra = {"max_num_visual_tokens": max_visual_tokens} if family != "paligemma" else {}
            self.processor = processor_cls.from_pretrained(model, local_files_only=True, **extra)
        except OSError as e:
            raise ModelUnavailable.missing(model, e) from e
        self.batch_size = batch_size
        # PaliGemma's prefix attention reaches the pad tokens of a padded query batch, so a query's
        # vectors would depend on its neighbours: ColPali encodes queries one at a time.
        self.query_batch_size = 1 if family == "paligemma" else batch_size * 8
        self._torch = torch
        self.spec = EncoderSpec(name=model, revision=revision or revision_of(model), dim=int(self.model.dim))

    def _run(self, batch) -> list[np.ndarray]:
        torch = self._torch
        batch = batch.to(self.device)
        with torch.inference_mode():
            embeddings = self.model(**batch)  # (batch, n_tokens, dim), zero rows where padded
        mask = batch["attention_mask"].bool()
        return [e[m].float().cpu().numpy() for e, m in zip(embeddings, mask, strict=True)]

    def encode_pages(self, images: list) -> list[np.ndarray]:
        out = []
        for start in range(0, len(images), self.batch_size):
            out.extend(self._run(self.processor.process_images(images[start:start + self.batch_size])))
        return out

    def encode_queries(self, texts: list[str]) -> list[np.ndarray]:
        out = []
        for start in range(0, len(texts), self.query_batch_size):
            out.extend(self._run(self.processor.process_queries(texts[start:start + self.query_batch_size])))
        return out


class ClipImageEncoder(ImageEncoder):
    """CLIP or SigLIP through transformers: figure crops and whole pages, and text queries."""

    def __init__(self, model: str, *, device: str = "auto", batch_size: int = 16, revision: str | None = None):
        import torch
        import transformers

        family = model_family(model, IMAGE_FAMILIES)
        model_cls = getattr(transformers, IMAGE_FAMILIES[family])
        self.device = resolve_device(device)
        try:
            self.model = model_cls.from_pretrained(model, local_files_only=True).to(self.device).eval()
            self.processor = transformers.AutoProcessor.from_pretrained(model, local_files_only=True)
        except OSError as e:
            raise ModelUnavailable.missing(model, e) from e
        # SigLIP was trained on text padded to the full length; CLIP on the longest in the batch.
        self._padding = "max_length" if family == "siglip" else True
        self.batch_size = batch_size
        self._torch = torch
        self.spec = EncoderSpec(name=model, revision=revision or revision_of(model),
                                dim=int(self.model.config.projection_dim if family == "clip"
                                        else self.model.config.text_config.hidden_size))

    def _normalised(self, features) -> np.ndarray:
        features = getattr(features, "pooler_output", features)  # transformers 5 returns an output object
        features = features / features.norm(dim=-1, keepdim=True)
        return features.float().cpu().numpy()

    def encode_images(self, images: list) -> np.ndarray:
        torch = self._torch
        out = [np.zeros((0, self.spec.dim), dtype=np.float32)]
        for start in range(0, len(images), self.batch_size):
            batch = self.processor(images=[i.convert("RGB") for i in images[start:start + self.batch_size]],
                                   return_tensors="pt").to(self.device)
            with torch.inference_mode():
                out.append(self._normalised(self.model.get_image_features(**batch)))
        return np.concatenate(out)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        out = [np.zeros((0, self.spec.dim), dtype=np.float32)]
        for start in range(0, len(texts), self.batch_size):
            batch = self.processor(text=texts[start:start + self.batch_size], padding=self._padding,
                                   truncation=True, return_tensors="pt").to(self.device)
            with torch.inference_mode():
                out.append(self._normalised(self.model.get_text_features(**batch)))
        return np.concatenate(out)
