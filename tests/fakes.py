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
    wrap_segmenter: Callable = same

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

    def segmenter(self):
        return self.wrap_segmenter(self.registry.segmenter())

    def upscaler(self):
        return self.registry.upscaler()

    def scorer(self):
        return self.registry.scorer()

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
    """Reports step 1, then waits until `go_on` is set: in every render, or only in its `number`-th."""

    def __init__(self, inner, paused: threading.Event, go_on: threading.Event, number: int | None = None):
        super().__init__(inner)
        self.paused, self.go_on, self.number = paused, go_on, number
        self.calls = 0

    def render(self, request, on_step=None):
        self.calls += 1
        if self.number not in (None, self.calls):
            return self.inner.render(request, on_step)

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


# ---------------------------------------------------------------- the design loop
class RecordingGenerator(Delegate):
    """Writes down every render request before the real generator renders it."""

    def __init__(self, inner, requests: list):
        super().__init__(inner)
        self.requests = requests

    def render(self, request, on_step=None):
        self.requests.append(request)
        return self.inner.render(request, on_step)


class PosterGenerator(Delegate):
    """Renders no noise but posters with words printed on them, one wording per candidate (cycled).

    Tiny diffusion models draw noise; a poster printed by PIL is what a real model that spells
    well (or badly) would give the text reader.
    """

    def __init__(self, inner, wordings: tuple[str, ...]):
        super().__init__(inner)
        self.wordings = wordings

    def render(self, request, on_step=None):
        from PIL import Image, ImageDraw, ImageFont

        posters = []
        for k, _seed in enumerate(request.seeds):
            image = Image.new("RGB", (640, 240), "navy")
            ImageDraw.Draw(image).text((30, 80), self.wordings[k % len(self.wordings)], fill="gold",
                                       font=ImageFont.load_default(size=64))
            posters.append(image)
        return posters


class ScriptedRefiner(Delegate):
    """A refiner whose prompt-writing turn replies from a script: the n-th gets replies[n] (the last repeats).

    `refine` is the real refiner's: the scripted reply is parsed and fitted as a model's would be.
    Every other turn (checklist, directions) is still the wrapped model's.
    """

    def __init__(self, inner, replies: tuple[str, ...]):
        super().__init__(inner)
        self.replies = replies
        self.asked: list[str] = []  # the user message of each prompt-writing turn

    def complete(self, system: str, user: str, max_new_tokens: int, on_token=None) -> str:
        from pipelines.prompting import SYSTEM_PROMPT

        if system != SYSTEM_PROMPT:
            return self.inner.complete(system, user, max_new_tokens, on_token)
        reply = self.replies[min(len(self.asked), len(self.replies) - 1)]
        self.asked.append(user)
        if on_token is not None:
            on_token(reply)
        return reply

    def refine(self, request: RefineRequest, on_token=None) -> RefinedPrompt:
        from pipelines.refiner import ChatRefiner

        return ChatRefiner.refine(self, request, on_token)


class RecordingCritic(Delegate):
    """Writes down every critique request before the wrapped critic answers it."""

    def __init__(self, inner, requests: list):
        super().__init__(inner)
        self.requests = requests

    def critique(self, images, request):
        self.requests.append(request)
        return self.inner.critique(images, request)


class ScriptedCritic:
    """A critic with no model: `scores(call, count)` gives the n-th call's scores (call counts from 1),
    and every checklist item gets `verdict`. For rules that read scores: auto-rounds, agreement."""

    def __init__(self, scores: Callable[[int, int], list[float]], verdict: str = "fail"):
        self.scores, self.verdict = scores, verdict
        self.calls = 0

    def critique(self, images, request) -> list[Critique]:
        from pipelines.base import ItemCheck
        from pipelines.critic import as_item

        self.calls += 1
        items = [as_item(i) for i in request.checklist]
        checks = tuple(ItemCheck(i.text, i.kind, self.verdict, "scripted") for i in items)
        passed = tuple(c.item for c in checks if c.verdict == "pass")
        failed = tuple(c.item for c in checks if c.verdict == "fail")
        return [Critique(caption=f"scripted candidate {k + 1}", score=float(score), similarity=0.2, matches=passed,
                         missing=failed, summary="scripted", checks=checks)
                for k, score in enumerate(self.scores(self.calls, len(images)))]


class RecordingCaptioner(Delegate):
    """The wrapped captioner, noting every caption and VQA call it gets."""

    def __init__(self, inner, caption_calls: list, answer_calls: list):
        super().__init__(inner)
        self.caption_calls, self.answer_calls = caption_calls, answer_calls

    def caption(self, images):
        self.caption_calls.append(list(images))
        return self.inner.caption(images)

    def answer(self, images, questions):
        self.answer_calls.append((list(images), list(questions)))
        return self.inner.answer(images, questions)


class ScriptedCaptioner:
    """A VQA model we can predict: `answer(place, question)` answers each question, where `place` is
    the image's position in the batch (images are told apart by identity, in order of first appearance)."""

    model_id = "scripted"

    def __init__(self, answer: Callable[[int, str], str]):
        self._answer = answer

    def caption(self, images) -> list[str]:
        return ["a navy poster"] * len(images)

    def answer(self, images, questions) -> list[str]:
        places: dict[int, int] = {}
        for image in images:
            places.setdefault(id(image), len(places))
        return [self._answer(places[id(image)], q) for image, q in zip(images, questions)]


class FixedScorer:
    """Every image is exactly as close to the brief: only the checks and preferences rank them."""

    model_id = "fixed"

    def __init__(self, cosine: float = 0.3):
        self.cosine = cosine

    def similarity(self, images, text: str) -> list[float]:
        return [self.cosine] * len(images)

    def embed_images(self, images) -> list[list[float]]:
        return [[1.0, 0.0]] * len(images)

    def embed_texts(self, texts) -> list[list[float]]:
        return [[1.0, 0.0]] * len(texts)


def a_bug(*_args, **_kwargs):
    """What a bug looks like from the door: once, an empty session id and a list for a style made the style's note
    look the list up as a key, and the API caller read "unhashable type: 'list'"."""
    raise TypeError("unhashable type: 'list'")


class FixedSegmenter:
    """Finds every phrase in the same place (a box of the image, as a fraction of its sides), or nowhere."""

    model_id = "fixed/segmenter"

    def __init__(self, box: tuple[float, float, float, float] | None, asked: list | None = None):
        self.box, self.asked = box, asked if asked is not None else []

    def segment(self, image, phrases):
        from PIL import Image

        from pipelines.base import Segment

        self.asked.append(list(phrases))
        mask = Image.new("L", image.size, 0)
        if self.box is not None:
            w, h = image.size
            left, top, right, bottom = self.box
            mask.paste(255, (int(left * w), int(top * h), int(right * w), int(bottom * h)))
        return [Segment(mask, self.box is not None, 0.9 if self.box else 0.1) for _ in phrases]

