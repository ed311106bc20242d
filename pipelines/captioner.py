"""The captioner: what an image shows (captioning) and answers about it (visual question answering)."""
from __future__ import annotations

from typing import Sequence

import torch
import transformers
from PIL.Image import Image

from pipelines.device import Placement
from pipelines.language import fit_words


class BlipCaptioner:
    """BLIP captioning and BLIP VQA: two small heads, one processor family."""

    def __init__(self, caption: tuple[str, str, str], vqa: tuple[str, str, str], placement: Placement):
        """`caption` and `vqa` are (model id, folder or id to load from, model class)."""
        self.model_id = caption[0]
        self.vqa_model_id = vqa[0]
        self.placement = placement
        self._caption_processor, self._caption_model = self._load(*caption[1:])
        self._vqa_processor, self._vqa_model = self._load(*vqa[1:])

    def _load(self, source: str, model_class: str):
        processor = transformers.AutoProcessor.from_pretrained(source)
        model = getattr(transformers, model_class).from_pretrained(source, dtype=self.placement.dtype)
        return processor, model.to(self.placement.device).eval()

    def _generate(self, processor, model, images: Sequence[Image], text: Sequence[str] | None,
                  max_new_tokens: int) -> list[str]:
        inputs = processor(images=[im.convert("RGB") for im in images], text=text, padding=True,
                           return_tensors="pt").to(model.device)
        inputs["pixel_values"] = inputs["pixel_values"].to(self.placement.dtype)
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=max_new_tokens)
        return [t.strip() for t in processor.batch_decode(output, skip_special_tokens=True)]

    def caption(self, images: Sequence[Image]) -> list[str]:
        if not images:
            return []
        return self._generate(self._caption_processor, self._caption_model, images, None, 30)

    def answer(self, images: Sequence[Image], questions: Sequence[str]) -> list[str]:
        if len(images) != len(questions):
            raise ValueError(f"one question per image: got {len(images)} images and {len(questions)} questions")
        if not images:
            return []
        fitted = [self.fit_question(q) for q in questions]
        return self._generate(self._vqa_processor, self._vqa_model, images, fitted, 10)

    def fit_question(self, question: str) -> str:
        """The question within the VQA text encoder's positions (special tokens counted), cut at a word."""
        tokenizer = self._vqa_processor.tokenizer
        limit = self._vqa_model.config.text_config.max_position_embeddings
        return fit_words(question, lambda text: len(tokenizer(text)["input_ids"]), limit)
