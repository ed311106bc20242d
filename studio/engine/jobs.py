"""A round stored as running (`RoundJob`), the flag that stops it and why (`StopFlag`), and what its stages leave
for each other while it runs (`RoundState`): the worker's values (worker.py)."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from PIL import Image

from pipelines.base import Interrupted, RenderRequest, StepEvent
from studio.core.messages import Message
from studio.core.session import Candidate, Round, Session
from studio.engine.events import Loading, Refining, Rendering, RoundEvent
from studio.engine.plans import ImageWork
from studio.services.styles import Style


class StopFlag(threading.Event):
    """A round's Stop, and why: the designer pressed Stop (or left), or the studio is shutting down."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = Message("round.stopped")

    def stop(self, reason: Message) -> None:
        if not self.is_set():  # the first reason stands
            self.reason = reason
        self.set()


@dataclass
class RoundJob:
    """A round stored as running: what to do, and the flag that stops it."""

    session: Session  # as it was when the round was saved as running
    round: Round
    request: RenderRequest  # prompt still empty: the refiner writes it
    cancel: StopFlag
    style: Style | None = None
    directions: int = 0  # > 0: one candidate per creative direction
    work: ImageWork | None = None  # image work: its prompt is decided, its sources named (engine/edits.py)


@dataclass
class RoundState:
    """One round in flight: what each stage leaves for the next, and the callbacks the models report to."""

    job: RoundJob
    emit: Callable[[RoundEvent], None]
    session: Session
    round: Round
    timings: dict[str, float] = field(default_factory=dict)
    streamed: list[str] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict)  # role -> the model this round uses
    directions: tuple = ()
    request: RenderRequest | None = None  # with the refined prompt
    images: list[Image.Image] = field(default_factory=list)
    candidates: tuple[Candidate, ...] = ()

    @property
    def sid(self) -> str:
        return self.session.id

    @property
    def index(self) -> int:
        return self.round.index

    def check_stop(self) -> None:
        if self.job.cancel.is_set():
            raise Interrupted()

    def on_load(self, event) -> None:
        if event.state in ("loading", "loaded"):
            self.emit(Loading(self.sid, self.index, event.role, event.model_id, event.state == "loaded"))

    def on_token(self, piece: str) -> None:
        self.check_stop()
        self.streamed.append(piece)
        self.emit(Refining(self.sid, self.index, "".join(self.streamed)))

    def on_step(self, step: StepEvent) -> None:
        self.check_stop()
        self.emit(Rendering(self.sid, self.index, step.step, step.total, step.previews))
