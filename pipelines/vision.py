"""The critic's eyes in this process: a transformers vision-language model (LLaVA, Qwen2.5-VL, ...) that reads
each candidate's pixels with a question or an instruction.

Loaded through the Auto classes and the processor's own chat template, so any image-text-to-text checkpoint
whose processor places images from content parts works; the presets name LLaVA (`pipelines/presets.py`).
"""
from __future__ import annotations

from typing import Sequence

import torch
from PIL.Image import Image
from transformers import AutoModelForImageTextToText, AutoProcessor

from pipelines.device import Placement


class LocalViewer:
    """`pipelines.base.Viewer` in this process: every (image, prompt) pair in one batched `generate`."""

    def __init__(self, model_id: str, source: str, placement: Placement):
        self.model_id = model_id
        self.processor = AutoProcessor.from_pretrained(source)
        # Left padding: in a batch every reply starts right after its own prompt.
        self.processor.tokenizer.padding_side = "left"
        self.model = AutoModelForImageTextToText.from_pretrained(source, dtype=placement.dtype).to(placement.device)
        self.model.eval()
        self.placement = placement

    def look(self, system: str, images: Sequence[Image], prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        if len(images) != len(prompts):
            raise ValueError(f"one prompt per image: got {len(images)} images and {len(prompts)} prompts")
        if not images:
            return []
        chats = [[{"role": "system", "content": [{"type": "text", "text": system}]},
                  {"role": "user", "content": [{"type": "image", "image": image.convert("RGB")},
                                               {"type": "text", "text": prompt}]}]
                 for image, prompt in zip(images, prompts)]
        inputs = self.processor.apply_chat_template(chats, add_generation_prompt=True, tokenize=True, padding=True,
                                                    return_dict=True, return_tensors="pt").to(self.model.device)
        inputs["pixel_values"] = inputs["pixel_values"].to(self.placement.dtype)
        with torch.inference_mode():
            # Greedy: the same candidate and question get the same answer, so a round's critique can be re-run.
            output = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
        replies = self.processor.batch_decode(output[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        return [reply.strip() for reply in replies]
