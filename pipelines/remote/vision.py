"""The critic's eyes on an OpenAI-compatible server: a vision-language model (vLLM or SGLang serving Qwen2.5-VL,
`transformers serve`, OpenAI's GPT-4o) that gets each candidate as an image part of a chat message.

One request per (image, prompt) pair, up to `RemoteChat.concurrency` in flight at once: a server batches the
requests it holds (vLLM's continuous batching), and a chat message with several images is not understood alike
by every model, where one image and one question is.
"""
from __future__ import annotations

import base64
import io
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from PIL.Image import Image

from pipelines.backends import RemoteChat
from pipelines.remote.openai_chat import SEED, openai_client, unavailable

# The longest side an image is sent at: what VLMs tile or resize to anyway (Qwen2.5-VL's default budget is about
# 1,000 x 1,000 pixels; GPT-4o's "high" detail tiles at 768 on the short side). Larger only costs upload time.
MAX_SIDE = 1024


def image_part(image: Image) -> dict:
    """`image` as a chat content part: a PNG in a data URL (lossless: the critic judges what was rendered)."""
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{encoded}"}}


def messages_for(system: str, image: Image, prompt: str) -> list[dict]:
    """One chat: the instruction as the system message, the image before the prompt in the user's message."""
    return [{"role": "system", "content": system},
            {"role": "user", "content": [image_part(image), {"type": "text", "text": prompt}]}]


class RemoteViewer:
    """`pipelines.base.Viewer` on a chat server that takes image parts."""

    def __init__(self, chat: RemoteChat):
        self.chat = chat
        self.model_id = chat.model
        self._client = openai_client(chat)

    def look(self, system: str, images: Sequence[Image], prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        if len(images) != len(prompts):
            raise ValueError(f"one prompt per image: got {len(images)} images and {len(prompts)} prompts")
        if not images:
            return []
        pairs = list(zip(images, prompts))
        workers = max(1, min(self.chat.concurrency, len(pairs)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vlm") as pool:
            # map() keeps the order and re-raises the first failure; the pool's exit waits for the rest.
            return list(pool.map(lambda pair: self._ask(system, *pair, max_new_tokens), pairs))

    def _ask(self, system: str, image: Image, prompt: str, max_new_tokens: int) -> str:
        import openai

        try:
            reply = self._client.chat.completions.create(
                model=self.chat.model, messages=messages_for(system, image, prompt), max_tokens=max_new_tokens,
                temperature=0.0, seed=SEED)
        except openai.OpenAIError as err:
            raise unavailable(self.chat, err) from err
        if not reply.choices:
            raise unavailable(self.chat, RuntimeError("it answered with no reply (no choices)"))
        return (reply.choices[0].message.content or "").strip()
