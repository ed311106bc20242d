"""Small stand-ins for the model layer, through the engine's own `Models` interface.

Each wraps a real tiny model and changes one thing: it records what it was asked, pauses at a
moment the test chooses, adds a finding, or fails the way a real model can.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Callable

from pipelines.base import Critique, RefinedPrompt, RefineRequest

PAUSE_LIMIT_S = 20  # a paused model never waits forever, even when a test goes wrong


def same(model):
    return model


@dataclass
class SwappedModels:
    """The tiny registry, with any role passed through a wrapper before the engine gets it."""

    registry: object  # pipelines.registry.ModelRegistry
    wrap_refiner: Callable = same
    wrap_generator: Callable = same
    wrap_critic: Callable = same
    wrap_captioner: Callable = same

    @property
    def preset(self):
        return self.registry.preset

    def refiner(self):
        return self.wrap_refiner(self.registry.refiner())

    def generator(self):
        return self.wrap_generator(self.registry.generator())

    def critic(self):
        return self.wrap_critic(self.registry.critic())

    def captioner(self):
        return self.wrap_captioner(self.registry.captioner())

    def add_listener(self, listener) -> None:
        self.registry.add_listener(listener)

    def remove_listener(self, listener) -> None:
        self.registry.remove_listener(listener)


class Delegate:
    """Everything the wrapped model has, unless the subclass says otherwise."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)


class RecordingRefiner(Delegate):
    """Writes down every request before the real refiner answers it."""

    def __init__(self, inner, requests: list[RefineRequest]):
        super().__init__(inner)
        self.requests = requests

    def refine(self, request: RefineRequest, on_token=None) -> RefinedPrompt:
        self.requests.append(request)
        return self.inner.refine(request, on_token)


class PausingRefiner(Delegate):
    """Streams its first token, then waits until `go_on` is set."""

    def __init__(self, inner, paused: threading.Event, go_on: threading.Event):
        super().__init__(inner)
        self.paused, self.go_on = paused, go_on

    def refine(self, request, on_token=None):
        def token(piece: str) -> None:
            on_token(piece)
            if not self.paused.is_set():
                self.paused.set()
                self.go_on.wait(PAUSE_LIMIT_S)

        return self.inner.refine(request, token)


class PausingGenerator(Delegate):
    """Reports step 1, then waits until `go_on` is set."""

    def __init__(self, inner, paused: threading.Event, go_on: threading.Event):
        super().__init__(inner)
        self.paused, self.go_on = paused, go_on

    def render(self, request, on_step=None):
        def step(event) -> None:
            on_step(event)
            if event.step == 1:
                self.paused.set()
                self.go_on.wait(PAUSE_LIMIT_S)

        return self.inner.render(request, step)


class PausingCritic(Delegate):
    """Waits until `go_on` is set before the real critic starts."""

    def __init__(self, inner, go_on: threading.Event):
        super().__init__(inner)
        self.go_on = go_on

    def critique(self, images, request):
        self.go_on.wait(PAUSE_LIMIT_S)
        return self.inner.critique(images, request)


class CriticFindingMissing(Delegate):
    """The real critic, which also finds `item` missing from the first candidate.

    Tiny models answer the checklist questions with gibberish, so without this no round would
    ever report a failure for the refiner to read.
    """

    def __init__(self, inner, item: str):
        super().__init__(inner)
        self.item = item

    def critique(self, images, request) -> list[Critique]:
        critiques = self.inner.critique(images, request)
        return [replace(c, missing=c.missing + (self.item,)) if i == 0 else c for i, c in enumerate(critiques)]


class FailingGenerator(Delegate):
    """Loads fine, then `render` raises `error`."""

    def __init__(self, inner, error: BaseException):
        super().__init__(inner)
        self.error = error

    def render(self, request, on_step=None):
        raise self.error


def refuse_to_load(error: BaseException) -> Callable:
    """A wrapper that fails the way the registry does when a checkpoint cannot be loaded."""

    def wrap(_model):
        raise error

    return wrap
