"""Where a model runs and in what precision: shared by the encoders (index) and the local answerer
(generate). torch is imported by the call, never by the import of this module."""

from __future__ import annotations

__all__ = ["resolve_device", "torch_dtype"]


def resolve_device(device: str) -> str:
    """"auto" as the best device present: cuda, then mps, then cpu."""
    import torch

    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def torch_dtype(dtype: str, device: str):
    import torch

    if dtype == "auto":
        # bf16 where the hardware does it well; float32 on the CPU, where bf16 matmuls are slow or missing
        return torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[dtype]
