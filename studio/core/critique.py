"""The checklist and the critic's findings, as the studio stores them. Pure: no I/O, no torch, no gradio.

These are the studio's own types, not the model layer's: pipelines.base has classes of the same
fields for its requests and results, and the engine's worker converts at the boundary, so a
change in the model layer never changes what is stored.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChecklistItem:
    """One atomic, checkable requirement of the brief."""

    text: str  # "navy and gold palette", "a saxophone", "says JAZZ NIGHT", "no people"
    kind: str = "visual"  # "visual": shown; "text": these words are written in the image; "avoid": not shown
    pinned: bool = False  # a pinned item stays word for word in every prompt
    quote: str = ""  # for "text" items: the exact words (checked by OCR)


@dataclass(frozen=True)
class ItemCheck:
    item: str
    kind: str
    verdict: str  # "pass" | "fail" | "unsure"
    evidence: str = ""  # the VQA answer, or for a text item what OCR read ("JAZZ NIGT")
    reading: str = ""  # text items: "exact" | "near" | "missing" | "unread" (no reader); "" in rows before it


@dataclass(frozen=True)
class Critique:
    """What one candidate shows and how far it is from the brief."""

    caption: str
    score: float  # 0..100, higher is closer to the brief
    similarity: float  # the scorer's raw cosine
    matches: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    summary: str = ""  # the refiner's note on the candidate; "" when it wrote none (the page composes one)
    checks: tuple[ItemCheck, ...] = ()
    preference_hits: tuple[str, ...] = ()  # preferences this candidate meets ("+ bold type") or breaks ("- too busy")
