"""Reading the text an image really shows: diffusion models misspell, so "says JAZZ NIGHT" is checked.

`rapidocr` ships PP-OCR ONNX models inside its wheel: a real reader that runs offline.
"""
from __future__ import annotations

import difflib
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Protocol, Sequence

from PIL.Image import Image

from pipelines.language import is_cjk

NEAR_RATIO = 0.75  # similarity at which a reading counts as a misspelling of the wanted text


class TextReader(Protocol):
    def read(self, images: Sequence[Image]) -> list[tuple[str, ...]]:
        """The lines of text found in each image, in reading order."""


@dataclass(frozen=True)
class TextCheck:
    wanted: str
    verdict: str  # "exact" | "near" | "missing"
    read: str  # the closest text found ("" when nothing was read)
    similarity: float


def _normal(text: str) -> str:
    """Letters and digits of any script, without case, punctuation or width ("ＪＡＺＺ" is "jazz"); the spaces an
    OCR puts between CJK characters are not part of the words ("爵士 之夜" is "爵士之夜")."""
    text = re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return "".join(ch for i, ch in enumerate(text)
                   if not (ch == " " and (is_cjk(text[i - 1]) or is_cjk(text[i + 1]))))  # never at the ends: stripped


def check_text(wanted: str, lines: Sequence[str]) -> TextCheck:
    """Does the image show `wanted`? Compared without case and punctuation, over every run of lines."""
    target = _normal(wanted)
    # The wanted words may be split over lines ("JAZZ" / "NIGHT") or sit inside a longer line.
    spans = [" ".join(lines[i:j]) for i in range(len(lines)) for j in range(i + 1, min(len(lines), i + 4) + 1)]
    spans.sort(key=len)  # report the shortest reading that holds the words
    best, best_ratio = (spans[0] if spans else ""), 0.0
    for span in spans:
        text = _normal(span)
        if target and target in text:
            return TextCheck(wanted, "exact", span, 1.0)
        ratio = difflib.SequenceMatcher(None, target, text).ratio()
        if ratio > best_ratio:
            best, best_ratio = span, ratio
    verdict = "near" if best_ratio >= NEAR_RATIO else "missing"
    return TextCheck(wanted, verdict, best, round(best_ratio, 3))


class RapidTextReader:
    """rapidocr's detector + recognizer; loaded on first use, one call at a time."""

    def __init__(self):
        self._engine = None
        self._lock = threading.Lock()

    def read(self, images: Sequence[Image]) -> list[tuple[str, ...]]:
        import numpy as np

        with self._lock:
            if self._engine is None:
                from rapidocr import RapidOCR

                self._engine = RapidOCR(params={"Global.log_level": "warning"})
            results = [self._engine(np.asarray(image.convert("RGB"))) for image in images]
        return [tuple(r.txts or ()) for r in results]
