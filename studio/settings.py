"""How the studio is started: command-line flags, each with an environment variable behind it."""
from __future__ import annotations

import argparse
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from pipelines.backends import Backends
from pipelines.base import DTYPE_NAMES, OFFLOAD_MODES, SpeedOptions
from pipelines.presets import PRESETS, Preset, get_preset, missing_weights
from pipelines.zerogpu import on_zero_gpu
from studio.core.messages import Message
from studio.engine.running import MAX_STOP_GRACE_S
from studio.services.sessions import SPACE_DATA_DIR, default_data_dir
from studio.settings_backends import add_backend_arguments, backends_from

HUB_HOST = ("huggingface.co", 443)
log = logging.getLogger("design-collaborator")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Hosting:
    """Who may use a hosted studio, and each owner's fair share of it."""

    allow_anonymous: bool  # browser ids without sign-in (always on a loopback studio without --auth)
    oauth: bool  # "Sign in with Hugging Face" (a Space with hf_oauth: true)
    origins: tuple[str, ...]  # other origins allowed to call it from a browser (CORS); the studio's own always can
    rounds_per_owner: int  # rounds and questions one owner may have queued or running
    requests_per_owner: int  # requests of any kind one owner may have waiting
    sessions_per_owner: int
    images_per_owner: int  # stored candidate images
    uploads_per_owner: int  # uploads held (not yet expired)
    upload_mb_per_owner: int
    upload_expiry_s: int  # an upload, and every copy Gradio keeps of what it showed, is deleted after this
    caller_grace_s: float  # a queued request whose caller has no stream open this long after it joined is dropped


@dataclass(frozen=True)
class Settings:
    preset: str
    data_dir: Path
    host: str
    port: int
    auth: tuple[tuple[str, str], ...]
    queue_size: int
    gpu_concurrency: int
    safety: bool  # the post-generation image safety check
    speed: SpeedOptions
    preload: bool  # load the models in the background once the page is up
    hosting: Hosting  # who may use it and how much (studio/web)
    stop_grace: float = 30.0  # seconds running rounds get to finish after SIGTERM (Studio.shut_down)
    backends: Backends = Backends()  # where each model role runs (studio/settings_backends.py)

    @property
    def on_space(self) -> bool:
        return bool(os.environ.get("SPACE_ID"))


def parse_settings(argv: list[str] | None = None) -> Settings:
    env = os.environ.get
    on_space = bool(env("SPACE_ID"))
    parser = argparse.ArgumentParser(prog="python app.py", description="Design Collaborator: the studio.")
    parser.add_argument("--preset", default=env("DC_PRESET", "auto"), choices=["auto", *PRESETS],
                        help="model set (env DC_PRESET; default auto: the best that fits this hardware)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where sessions and images are kept (env DC_DATA_DIR; default ./data, /data on a Space)")
    parser.add_argument("--host", default=env("DC_HOST", "0.0.0.0" if on_space else "127.0.0.1"),
                        help="address to serve on (env DC_HOST; default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=int(env("DC_PORT", env("GRADIO_SERVER_PORT", "7860"))),
                        help="port (env DC_PORT; default 7860)")
    parser.add_argument("--auth", default=env("DC_AUTH", ""),
                        help="sign-in: 'user:password[,user2:password2]' (env DC_AUTH; default off)")
    parser.add_argument("--queue-size", type=int, default=int(env("DC_QUEUE_SIZE", "64")),
                        help="requests that may wait in line before 'queue full' (env DC_QUEUE_SIZE)")
    parser.add_argument("--gpu-concurrency", type=int, default=int(env("DC_GPU_CONCURRENCY", "2")),
                        help="rounds that may run at once; their model calls still take turns (env DC_GPU_CONCURRENCY)")
    parser.add_argument("--safety", choices=["auto", "on", "off"], default=env("DC_SAFETY", "auto"),
                        help="image safety check (env DC_SAFETY; default auto: on when the studio is public)")
    parser.add_argument("--compile", action="store_true", default=env("DC_COMPILE") == "1",
                        help="torch.compile the denoiser and the refiner's decoding, warmed up at load: faster rounds on a GPU, "
                             "slower start (env DC_COMPILE=1)")
    parser.add_argument("--offload", choices=OFFLOAD_MODES, default=env("DC_OFFLOAD", "none"),
                        help="for small GPUs: move models to the GPU only while they run (env DC_OFFLOAD)")
    parser.add_argument("--vae-tiling", action="store_true", default=env("DC_VAE_TILING") == "1",
                        help="decode large images in tiles, for small GPUs (env DC_VAE_TILING=1)")
    parser.add_argument("--dtype", choices=["auto", *DTYPE_NAMES], default=env("DC_DTYPE", "auto"),
                        help="model precision (env DC_DTYPE; default auto: bfloat16 on GPUs and on CPUs with bf16 "
                             "instructions, else float32)")
    parser.add_argument("--preload", action=argparse.BooleanOptionalAction, default=env("DC_PRELOAD", "1") != "0",
                        help="load the models in the background as soon as the page is up, so the first round "
                             "does not wait for them (env DC_PRELOAD=0 to turn off; default on)")
    parser.add_argument("--stop-grace", type=_grace, default=env("DC_STOP_GRACE", "30"),
                        help="on SIGTERM, seconds the running rounds get to finish before they are stopped; new "
                             "rounds are refused meanwhile (env DC_STOP_GRACE; default 30)")
    _hosting_arguments(parser, env)
    add_backend_arguments(parser, env)
    args = parser.parse_args(argv)
    auth = []
    for pair in filter(None, (p.strip() for p in args.auth.split(","))):
        user, sep, password = pair.partition(":")
        if not sep or not user or not password:
            parser.error("--auth takes 'user:password' pairs separated by commas")
        auth.append((user, password))
    public = on_space or args.host not in LOOPBACK
    oauth = args.oauth or (on_space and bool(env("OAUTH_CLIENT_ID")))
    if oauth and not on_space:
        parser.error("'Sign in with Hugging Face' (--oauth) works on a Hugging Face Space with `hf_oauth: true` in its "
                     "README metadata; elsewhere give --auth user:password")
    if public and not (auth or oauth or args.allow_anonymous):
        parser.error(f"the studio would be open to anyone who can reach {args.host}, with no sign-in: everyone could "
                     "use the GPU and, without a signed-in name, nobody's work is safe. Give --auth user:password "
                     "(or --oauth on a Space), or, for a public demo, say so with --allow-anonymous "
                     "(env DC_ALLOW_ANONYMOUS=1).")
    if args.compile and on_zero_gpu():
        parser.error("--compile does not work on ZeroGPU: its warm-up runs a model outside a GPU task, and a graph "
                     "compiled in ZeroGPU's GPU process never comes back. Leave DC_COMPILE unset on this Space.")
    return Settings(preset=args.preset, data_dir=args.data_dir or default_data_dir(), host=args.host,
                    port=args.port, auth=tuple(auth), queue_size=args.queue_size,
                    gpu_concurrency=args.gpu_concurrency,
                    safety=args.safety == "on" or (args.safety == "auto" and public),
                    speed=SpeedOptions(compile=args.compile, offload=args.offload, vae_tiling=args.vae_tiling,
                                       vae_slicing=args.vae_tiling, dtype=args.dtype),
                    preload=args.preload, stop_grace=args.stop_grace, hosting=_hosting(args, public, bool(auth), oauth),
                    backends=backends_from(args, parser))


def _hosting_arguments(parser: argparse.ArgumentParser, env) -> None:
    group = parser.add_argument_group("hosting for others", "sign-in and each owner's share (README: Hosting it "
                                                            "for others)")
    group.add_argument("--allow-anonymous", action="store_true", default=env("DC_ALLOW_ANONYMOUS") == "1",
                       help="serve a non-loopback address without sign-in (env DC_ALLOW_ANONYMOUS=1): each browser "
                            "gets an id in a signed cookie; anyone can use the GPU")
    group.add_argument("--oauth", action="store_true", default=env("DC_OAUTH") == "1",
                       help="'Sign in with Hugging Face' (env DC_OAUTH=1; on by itself on a Space with hf_oauth)")
    group.add_argument("--allowed-origins", default=env("DC_ALLOWED_ORIGINS", ""),
                       help="other web origins allowed to call the studio from a browser, comma-separated "
                            "(env DC_ALLOWED_ORIGINS; default none: the studio's own page only)")
    for flag, default, what in (
            ("rounds-per-owner", "2", "rounds and questions one owner may have queued or running"),
            ("requests-per-owner", "16", "requests of any kind one owner may have waiting"),
            ("sessions-per-owner", "500", "sessions one owner may keep"),
            ("images-per-owner", "10000", "candidate images one owner may keep"),
            ("uploads-per-owner", "50", "uploads one owner may hold before they expire"),
            ("upload-mb-per-owner", "200", "megabytes of uploads one owner may hold before they expire"),
            ("upload-expiry", "3600", "seconds before an upload, and Gradio's copies of shown images, are deleted")):
        name = "DC_" + flag.upper().replace("-", "_")
        group.add_argument(f"--{flag}", type=int, default=int(env(name, default)), help=f"{what} (env {name})")
    group.add_argument("--caller-grace", type=float, default=float(env("DC_CALLER_GRACE", "10")),
                       help="seconds a queued request waits for its caller to listen before it is dropped "
                            "(env DC_CALLER_GRACE)")


def _hosting(args, public: bool, auth: bool, oauth: bool) -> Hosting:
    if public and args.allow_anonymous and not (auth or oauth):
        log.warning("THIS STUDIO IS PUBLIC AND ANONYMOUS: anyone who reaches %s can use it and its GPU", args.host)
    return Hosting(allow_anonymous=not (auth or oauth), oauth=oauth,
                   origins=tuple(o.strip() for o in args.allowed_origins.split(",") if o.strip()),
                   rounds_per_owner=args.rounds_per_owner, requests_per_owner=args.requests_per_owner,
                   sessions_per_owner=args.sessions_per_owner, images_per_owner=args.images_per_owner,
                   uploads_per_owner=args.uploads_per_owner, upload_mb_per_owner=args.upload_mb_per_owner,
                   upload_expiry_s=args.upload_expiry, caller_grace_s=args.caller_grace)


def _grace(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds <= MAX_STOP_GRACE_S:  # nan too
        raise argparse.ArgumentTypeError(f"give 0 to {MAX_STOP_GRACE_S:g} seconds, not {text!r}")
    return seconds


def hub_reachable(timeout: float = 2.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    try:
        socket.create_connection(HUB_HOST, timeout=timeout).close()
        return True
    except OSError:
        return False


def choose_preset(name: str, backends: Backends = Backends()) -> tuple[Preset, list[Message]]:
    """The preset to run and the warnings to show: a real preset whose weights can't be had falls back to tiny (the
    weights of a role on an LLM server are not needed here; a generator pool's tokenizer is)."""
    preset = get_preset(name)
    notes = []
    missing = missing_weights(preset, served=("refiner",) if backends.refiner else ())
    if missing and not hub_reachable():
        notes.append(Message("note.weights_missing", {"preset": preset.name, "missing": ", ".join(missing)}))
        preset = get_preset("tiny")
    if preset.name == "tiny" and not notes:
        notes.append(Message("note.tiny"))
    return preset, notes


def storage_notes(settings: Settings) -> list[Message]:
    if settings.on_space and not Path(settings.data_dir).is_relative_to(SPACE_DATA_DIR):
        return [Message("note.no_storage")]
    return []
