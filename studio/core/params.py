"""Round settings: declared once, here. Pure: no I/O, no gradio.

`ROUND_SETTINGS` is the one list every round endpoint shares (`/run_round`, `/run_auto`, `/inspire`, and those to
come): the page builds one control per entry, the API's parameters are these names, in this order, each with a
default, and the engine turns the values into `RoundParams` (`round_params`). A setting is named as the designer
and the docs name it, never by a local abbreviation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.core import limits

RANDOM_SEED = -1  # the seed policy: -1 draws a fresh seed each round (as A1111 and Fooocus do); 0 and up repeat


@dataclass(frozen=True)
class RoundParams:
    """The engine's view of one round's settings; None means the preset's default."""

    count: int = 4
    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    seed: int | None = None  # first seed; None draws a random one
    negative: str = ""  # added to the refiner's negative prompt
    reference: str | None = None  # an uploaded image file to start from (image-to-image)
    mask: str | None = None  # an uploaded mask, white = redraw (inpainting; needs a start image)
    from_candidate: tuple[int, int] | None = None  # (round, candidate), 0-based, to start from
    strength: float = 0.6
    style: str = ""  # a style preset's key (studio.services.styles), applied to the refined prompt
    directions: int = 0  # > 0: the refiner proposes this many directions, one candidate each


@dataclass(frozen=True)
class Setting:
    """One round setting: its API name, its kind of control, and its bounds (None: the preset's). Its label and
    help, in English and Chinese, are the page's words (studio/core/texts.py FIELDS, studio/ui/locales.py)."""

    name: str
    kind: str  # "whole" | "number" | "size" | "text" | "style" | "image" | "start"
    low: float | None = None
    high: float | None = None
    step: float | None = None


ROUND_SETTINGS: tuple[Setting, ...] = (
    Setting("count", "whole", limits.MIN_CANDIDATES, limits.MAX_CANDIDATES, 1),
    Setting("steps", "whole", limits.MIN_STEPS, limits.MAX_STEPS, 1),
    Setting("size", "size", limits.MIN_SIZE, None, limits.SIZE_MULTIPLE),
    Setting("guidance", "number", limits.MIN_GUIDANCE, limits.MAX_GUIDANCE, 0.5),
    Setting("seed", "whole", RANDOM_SEED, limits.MAX_SEED, 1),
    Setting("style", "style"),
    Setting("negative", "text"),
    Setting("strength", "number", limits.MIN_STRENGTH, limits.MAX_STRENGTH, 0.05),
    Setting("reference", "image"),
    Setting("start_from", "start"),
)
SETTING_NAMES = tuple(s.name for s in ROUND_SETTINGS)


def default_settings(steps: int, size: int, guidance: float) -> dict[str, Any]:
    """Every setting's default, the preset's own where it has one."""
    return {"count": 4, "steps": steps, "size": size, "guidance": guidance, "seed": RANDOM_SEED, "style": "",
            "negative": "", "strength": 0.6, "reference": None, "start_from": ""}


def start_label(round_index: int, candidate: int) -> str:
    """The 'start_from' value naming a candidate (0-based in, 1-based out, as the designer counts)."""
    return f"{round_index + 1}.{candidate + 1}"
