"""Where models run and in which precision."""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Placement:
    device: str
    dtype: torch.dtype


def best_placement(prefer: str | None = None) -> Placement:
    """cuda in bf16 (fp16 on cards without bf16), Apple mps in fp16, else the CPU in fp32."""
    device = prefer or ("cuda" if torch.cuda.is_available()
                        else "mps" if torch.backends.mps.is_available() else "cpu")
    if device.startswith("cuda"):
        return Placement(device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    if device == "mps":
        return Placement(device, torch.float16)
    return Placement(device, torch.float32)  # CPU half precision is slow and lossy


def cuda_memory_gb() -> float | None:
    if not torch.cuda.is_available():
        return None
    return torch.cuda.get_device_properties(0).total_memory / 2**30
