"""What a running round reports, in order: typed values the UI renders and the API streams."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from studio.core.session import Round

if TYPE_CHECKING:
    from PIL.Image import Image


@dataclass(frozen=True)
class RoundEvent:
    session_id: str
    round_index: int

    @property
    def message(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Started(RoundEvent):
    round: Round

    @property
    def message(self) -> str:
        return f"Round {self.round_index + 1} started."


@dataclass(frozen=True)
class Loading(RoundEvent):
    role: str
    model_id: str
    done: bool

    @property
    def message(self) -> str:
        return f"{'Loaded' if self.done else 'Loading'} the {self.role} ({self.model_id})" + ("." if self.done else "...")


@dataclass(frozen=True)
class Refining(RoundEvent):
    text: str  # the refiner's reply so far, streamed

    @property
    def message(self) -> str:
        return "Writing the prompt..."


@dataclass(frozen=True)
class Rendering(RoundEvent):
    step: int
    total: int
    previews: tuple[Image, ...] = ()

    @property
    def message(self) -> str:
        return f"Rendering: step {self.step}/{self.total}"


@dataclass(frozen=True)
class Critiquing(RoundEvent):
    count: int

    @property
    def message(self) -> str:
        return f"Critiquing {self.count} candidates..."


@dataclass(frozen=True)
class Finished(RoundEvent):
    """The round ended: done, failed or interrupted. `round` is what the store now holds."""

    round: Round

    @property
    def message(self) -> str:
        status = self.round.status.value
        return f"Round {self.round_index + 1} {status}" + (f": {self.round.error}" if self.round.error else ".")


@dataclass(frozen=True)
class Planning(RoundEvent):
    """The refiner is writing the checklist or proposing directions."""

    what: str  # "checklist" | "directions"

    @property
    def message(self) -> str:
        return "Turning the brief into a checklist..." if self.what == "checklist" else "Proposing directions..."


@dataclass(frozen=True)
class AutoProgress(RoundEvent):
    number: int  # 1-based round of the auto run
    total: int
    best_score: float | None

    @property
    def message(self) -> str:
        best = f", best score so far {self.best_score:.0f}" if self.best_score is not None else ""
        return f"Auto-round {self.number}/{self.total}{best}"


@dataclass(frozen=True)
class AutoStopped(RoundEvent):
    reason: str
    best_score: float | None

    @property
    def message(self) -> str:
        return f"Auto-rounds stopped: {self.reason}."


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
