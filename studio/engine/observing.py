"""What a studio tells its observers (operations: metrics, alerts), as records; never what a person reads.

`Studio.observe(listener)` adds a listener; it hears each numbered stage of a round as it ends (`StageTimed`, from
the worker), each round's end (the `Finished` event the caller gets too, told first), each refusal the page or the
API made (`Refused`, by the engine's message code) and each unexpected error an event met (`EventFailed`, with the
reference the person was given). A listener that fails is logged and never fails a round or an event.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageTimed:
    """One stage of a round ended (done or not): its name as the worker times it, and how long it took."""

    stage: str  # "load" | "checklist" | "directions" | "refine" | "render" | "critique" | "embed"
    seconds: float


@dataclass(frozen=True)
class Refused:
    """An action was refused at the page's or the API's door: the refusal's code (e.g. "text.too_long")."""

    code: str


@dataclass(frozen=True)
class EventFailed:
    """An event met an error that is not a refusal: logged with its traceback under `ref`."""

    event: str  # the event function's name (its API name, or page_...)
    ref: str


class Observers:
    """The listeners of one studio."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[Any], None]] = []

    def add(self, listener: Callable[[Any], None]) -> None:
        self._listeners.append(listener)

    def report(self, record: Any) -> None:
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:  # operations must never break a round: logged, with its traceback
                log.exception("an observer failed on %r", record)
