"""The refiner: a transformers chat LLM that writes the next text-to-image prompt."""
from __future__ import annotations

from typing import Sequence

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, TextStreamer

from pipelines.base import RefinedPrompt, RefineRequest, TokenCallback
from pipelines.device import Placement
from pipelines.prompting import fit_message, refined, system_prompt, user_message

# The most of a session the refiner reads for one reply: reading (prefill) time grows with it, and a small
# model follows a short, relevant context better than a long one. The model's own positions may be fewer.
CONTEXT_TOKENS = 4096


class _CallbackStreamer(TextStreamer):
    """Hands each decoded piece of text to a callback as `generate` produces it."""

    def __init__(self, tokenizer, on_token: TokenCallback):
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.on_token = on_token

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        if text:
            self.on_token(text)


class ChatRefiner:
    def __init__(self, model_id: str, source: str, placement: Placement, compile: bool = False):
        self.model_id = model_id
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.tokenizer.padding_side = "left"  # a batch's replies all start right after their own prompts
        self.model = AutoModelForCausalLM.from_pretrained(source, dtype=placement.dtype).to(placement.device)
        self.model.eval()
        # --compile: a static KV cache, with which `generate` compiles the decoding step on a GPU (one kernel
        # graph a token instead of hundreds of launches); on a CPU it runs uncompiled.
        self.cache_implementation = "static" if compile else None

    def warm_up(self) -> None:
        """Short replies, alone and in a batch: compilation happens here, at load, not in a round."""
        self.complete("Answer in one word.", "Warm up.", max_new_tokens=8)
        self.complete_each("Answer in one word.", ["Warm up.", "Warm up again."], max_new_tokens=8)

    def complete(self, system: str, user: str, max_new_tokens: int,
                 on_token: TokenCallback | None = None) -> str:
        streamer = _CallbackStreamer(self.tokenizer, on_token) if on_token else None
        return self._generate(system, [user], max_new_tokens, streamer)[0]

    def complete_each(self, system: str, users: Sequence[str], max_new_tokens: int) -> list[str]:
        # One `generate` for all: decoding is bound by reading the weights, so N replies side by side
        # cost about as much as one, where N replies in a row cost N times as much.
        return self._generate(system, users, max_new_tokens) if users else []

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def user_budget(self, system: str, max_new_tokens: int) -> int:
        """Tokens a user message may take beside `system`, the chat template and the reply."""
        positions = min(self.model.config.max_position_embeddings, CONTEXT_TOKENS)
        frame = self.tokenizer.apply_chat_template(
            [{"role": "system", "content": system}, {"role": "user", "content": ""}],
            add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
        return max(positions - max_new_tokens - len(frame), 0)

    def fit(self, user: str, budget: int) -> str:
        """`user` within `budget` tokens, cut at a word; a <data> quote cut open is closed again."""
        return fit_message(user, self.count_tokens, budget)

    def _generate(self, system: str, users: Sequence[str], max_new_tokens: int, streamer=None) -> list[str]:
        budget = self.user_budget(system, max_new_tokens)  # a text that can't fit is cut at a word, never passed raw
        users = [self.fit(user, budget) for user in users]
        chats = [[{"role": "system", "content": system}, {"role": "user", "content": user}] for user in users]
        inputs = self.tokenizer.apply_chat_template(chats, add_generation_prompt=True, padding=True,
                                                    return_dict=True, return_tensors="pt").to(self.model.device)
        with torch.inference_mode():
            # Greedy with a light repetition penalty: the same memory gives the same prompt,
            # so a round can be re-run and compared.
            output = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                                         repetition_penalty=1.1, streamer=streamer, use_cache=True,
                                         cache_implementation=self.cache_implementation)
        return self.tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)

    def refine(self, request: RefineRequest, on_token: TokenCallback | None = None) -> RefinedPrompt:
        system = system_prompt(request.language)
        user = user_message(request.memory, self.count_tokens, self.user_budget(system, request.max_new_tokens))
        reply = self.complete(system, user, request.max_new_tokens, on_token)
        return refined(reply, request.memory, request.count_tokens, request.token_limit)
