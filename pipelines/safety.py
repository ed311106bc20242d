"""A post-generation image safety check for public studios: flagged images are never stored or served.

`nudenet` ships a real YOLOv8n detector (ONNX) inside its wheel: it runs offline, on the CPU.
"""
from __future__ import annotations

import threading
from typing import Protocol, Sequence

from PIL import Image

# NudeNet's classes that make an image unfit for a public, unmoderated studio.
UNSAFE_CLASSES = frozenset({
    "FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "FEMALE_BREAST_EXPOSED", "ANUS_EXPOSED",
    "BUTTOCKS_EXPOSED",
})
MIN_CONFIDENCE = 0.5


class SafetyChecker(Protocol):
    def flag(self, images: Sequence[Image.Image]) -> list[str]:
        """For each image, why it is withheld ('' when it is fine)."""


class NudeNetChecker:
    def __init__(self):
        self._detector = None
        self._lock = threading.Lock()

    def flag(self, images: Sequence[Image.Image]) -> list[str]:
        import numpy as np

        with self._lock:
            if self._detector is None:
                from nudenet import NudeDetector

                self._detector = NudeDetector()
            found = [self._detector.detect(np.ascontiguousarray(np.asarray(im.convert("RGB"))[:, :, ::-1]))
                     for im in images]  # nudenet reads OpenCV's BGR order
        return [", ".join(sorted({d["class"].lower().replace("_", " ") for d in hits
                                  if d["class"] in UNSAFE_CLASSES and d["score"] >= MIN_CONFIDENCE}))
                for hits in found]


def placeholder(size: tuple[int, int]) -> Image.Image:
    """What is shown instead of a withheld image: plain grey, the candidate's size."""
    return Image.new("RGB", size, (128, 128, 128))
