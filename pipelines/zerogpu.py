"""ZeroGPU on a Hugging Face Space: each model call runs inside `@spaces.GPU`; everywhere else, as it is.

What `spaces` 0.51.3 does on ZeroGPU (read in its source: spaces/zero/wrappers.py, decorator.py, __init__.py) and
what that asks of us:
- The decorated function runs in a *forked child process* that holds the GPU; the caller's thread blocks meanwhile.
  Any thread may call it. Its arguments and its results are pickled across; the function itself and the models it
  reaches are the child's copy of this process's memory at the fork.
- So a progress callback (a designer's `on_step`, `on_token`: closures over queues and locks) cannot be passed: it
  does not pickle, and called in the child it would reach nobody. A generator function can stream, though: each
  value it yields is pickled back as it comes. `gpu_task` therefore runs `fn` in the child beside a relay that
  yields each callback's arguments, and calls the real callback here, in the caller's thread. When that callback
  raises (`Interrupted`: the designer pressed Stop), closing the stream sets the child's stop event and `fn`
  meets `Interrupted` at its next callback, as it would in this process.
- An exception other than `gr.Error` comes back as "ZeroGPU worker error" with only its class name: the relay sends
  `fn`'s own exception back as a value, so `ModelUnavailable`, `torch.OutOfMemoryError` and `ValueError` arrive as
  themselves, with their messages.
- `spaces.GPU` must have wrapped a task before `spaces`' startup (`startup()` below): that is when it tells
  ZeroGPU the Space has GPU functions and packs the weights already placed on "cuda". spaces keeps one child per
  task and moves every weight to the GPU when it starts one: every model call here shares ONE task, which finds
  the call by a key in its copy of this memory. So wrap each model call once, when its model loads, before the
  child is forked (the first call): a call wrapped later is not in that child.
- Gradio's request (its `X-IP-Token` header says whose ZeroGPU quota a call spends) is read from a context variable:
  a thread started with `threading.Thread` does not see it unless it was started in `contextvars.copy_context()`.
"""
from __future__ import annotations

import functools
import os
import pickle
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Generator, Iterator

from pipelines.base import Interrupted, ModelUnavailable

GPU_SECONDS = 60  # what one model call may hold a ZeroGPU device for (spaces' own default)

# What crosses from the child, one tuple per item: a callback's call, then the result or the exception.
EVENT, RETURNED, RAISED = "event", "returned", "raised"


def on_zero_gpu() -> bool:
    """True on a ZeroGPU Space (the platform sets SPACES_ZERO_GPU), where `spaces` takes over CUDA."""
    return os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")


def activate() -> None:
    """On ZeroGPU, import `spaces` now: it must patch torch before anything asks torch about CUDA (the preset's
    `auto` choice, a model's placement), and its patch holds on the importing thread only, so models must load on
    this thread too. Elsewhere: nothing."""
    if on_zero_gpu():
        import spaces  # noqa: F401  (the import is the point)


def startup() -> None:
    """What `gr.Blocks.launch` would run on ZeroGPU (the studio serves through uvicorn, not `launch`): pack the
    weights placed on "cuda" so far and report the GPU tasks to ZeroGPU. Call it after the models are loaded and
    wrapped, before serving. Elsewhere: nothing."""
    if not on_zero_gpu():
        return
    from spaces import zero

    report = getattr(zero, "startup", None)  # defined by spaces only when it was imported on ZeroGPU
    if report is None:
        raise RuntimeError("`spaces` was imported before SPACES_ZERO_GPU was set: call zerogpu.activate() first.")
    report()


# Every model call wrapped so far, by key: the forked child finds the function here, in its copy of this memory.
_CALLS: dict[int, tuple[Callable, int]] = {}
_SHARED: list[Callable] = []  # the one spaces.GPU task, made at the first wrap
_WRAPPING = threading.Lock()


def gpu_task(fn: Callable, seconds: int = GPU_SECONDS) -> Callable:
    """`fn` as a ZeroGPU task on a ZeroGPU Space (its callable arguments relayed, see the module's docstring), else
    `fn` itself. A call may hold the GPU `seconds`; past them ZeroGPU may abort it, and a visitor's quota must
    have them left. Wrap once per model call, before `startup()`."""
    if not on_zero_gpu():
        return fn
    with _WRAPPING:
        key = len(_CALLS)
        _CALLS[key] = (fn, seconds)
        task = _shared_task()
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "a model call")

    @functools.wraps(fn)
    def on_gpu(*args, **kwargs):
        args, kwargs, callbacks = portable_arguments(args, kwargs)
        return drive(task(key, args, kwargs), callbacks, name)

    on_gpu.gpu = task  # what spaces.GPU made: tests and logs can tell a wrapped call from a plain one
    return on_gpu


def _shared_task() -> Callable:
    """One spaces.GPU task for every model call: spaces keeps one child process per task and, when it starts one,
    moves every weight to its GPU; a task per call would do that once per role (ten times ~16 GB for turbo)."""
    if not _SHARED:
        import spaces

        _SHARED.append(spaces.GPU(run_on_gpu, duration=lambda key, args, kwargs: _CALLS[key][1]))
    return _SHARED[0]


def run_on_gpu(key: int, args: tuple, kwargs: dict) -> Generator[tuple, None, None]:
    """The child's side of a call: the wrapped function by its key, streamed."""
    if key not in _CALLS:  # wrapped after this child was forked
        yield RAISED, ModelUnavailable("This model was set up after the GPU worker started: restart the Space.")
        return
    yield from _streamed(_CALLS[key][0])(args, kwargs)


@dataclass(frozen=True)
class Callback:
    """Stands for a callable argument on the way to the child, which calls a relay in its place."""

    slot: int


def portable_arguments(args: tuple, kwargs: dict) -> tuple[tuple, dict, dict[int, Callable]]:
    """`args` and `kwargs` with each callable replaced by a `Callback`, and the callables by slot."""
    callbacks: dict[int, Callable] = {}

    def portable(value):
        if not callable(value):
            return value
        callbacks[len(callbacks)] = value
        return Callback(len(callbacks) - 1)

    return tuple(portable(a) for a in args), {k: portable(v) for k, v in kwargs.items()}, callbacks


def _streamed(fn: Callable) -> Callable[[tuple, dict], Iterator[tuple]]:
    """The child's side: runs `fn` on a thread of its own, with relays for its callbacks, and yields what crosses
    back. Closing the stream (the caller stopped) makes the next relayed callback raise `Interrupted`."""

    def run_streamed(args: tuple, kwargs: dict) -> Generator[tuple, None, None]:
        items: queue.SimpleQueue = queue.SimpleQueue()
        stopped = threading.Event()

        def relay(value):
            if not isinstance(value, Callback):
                return value

            def forward(*a, **k):
                if stopped.is_set():
                    raise Interrupted("stopped while on the GPU")
                items.put((EVENT, value.slot, a, k))

            return forward

        def run() -> None:
            try:
                items.put((RETURNED, fn(*(relay(a) for a in args), **{k: relay(v) for k, v in kwargs.items()})))
            except BaseException as err:  # every failure crosses back, to be raised in the caller
                items.put((RAISED, portable_error(err)))

        worker = threading.Thread(target=run, daemon=True, name="gpu-task")
        worker.start()
        try:
            while True:
                item = items.get()
                yield item
                if item[0] != EVENT:
                    return
        finally:
            stopped.set()
            worker.join()  # the GPU is released only once `fn` has stopped using it

    run_streamed.__name__ = run_streamed.__qualname__ = getattr(fn, "__name__", "model_call")
    return run_streamed


def portable_error(err: BaseException) -> BaseException:
    """`err` if it pickles (most do), else a RuntimeError that keeps its class name and message."""
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:
        return RuntimeError(f"{type(err).__name__}: {err}")


def drive(stream: Iterator[tuple], callbacks: dict[int, Callable], name: str) -> Any:
    """The caller's side: calls each relayed callback here, returns the result or raises `fn`'s exception. A
    failure of ZeroGPU itself (no GPU free, quota spent, the child died) becomes `ModelUnavailable`."""
    try:
        while (item := _next(stream, name)) is not None and item[0] == EVENT:
            callbacks[item[1]](*item[2], **item[3])  # may raise Interrupted: `finally` closes the stream
        if item is None:
            raise ModelUnavailable(f"ZeroGPU ended {name} without a result: try the round again.")
        while _next(stream, name) is not None:  # to its end: the GPU is released as done, not as stopped
            pass
        if item[0] == RAISED:
            raise item[1]
        return item[1]
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def _next(stream: Iterator[tuple], name: str) -> tuple | None:
    try:
        return next(stream)
    except StopIteration:
        return None
    except Exception as err:
        raise _unavailable(name, err) from err


def _unavailable(name: str, err: Exception) -> ModelUnavailable:
    message = str(getattr(err, "message", "") or err).strip() or type(err).__name__
    return ModelUnavailable(f"ZeroGPU could not run {name}: {message} Wait a minute and try the round again; "
                            "signed in with Hugging Face, your own ZeroGPU quota applies.")
