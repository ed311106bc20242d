"""Where each model role runs, from flags (each with an environment variable behind it): `pipelines.backends`."""
from __future__ import annotations

import argparse

from pipelines.backends import Backends, RayPool, RemoteChat

RAY_FORMS = "ray://HOST:PORT (Ray Client), ray:auto (the cluster this machine is part of) or ray:local (start one here)"


def add_backend_arguments(parser: argparse.ArgumentParser, env) -> None:
    group = parser.add_argument_group("where the models run", "each role in this process (the default) or on a "
                                                              "server (README: Beyond one machine)")
    for role, what in (("refiner", "the refiner"), ("vlm", "a critic that sees the images (a vision-language model)")):
        upper = role.upper()
        group.add_argument(f"--{role}-url", default=env(f"DC_{upper}_URL", ""),
                           help=f"{what} on an OpenAI-compatible server (vLLM, SGLang, TGI, Ollama, transformers "
                                f"serve), e.g. http://127.0.0.1:8000/v1 (env DC_{upper}_URL)")
        group.add_argument(f"--{role}-model", default=env(f"DC_{upper}_MODEL", ""),
                           help=f"the model's name on that server (env DC_{upper}_MODEL)" + (
                               "; without --vlm-url, a LLaVA-class checkpoint loaded in this process, e.g. "
                               "llava-hf/llava-1.5-7b-hf (~14 GB in bf16)" if role == "vlm" else ""))
        group.add_argument(f"--{role}-key-env", default=env(f"DC_{upper}_KEY_ENV", "OPENAI_API_KEY"),
                           help=f"the environment variable holding that server's API key (env DC_{upper}_KEY_ENV; "
                                "default OPENAI_API_KEY)")
    group.add_argument("--llm-timeout", type=float, default=float(env("DC_LLM_TIMEOUT", "30")),
                       help="seconds an LLM server may take to answer or between two tokens (env DC_LLM_TIMEOUT)")
    group.add_argument("--llm-context", type=int, default=int(env("DC_LLM_CONTEXT", "8192")),
                       help="tokens an LLM server's model takes in one request, the reply included (env "
                            "DC_LLM_CONTEXT; default 8192): what the studio sends is bounded by it")
    group.add_argument("--generator", default=env("DC_GENERATOR", ""),
                       help=f"the generator on a Ray Serve pool: {RAY_FORMS} (env DC_GENERATOR; default: in this "
                            "process)")
    group.add_argument("--replicas", type=int, default=int(env("DC_REPLICAS", "1")),
                       help="generator replicas the pool keeps at least (env DC_REPLICAS)")
    group.add_argument("--max-replicas", type=int, default=int(env("DC_MAX_REPLICAS", "0")),
                       help="the most replicas the pool scales up to under load (env DC_MAX_REPLICAS; default "
                            "--replicas: no autoscaling)")
    group.add_argument("--gpus-per-replica", type=float, default=float(env("DC_GPUS_PER_REPLICA", "0")),
                       help="GPUs each generator replica holds: 1 for a replica per GPU, 0.5 for two per GPU "
                            "(env DC_GPUS_PER_REPLICA; default 0, a CPU replica)")


def backends_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Backends:
    local_vlm = args.vlm_model.strip() if not args.vlm_url.strip() else ""  # a model without a server: in process
    return Backends(refiner=_chat("refiner", args, parser), vlm=_chat("vlm", args, parser),
                    generator=_pool(args, parser), local_vlm=local_vlm)


def _chat(role: str, args: argparse.Namespace, parser: argparse.ArgumentParser) -> RemoteChat | None:
    url, model = getattr(args, f"{role}_url").strip(), getattr(args, f"{role}_model").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        parser.error(f"--{role}-url takes the server's address with its scheme, e.g. http://127.0.0.1:8000/v1")
    if not model:
        parser.error(f"--{role}-url needs --{role}-model: the name that server knows its model by "
                     "(GET <url>/models lists them)")
    if args.llm_timeout <= 0:
        parser.error("--llm-timeout takes a number of seconds above 0")
    if args.llm_context < 1024:
        parser.error("--llm-context takes 1024 tokens or more: the studio's instructions alone take several hundred")
    return RemoteChat(url.rstrip("/"), model, getattr(args, f"{role}_key_env").strip(), timeout_s=args.llm_timeout,
                      context_tokens=args.llm_context)


def _pool(args: argparse.Namespace, parser: argparse.ArgumentParser) -> RayPool | None:
    where = args.generator.strip()
    if not where or where in ("local", "in-process"):
        return None
    address = {"ray:auto": "auto", "ray:local": "local"}.get(where, where)
    if not (address in ("auto", "local") or address.startswith("ray://")):
        parser.error(f"--generator takes {RAY_FORMS}; got {where!r}")
    most = args.max_replicas or args.replicas
    if args.replicas < 1 or most < args.replicas:
        parser.error("--replicas takes 1 or more, and --max-replicas at least as many")
    if args.gpus_per_replica < 0:
        parser.error("--gpus-per-replica takes 0 or more")
    return RayPool(address, min_replicas=args.replicas, max_replicas=most, gpus_per_replica=args.gpus_per_replica)
