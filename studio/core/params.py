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
    """One round setting: its API name, its label on the page, and its bounds (None: the preset's)."""

    name: str
    label: str
    kind: str  # "whole" | "number" | "size" | "text" | "style" | "image" | "start"
    help: str = ""
    low: float | None = None
    high: float | None = None
    step: float | None = None


ROUND_SETTINGS: tuple[Setting, ...] = (
    Setting("count", "Candidates", "whole", "how many images a round renders",
            limits.MIN_CANDIDATES, limits.MAX_CANDIDATES, 1),
    Setting("steps", "Steps", "whole", "denoising steps: more is slower and usually finer",
            limits.MIN_STEPS, limits.MAX_STEPS, 1),
    Setting("size", "Size (px)", "size", "width and height, a multiple of 64", limits.MIN_SIZE, None,
            limits.SIZE_MULTIPLE),
    Setting("guidance", "Guidance", "number", "how closely the image follows the prompt",
            limits.MIN_GUIDANCE, limits.MAX_GUIDANCE, 0.5),
    Setting("seed", "Seed", "whole", f"{RANDOM_SEED} draws a new one each round; a fixed seed repeats a picture",
            RANDOM_SEED, limits.MAX_SEED, 1),
    Setting("style", "Style", "style", "a look applied to every prompt; it suggests steps and guidance"),
    Setting("negative", "Avoid (negative prompt)", "text", "added to what the refiner asks the model to avoid"),
    Setting("strength", "Strength", "number", "how far to move from a reference or a chosen candidate",
            limits.MIN_STRENGTH, limits.MAX_STRENGTH, 0.05),
    Setting("reference", "Reference image", "image", "an image to start from (PNG, JPEG or WebP)"),
    Setting("start_from", "Start from", "start", "a candidate to start from, as 'round.candidate' (e.g. '2.3')"),
)
SETTING_NAMES = tuple(s.name for s in ROUND_SETTINGS)


def default_settings(steps: int, size: int, guidance: float) -> dict[str, Any]:
    """Every setting's default, the preset's own where it has one."""
    return {"count": 4, "steps": steps, "size": size, "guidance": guidance, "seed": RANDOM_SEED, "style": "",
            "negative": "", "strength": 0.6, "reference": None, "start_from": ""}


def start_label(round_index: int, candidate: int) -> str:
    """The 'start_from' value naming a candidate (0-based in, 1-based out, as the designer counts)."""
    return f"{round_index + 1}.{candidate + 1}"
