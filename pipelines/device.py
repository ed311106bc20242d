"""Where models run and in which precision."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from pipelines.base import DTYPE_NAMES

DTYPES = {name: getattr(torch, name) for name in DTYPE_NAMES}


@dataclass(frozen=True)
class Placement:
    device: str
    dtype: torch.dtype


def best_placement(dtype: str = "auto", prefer: str | None = None) -> Placement:
    """The device, and `dtype` there: "auto" is bf16 on cuda (fp16 on cards without bf16), fp16 on Apple mps,
    and on the CPU bf16 where it has bf16 instructions (half the memory and faster: AVX512-BF16 or AMX),
    else fp32 (emulated half precision is slow)."""
    device = prefer or ("cuda" if torch.cuda.is_available()
                        else "mps" if torch.backends.mps.is_available() else "cpu")
    if dtype != "auto":
        if dtype not in DTYPES:
            raise ValueError(f"dtype is one of auto, {', '.join(DTYPES)}, not {dtype!r}.")
        return Placement(device, DTYPES[dtype])
    if device.startswith("cuda"):
        return Placement(device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    if device == "mps":
        return Placement(device, torch.float16)
    return Placement(device, torch.bfloat16 if cpu_has_bf16() else torch.float32)


def cpu_has_bf16() -> bool:
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def cuda_memory_gb() -> float | None:
    if not torch.cuda.is_available():
        return None
    return torch.cuda.get_device_properties(0).total_memory / 2**30
