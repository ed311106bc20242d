"""What a running round reports, in order: typed values the UI renders and the API streams."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from studio.core.messages import Message
from studio.core.session import Round
from studio.core.texts import ENGINE

if TYPE_CHECKING:
    from PIL.Image import Image


@dataclass(frozen=True)
class RoundEvent:
    session_id: str
    round_index: int

    @property
    def note(self) -> Message:
        """What the event says, as a code and its arguments: the page says it in the reader's language."""
        raise NotImplementedError

    @property
    def message(self) -> str:
        """The note in English (API callers, logs)."""
        return self.note.text()


@dataclass(frozen=True)
class Started(RoundEvent):
    round: Round

    @property
    def note(self) -> Message:
        return Message("progress.started", {"round": self.round_index + 1})


@dataclass(frozen=True)
class Loading(RoundEvent):
    role: str
    model_id: str
    done: bool

    @property
    def note(self) -> Message:
        role = Message(f"role.{self.role}") if f"role.{self.role}" in ENGINE else self.role
        said = {"role": role, "model_id": self.model_id}
        return Message("progress.loaded" if self.done else "progress.loading", said)


@dataclass(frozen=True)
class Refining(RoundEvent):
    text: str  # the refiner's reply so far, streamed

    @property
    def note(self) -> Message:
        return Message("progress.refining")


@dataclass(frozen=True)
class Rendering(RoundEvent):
    step: int
    total: int
    previews: tuple[Image, ...] = ()

    @property
    def note(self) -> Message:
        return Message("progress.rendering", {"step": self.step, "total": self.total})


@dataclass(frozen=True)
class Critiquing(RoundEvent):
    count: int

    @property
    def note(self) -> Message:
        return Message("progress.critiquing", {"count": self.count})


@dataclass(frozen=True)
class Finished(RoundEvent):
    """The round ended: done, failed or interrupted. `round` is what the store now holds."""

    round: Round

    @property
    def note(self) -> Message:
        said = {"round": self.round_index + 1, "status": Message(f"status.{self.round.status.value}")}
        if self.round.error:
            return Message("progress.ended_because", {**said, "error": self.round.error})
        return Message("progress.ended", said)


@dataclass(frozen=True)
class Planning(RoundEvent):
    """The refiner is writing the checklist or proposing directions."""

    what: str  # "checklist" | "directions"

    @property
    def note(self) -> Message:
        return Message(f"progress.{self.what}")


@dataclass(frozen=True)
class AutoProgress(RoundEvent):
    number: int  # 1-based round of the auto run
    total: int
    best_score: float | None

    @property
    def note(self) -> Message:
        said = {"number": self.number, "total": self.total}
        if self.best_score is None:
            return Message("progress.auto_round", said)
        return Message("progress.auto_round_best", {**said, "best": self.best_score})


@dataclass(frozen=True)
class AutoStopped(RoundEvent):
    why: Message
    best_score: float | None

    @property
    def reason(self) -> str:
        """Why the run stopped, in English."""
        return self.why.text()

    @property
    def note(self) -> Message:
        return Message("progress.auto_stopped", {"reason": self.why})


def throttled(events: Iterator[RoundEvent], interval: float = 0.1,
              clock: Callable[[], float] = time.monotonic) -> Iterator[RoundEvent]:
    """`events` with streamed `Refining` events at most one per `interval` seconds (about ten a second reads as
    live; one per token re-sends the conversation a hundred times). Each carries the whole reply so far, so a
    skipped one loses nothing, and the last one held back always comes before the next other event.
    Closing this closes `events`: a caller that leaves still stops the round."""
    held, last = None, -math.inf
    try:
        for event in events:
            if isinstance(event, Refining):
                now = clock()
                if now - last < interval:
                    held = event
                    continue
                held, last = None, now
            elif held is not None:
                yield held
                held = None
            yield event
        if held is not None:
            yield held
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
