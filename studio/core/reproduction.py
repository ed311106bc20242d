"""What a reproduction found, as data: whether the pixels came back, and what rendered them then and now.

Pure: no I/O, no torch, no gradio. The engine (studio/engine/reproduce.py) renders and measures; the page says the
report's messages in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass

from studio.core.messages import Message

# What decides a render's pixels besides its recipe, as a round's `RenderParams.environment` records it.
ENVIRONMENT_FIELDS = ("preset", "device", "dtype", "torch", "diffusers", "transformers")


@dataclass(frozen=True)
class EnvironmentChange:
    field: str  # one of ENVIRONMENT_FIELDS
    then: str | None  # None: not recorded (rounds stored before schema 5 kept no environment)
    now: str


@dataclass(frozen=True)
class ReproductionReport:
    identical: bool  # every pixel the same, and the same size
    differing_pixels: int  # pixels where any channel differs (all of them when the sizes differ)
    largest_difference: int  # the largest difference of one channel, 0..255
    pixels: int  # of the stored image
    rendered: int  # candidates rendered to get this one: its whole batch (see reproduce.py for why)
    changes: tuple[EnvironmentChange, ...] = ()


def environment_changes(preset_then: str, then: dict[str, str], now: dict[str, str]) -> tuple[EnvironmentChange, ...]:
    """Each field of what renders now that differs from what rendered then. The preset was always recorded (the
    round's params); the rest only from schema 5 on: an empty `then` leaves each of them "not recorded"."""
    recorded = {**then, "preset": then.get("preset", preset_then)}
    return tuple(EnvironmentChange(name, recorded.get(name), now.get(name, ""))
                 for name in ENVIRONMENT_FIELDS if recorded.get(name) != now.get(name, ""))


def report_messages(report: ReproductionReport) -> tuple[Message, ...]:
    """The report as the page says it: the verdict, how it was rendered, then each change of environment."""
    if report.identical:
        verdict = Message("reproduce.identical", {"pixels": report.pixels})
    else:
        verdict = Message("reproduce.differs", {"count": report.differing_pixels, "pixels": report.pixels,
                                                "largest": report.largest_difference})
    how = (Message("reproduce.batch", {"count": report.rendered}),) if report.rendered > 1 else ()
    changes = tuple(
        Message("reproduce.not_recorded", {"what": Message(f"reproduce.field.{c.field}"), "now": c.now})
        if c.then is None else
        Message("reproduce.changed", {"what": Message(f"reproduce.field.{c.field}"), "then": c.then, "now": c.now})
        for c in report.changes)
    same = (Message("reproduce.same_environment"),) if not report.changes else ()
    return (verdict, *how, *changes, *same)
