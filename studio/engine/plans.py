"""A round, decided: what the worker renders, from what, continuing which round. Values only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from pipelines.base import RenderRequest
from studio.core.messages import Message
from studio.core.session import RoundKind
from studio.services.styles import Style


@dataclass(frozen=True, eq=False)
class ImageWork:
    """Work on stored candidates (engine/edits.py): its prompt is decided before the round, not by the refiner."""

    kind: RoundKind
    prompt: str  # what the region, the variation or the enlarged image shows
    sources: tuple[tuple[int, int], ...]  # the (round, candidate) pairs it works on, 0-based
    images: tuple[Image.Image, ...]  # their pixels, in the same order
    keep: tuple[str, ...] = ()  # phrases the fitted prompt must keep (the designer's words, the item fixed)
    negative: tuple[str, ...] = ()  # added to the negative prompt (an avoid item being fixed)
    factor: int = 0  # upscale
    prompts: tuple[str, ...] = ()  # upscale: each source's own prompt, in order
    translate: str = ""  # the designer's words in `prompt`, to put in the generator's language first (an edit's)
    variation: str = ""  # vary: "subtle" | "strong"


@dataclass(frozen=True)
class StyleImage:
    """The session's style reference as a round uses it."""

    image: Image.Image
    path: str  # stored, relative to the data folder
    strength: float


@dataclass(frozen=True, eq=False)
class RoundPlan:
    """One round, checked and decided: what the worker renders, from what, continuing which round."""

    session_id: str
    kind: str  # "round" | "directions" | "auto"
    message: str
    request: RenderRequest  # seeds chosen; the prompt is still empty: the refiner writes it
    start_image: Image.Image | None = None
    mask: Image.Image | None = None
    start_from: tuple[int, int] | None = None  # (round, candidate), 0-based
    parent: int | None = None  # the start candidate's round; None: the last done round when it is stored
    style: Style | None = None
    directions: int = 0  # > 0: one candidate per creative direction
    settings: dict[str, Any] | None = None  # the designer's settings, kept with the session when it starts
    work: ImageWork | None = None  # image work (edit, fix, vary, upscale)
    style_image: StyleImage | None = None
    notes: tuple[Message, ...] = ()  # what was changed on the way ("the mask was resized")
