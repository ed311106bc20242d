"""The refiner on an OpenAI-compatible chat server (vLLM, SGLang, TGI, Ollama, `transformers serve`, OpenAI).

The studio speaks the shared `/v1/chat/completions` API and nothing server-specific, so any of them answers.
`openai_client` and `unavailable` are shared with the critic that sees (`pipelines/remote/`): one client
configuration and one account of a server's failures for people.

`openai` is imported here, lazily: the studio runs without it when no role is remote.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from pipelines.backends import RemoteChat
from pipelines.base import ModelUnavailable, RefinedPrompt, RefineRequest, TokenCallback
from pipelines.prompting import fit_message, refined, system_prompt, user_message

# Sent as the key when the server needs none: the SDK refuses to start without one (vLLM's own convention).
NO_KEY = "EMPTY"
# Greedy decoding is reproducible on its own; servers that sample anyway (a default temperature floor, a
# speculative decoder) take a seed, so the same memory gives the same prompt there too.
SEED = 0
# The chat template's own tokens around a system and a user message (role markers, start and end tokens): about
# 10-30 in the templates of Qwen, Llama, Mistral and Gemma; 64 leaves room for a longer one.
FRAME_TOKENS = 64


def openai_client(chat: RemoteChat):
    """An `openai.OpenAI` client for `chat`'s server.

    Retries: the SDK itself (openai 3.57.0, `_base_client.SyncAPIClient.request` and `_should_retry`) sends a
    request again up to `max_retries` times on a lost connection, a timeout, 408, 409, 429 and every 5xx,
    waiting 0.5 s * 2^n (at most 8 s, less up to 25 % jitter) or the server's Retry-After when it gives one of
    up to 60 s. Only the request is retried: a stream that breaks after its first token is not (a reply
    half-streamed to the designer cannot be taken back), it fails through `unavailable`.
    `timeout_s` is httpx's timeout for connecting, writing and each read: in a stream, the wait between tokens.
    """
    try:
        import openai
    except ImportError as err:
        raise ModelUnavailable(
            f"The chat server at {chat.base_url} needs the `openai` package, which is not installed here: "
            "pip install -r requirements-scale.txt") from err
    return openai.OpenAI(base_url=chat.base_url, api_key=chat.api_key or NO_KEY, timeout=chat.timeout_s,
                         max_retries=chat.max_retries)


def _connection_refused(err: BaseException) -> bool:
    """True when the cause chain ends in a refused connection (nothing listens at the address)."""
    seen = err
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError) or type(seen).__name__ == "ConnectError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _status_message(chat: RemoteChat, where: str, status: int, detail: str) -> str:
    if status in (401, 403):
        if not chat.api_key_env:
            return f"{where} refused the request ({status}): it needs a key; name the variable that holds it."
        if not chat.api_key:
            return f"{where} refused the request ({status}): ${chat.api_key_env} is not set; set it to the server's key."
        return f"{where} refused the key ({status}): check the key in ${chat.api_key_env}."
    if status == 404:
        return (f"{where} does not serve the model '{chat.model}' (404): check the model name against the "
                f"server's {chat.base_url.rstrip('/')}/models.")
    retried = f" after {chat.max_retries} retries" if chat.max_retries else ""
    if status == 429:
        return f"{where} is over its rate limit (429){retried}: try again in a while, or lower the concurrency."
    if status >= 500:
        return f"{where} failed ({status}){retried}: look at the server's log; try again when it is healthy."
    return f"{where} refused the request ({status}): {detail}"


def unavailable(chat: RemoteChat, err: Exception) -> ModelUnavailable:
    """The error for people for a failed request to `chat`'s server: what went wrong there, and what to do."""
    import openai  # `err` came from the SDK, so it is installed

    where = f"The chat server at {chat.base_url} (model '{chat.model}')"
    if isinstance(err, openai.APITimeoutError):
        message = f"{where} did not answer in {chat.timeout_s:g} s: is it running, or too busy?"
    elif isinstance(err, openai.APIConnectionError):
        if _connection_refused(err):
            message = f"{where} refused the connection: is it running?"
        else:
            message = f"{where} lost the connection: did it stop? Start it again, then run the round again."
    elif isinstance(err, openai.APIStatusError):
        message = _status_message(chat, where, err.status_code, err.message)
    else:
        message = f"{where} failed: {err}"
    return ModelUnavailable(message)


def estimate_tokens(text: str) -> int:
    """An upper bound of the tokens `text` takes in the server's model, whose tokenizer is not here.

    Its UTF-8 bytes: every byte-level BPE (GPT-2, Llama 3, Qwen, Mistral's Tekken) and every SentencePiece model
    with byte fallback (Llama 2, Mistral, Gemma) covers at least one byte with each token, so no text takes more
    tokens than it has bytes. The bound is loose (about 4x for English, 2-4x for Chinese), the price of never
    overflowing a context we cannot measure."""
    return len(text.encode("utf-8"))


class RemoteRefiner:
    """The `Refiner` Protocol over `/v1/chat/completions`: streamed, greedy, stoppable.

    The prompt for the generator is still fitted here with the generator's own tokenizer
    (`RefineRequest.count_tokens`); only the LLM's context is estimated (`estimate_tokens`)."""

    def __init__(self, chat: RemoteChat):
        self.chat = chat
        self.model_id = chat.model
        self.client = openai_client(chat)

    def user_budget(self, system: str, max_new_tokens: int) -> int:
        """Estimated tokens a user message may take beside `system`, the chat template and the reply."""
        return max(self.chat.context_tokens - max_new_tokens - estimate_tokens(system) - FRAME_TOKENS, 0)

    def complete(self, system: str, user: str, max_new_tokens: int,
                 on_token: TokenCallback | None = None) -> str:
        """One streamed chat turn. When `on_token` raises (`Interrupted`: the designer pressed Stop), the
        stream's HTTP response is closed before the error goes on: the server sees the client leave and stops
        generating, instead of writing a reply nobody reads."""
        import openai  # installed: `openai_client` checked it

        # A text that can't fit is cut at a word, never sent raw.
        user = fit_message(user, estimate_tokens, self.user_budget(system, max_new_tokens))
        pieces: list[str] = []
        try:
            stream = self.client.chat.completions.create(
                model=self.chat.model, stream=True, max_tokens=max_new_tokens, temperature=0, seed=SEED,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}])
            with stream:  # closes the response on every way out, the callback's exceptions included
                for chunk in stream:
                    delta = chunk.choices[0].delta if chunk.choices else None  # usage-only chunks have none
                    piece = delta.content if delta else None
                    if piece:
                        pieces.append(piece)
                        if on_token is not None:
                            on_token(piece)
        except openai.OpenAIError as err:
            raise unavailable(self.chat, err) from err
        return "".join(pieces)

    def complete_each(self, system: str, users: Sequence[str], max_new_tokens: int) -> list[str]:
        """One reply per message, as concurrent requests (at most `chat.concurrency` in flight): the server
        batches what arrives together, as the local refiner batches in one `generate`. Replies in order."""
        if not users:
            return []
        pool = ThreadPoolExecutor(max_workers=min(self.chat.concurrency, len(users)),
                                  thread_name_prefix="remote-refiner")
        try:
            replies = [pool.submit(self.complete, system, user, max_new_tokens) for user in users]
            return [reply.result() for reply in replies]
        finally:  # on a failure, the requests not yet sent are not sent: the round has failed already
            pool.shutdown(wait=False, cancel_futures=True)

    def refine(self, request: RefineRequest, on_token: TokenCallback | None = None) -> RefinedPrompt:
        system = system_prompt(request.language)
        user = user_message(request.memory, estimate_tokens, self.user_budget(system, request.max_new_tokens))
        reply = self.complete(system, user, request.max_new_tokens, on_token)
        return refined(reply, request.memory, request.count_tokens, request.token_limit)
