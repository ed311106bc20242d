"""The in-process backend's concurrency policy: one device lock, and the out-of-memory retry.

Models in this process share one device and one allocator, and neither a diffusers pipeline nor its scheduler
is thread-safe: every model call holds the device lock, so two designers' rounds interleave call by call and
never collide. A remote backend has none of this: its server queues and batches (`pipelines/remote/`).
"""
from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Callable

from pipelines.oom import render_with_retry
from pipelines.zerogpu import gpu_task

if TYPE_CHECKING:
    from PIL.Image import Image

    from pipelines.base import RenderRequest, StepCallback

# The calls of each role that run a model (and so hold the device); anything else (a tokenizer, a name) does not.
MODEL_CALLS: dict[str, tuple[str, ...]] = {
    "refiner": ("refine", "complete", "complete_each"),
    "captioner": ("caption", "answer"),
    "scorer": ("similarity", "embed_images", "embed_texts"),
    "segmenter": ("segment",),
    "viewer": ("look",),
}


class Locked:
    """An in-process model whose model calls hold the device lock (on ZeroGPU: inside a GPU task); its other
    attributes are the model's own."""

    def __init__(self, inner, lock: threading.RLock, calls: tuple[str, ...]):
        self.inner = inner
        self._lock = lock
        self._calls = {name: self._locked(getattr(inner, name)) for name in calls}

    def _locked(self, call: Callable) -> Callable:
        on_gpu = gpu_task(call)

        @functools.wraps(call)
        def locked(*args, **kwargs):
            with self._lock:
                return on_gpu(*args, **kwargs)

        return locked

    def __getattr__(self, name: str):
        calls = self.__dict__.get("_calls", {})
        return calls[name] if name in calls else getattr(self.inner, name)


class LocalGenerator(Locked):
    """The in-process generator: a render holds the device; out of GPU memory, what the allocator caches is
    freed and the candidates are rendered again in two halves, still holding it (nothing else allocates
    between the freeing and the retry)."""

    def __init__(self, inner, lock: threading.RLock, free_memory: Callable[[], None]):
        super().__init__(inner, lock, ())
        self._render = gpu_task(lambda request, on_step: render_with_retry(inner, request, on_step, free_memory))

    def render(self, request: RenderRequest, on_step: StepCallback | None = None) -> list[Image]:
        with self._lock:
            return self._render(request, on_step)
