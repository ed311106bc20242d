"""Where each model role runs: in this process (the default), or on a server of an existing engine.

A preset names the models; `Backends` says where they run. The studio above `pipelines/` never knows:
the registry hands it the same Protocols (`pipelines.base`) whichever backend answers, and each backend
keeps its own concurrency policy (in-process models: one device lock and the out-of-memory retry;
remote ones: their server's queue, timeouts and retries).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

from pipelines.presets import ModelSpec, Preset, with_local_vlm

LOCAL = "local"
SERVED = "the served model's own license (read its model card)"


@dataclass(frozen=True)
class RemoteChat:
    """An OpenAI-compatible chat server: vLLM, SGLang, TGI, Ollama, `transformers serve`, or OpenAI itself."""

    base_url: str  # e.g. http://127.0.0.1:8000/v1
    model: str  # the name the server knows the model by
    api_key_env: str = "OPENAI_API_KEY"  # the environment variable holding the key ("" or unset: no key)
    timeout_s: float = 30.0  # for a connection, and between two streamed tokens
    max_retries: int = 2  # on 429 and 5xx answers and lost connections, with exponential backoff
    concurrency: int = 8  # requests in flight at once from this studio (a critic's notes go side by side)
    # What one request may take at most, the reply included: the studio counts what it sends by an upper bound (UTF-8
    # bytes; no tokenizer of the server's model is at hand), so any server whose model takes this many fits.
    context_tokens: int = 8192

    @property
    def api_key(self) -> str:
        return os.environ.get(self.api_key_env, "") if self.api_key_env else ""


@dataclass(frozen=True)
class RayPool:
    """A Ray Serve deployment of the generator: replicas on a Ray cluster, shared by every studio that joins it."""

    address: str  # "ray://host:10001" (Ray Client), "auto" (a cluster this machine is part of), or "local"
    app_name: str = "dc-generator"  # the Serve application; deployed by the first studio that finds none
    min_replicas: int = 1
    max_replicas: int = 1
    gpus_per_replica: float = 0.0  # `ray_actor_options={"num_gpus": ...}`: 1 for a replica per GPU, 0.5 for two
    cpus_per_replica: float = 1.0
    max_batch_size: int = 4  # requests merged into one render by `@serve.batch` when their settings allow
    batch_wait_s: float = 0.05  # how long a replica waits for more requests to fill a batch
    retries: int = 1  # a request whose replica died is sent again this many times


@dataclass(frozen=True)
class Backends:
    """Per role: None runs it in this process (the preset's model), else where the server is."""

    refiner: RemoteChat | None = None
    vlm: RemoteChat | None = None  # a critic that sees the pixels (answers the checklist and writes the notes)
    generator: RayPool | None = None
    local_vlm: str = ""  # or a critic that sees in this process: a LLaVA-class checkpoint's id (presets.with_local_vlm)

    def describe(self) -> dict[str, str]:
        """Each role's place, for the log and the page ("local" or where)."""
        return {"refiner": self.refiner.base_url if self.refiner else LOCAL,
                "critic": (self.vlm.base_url if self.vlm else self.local_vlm or "captioner + VQA"),
                "generator": (f"on the Ray pool at {self.generator.address}" if self.generator else LOCAL)}


def placed(preset: Preset, backends: Backends) -> Preset:
    """`preset` as `backends` run it: a role on a chat server is the server's model, named with its address (what the
    page lists, and what each round records as its models). The pool serves the preset's own generator."""
    changes = {}
    if backends.refiner is not None:
        changes["refiner"] = ModelSpec(f"{backends.refiner.model} at {backends.refiner.base_url}",
                                       preset.refiner.family, SERVED)
    if backends.vlm is not None:
        changes["vlm"] = ModelSpec(f"{backends.vlm.model} at {backends.vlm.base_url}", "llava", SERVED)
    return replace(with_local_vlm(preset, backends.local_vlm), **changes)
