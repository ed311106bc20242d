"""The segmenter: where a phrase is in an image ("the saxophone"), as a mask a region edit can redraw.

CLIPSeg (Lüddecke & Ecker, CVPR 2022): a small decoder over a frozen CLIP ViT-B/16 that reads a text prompt and
predicts a low-resolution map (352 px) of where it is. Text-prompted, any phrase, ~150M parameters, one forward
pass per phrase; transformers ships it natively (`CLIPSegForImageSegmentation`, no remote code).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
import transformers
from PIL import Image

from pipelines.base import Segment
from pipelines.device import Placement
from pipelines.language import fit_words
from pipelines.masks import grow

# A pixel whose sigmoid probability is above this belongs to the phrase. CLIPSeg's maps are soft: a cut a little
# below the even 0.5 still covers an object the model is unsure of (a redraw that misses part of it is worse than
# one that takes a little background). One place to tune it.
THRESHOLD = 0.4


def grow_for(width: int, height: int) -> int:
    """How far a found mask is grown, in pixels: CLIPSeg's map is coarse (352 px), and a redraw that stops at the
    object's edge leaves a halo of the old object; 1 px per 64 px of the shorter side (8 px at 512)."""
    return max(1, min(width, height) // 64)


class ClipSegSegmenter:
    def __init__(self, model_id: str, source: str, placement: Placement):
        self.model_id = model_id
        self.placement = placement
        self.processor = transformers.CLIPSegProcessor.from_pretrained(source)
        self.model = transformers.CLIPSegForImageSegmentation.from_pretrained(source, dtype=placement.dtype)
        self.model.to(placement.device).eval()

    def fit_phrase(self, phrase: str) -> str:
        """`phrase` within the text encoder's positions (start and end tokens counted), cut at a word."""
        tokenizer = self.processor.tokenizer
        limit = min(tokenizer.model_max_length, self.model.config.text_config.max_position_embeddings)
        return fit_words(phrase, lambda text: len(tokenizer(text)["input_ids"]), limit)

    def probabilities(self, image: Image.Image, phrases: Sequence[str]) -> torch.Tensor:
        """(phrases, height, width) float32 on the CPU: each phrase's probability at each pixel of `image`."""
        rgb = image.convert("RGB")
        fitted = [self.fit_phrase(phrase) for phrase in phrases]
        inputs = self.processor(text=fitted, images=[rgb] * len(fitted), padding=True, return_tensors="pt")
        inputs = inputs.to(self.placement.device)
        inputs["pixel_values"] = inputs["pixel_values"].to(self.placement.dtype)
        with torch.inference_mode():
            logits = self.model(**inputs).logits
        logits = logits.float().reshape(len(fitted), 1, *logits.shape[-2:])  # one phrase: some versions squeeze
        maps = F.interpolate(logits.sigmoid(), size=(rgb.height, rgb.width), mode="bilinear", align_corners=False)
        return maps[:, 0].cpu()

    def segment(self, image: Image.Image, phrases: Sequence[str]) -> list[Segment]:
        """One segment per phrase: the pixels above `THRESHOLD`, grown by `grow_for(image size)` px.
        `peak` is the highest probability at the image's size, so `found` is exactly `peak > THRESHOLD`."""
        if not phrases:
            return []
        segments = []
        for probability in self.probabilities(image, phrases):
            above = (probability > THRESHOLD).numpy()
            mask = Image.fromarray(np.where(above, 255, 0).astype(np.uint8), mode="L")
            segments.append(Segment(mask=grow(mask, grow_for(*image.size)), found=bool(above.any()),
                                    peak=float(probability.max())))
        return segments
