"""ZeroGPU on a Hugging Face Space: GPU work runs inside `@spaces.GPU`; everywhere else, as it is.

(First version by the lead so `pipelines/inprocess.py` can call it; helper D refines it. Keep the signature
`gpu_task(fn, seconds=...)`: inprocess.py calls `gpu_task(call)`.)
"""
from __future__ import annotations

import os
from typing import Callable

GPU_SECONDS = 60  # what one model call may hold a ZeroGPU device for


def on_zero_gpu() -> bool:
    return os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "true")


def gpu_task(fn: Callable, seconds: int = GPU_SECONDS) -> Callable:
    """`fn` as a ZeroGPU task on a ZeroGPU Space, else `fn` itself."""
    if not on_zero_gpu():
        return fn
    import spaces

    return spaces.GPU(fn, duration=seconds)
