"""The out-of-memory policy of rendering: one batched call; out of GPU memory, free what is cached and
try once more in two halves. Nothing here imports torch: the error is known by its class name."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from pipelines.base import Generator, RenderRequest, StepCallback

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)


class OneCandidateTooBig(RuntimeError):
    """Out of GPU memory with nothing left to split: the message says what to change."""


def is_out_of_memory(err: BaseException) -> bool:
    return type(err).__name__ == "OutOfMemoryError"  # torch.OutOfMemoryError, without importing torch here


def render_with_retry(generator: Generator, request: RenderRequest, on_step: StepCallback | None,
                      free_memory: Callable[[], None]) -> list[Image]:
    """All candidates of `request`; out of GPU memory, `free_memory()` and render them again in two batches."""
    try:
        return generator.render(request, on_step)
    except Exception as err:
        if not is_out_of_memory(err):
            raise
        free_memory()
        if len(request.seeds) < 2:
            raise OneCandidateTooBig("The GPU ran out of memory rendering one candidate. Render a smaller "
                                     "size or pick a lighter preset; your earlier rounds are safe.") from err
        log.warning("out of GPU memory rendering %d candidates; retrying in two batches", len(request.seeds))
    half = (len(request.seeds) + 1) // 2
    images = []
    for part in (slice(0, half), slice(half, None)):
        images += generator.render(replace(request, seeds=request.seeds[part], prompts=request.prompts[part]),
                                   on_step)
    return images
