"""The scorer: CLIP-style image-text similarity, and image and text embeddings in one space (for search)."""
from __future__ import annotations

from typing import Sequence

import torch
from PIL.Image import Image
from transformers import CLIPModel, CLIPProcessor

from pipelines.device import Placement
from pipelines.language import fit_words


class ClipScorer:
    def __init__(self, model_id: str, source: str, placement: Placement):
        self.model_id = model_id
        self.placement = placement
        self.processor = CLIPProcessor.from_pretrained(source)
        self.model = CLIPModel.from_pretrained(source, dtype=placement.dtype).to(placement.device).eval()

    def _image_features(self, images: Sequence[Image]) -> torch.Tensor:
        inputs = self.processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
        pixels = inputs["pixel_values"].to(self.model.device, self.placement.dtype)
        with torch.inference_mode():
            # transformers 5: an output object; the projected embedding is its pooler_output
            features = self.model.get_image_features(pixel_values=pixels).pooler_output
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def _text_features(self, *texts: str) -> torch.Tensor:
        # Within CLIP's positions (77 in the real models), cut at a word rather than mid-word by truncation.
        tokenizer, limit = self.processor.tokenizer, self.model.config.text_config.max_position_embeddings
        texts = [fit_words(text, lambda t: len(tokenizer(t)["input_ids"]), limit) for text in texts]
        inputs = self.processor(text=texts, return_tensors="pt", padding=True).to(self.model.device)
        with torch.inference_mode():
            features = self.model.get_text_features(**inputs).pooler_output
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def similarity(self, images: Sequence[Image], text: str) -> list[float]:
        if not images:
            return []
        return (self._image_features(images) @ self._text_features(text).T).squeeze(1).cpu().tolist()

    def embed_images(self, images: Sequence[Image]) -> list[list[float]]:
        if not images:
            return []
        return self._image_features(images).cpu().tolist()

    def embed_texts(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._text_features(*texts).cpu().tolist()
