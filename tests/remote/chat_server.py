"""A real OpenAI-compatible chat server on loopback for the remote backends' tests: `transformers serve`.

`start_server(model_dir)` starts one and yields it once it answers; every process it starts is stopped on the
way out. Any model folder `transformers serve` loads will do (the tiny Qwen2, a tiny VLM).
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

READY_LIMIT_S = 120  # generous: five people share two cores; the server is usually up in ~10 s
HELD_SERVE = Path(__file__).with_name("held_serve.py")


@dataclass(frozen=True)
class Served:
    base_url: str  # http://127.0.0.1:PORT/v1
    model: str  # the name the server knows the model by: its folder
    process: subprocess.Popen
    log: Path  # the server's stdout and stderr, for a failing test's message
    hold: Path | None = None  # while this file exists, each reply waits after its first text (held_serve.py)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(served: Served) -> None:
    """Until the server lists its models (the model is loaded at start with a forced model)."""
    deadline = time.monotonic() + READY_LIMIT_S
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail(f"transformers serve exited ({served.process.returncode}): {served.log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):  # refused while it starts; URLError and HTTPError are OSErrors
            with urllib.request.urlopen(f"{served.base_url}/models", timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.2)
    pytest.fail(f"transformers serve did not answer in {READY_LIMIT_S} s: {served.log.read_text()[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    """Its whole process group: uvicorn's workers and the inference thread go with it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


@contextlib.contextmanager
def start_server(model_dir: Path, workdir: Path, hold: Path | None = None, extra_args: tuple[str, ...] = (),
                 ready: bool = True) -> Iterator[Served]:
    """`transformers serve model_dir` on 127.0.0.1, offline, its log and hub cache under `workdir`.

    `hold`: a file that, while it exists, holds each reply after its first text (tests/remote/held_serve.py).
    `ready=False` yields at once, for a test with other work to do while the server starts: `wait_ready` it."""
    pytest.importorskip("openai")
    pytest.importorskip("transformers.cli.serving.utils", reason="needs transformers[serving]")
    workdir.mkdir(parents=True, exist_ok=True)
    cache = workdir / "hub-cache"  # /v1/models answers 500 unless HF_HUB_CACHE is an existing folder
    cache.mkdir(exist_ok=True)
    port, log = free_port(), workdir / "serve.log"
    launcher = [sys.executable, str(HELD_SERVE), str(hold)] if hold else [sys.executable, "-m", "transformers.cli.transformers"]
    command = [*launcher, "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu",
               *extra_args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "TRANSFORMERS_VERBOSITY": "error"}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    served = Served(f"http://127.0.0.1:{port}/v1", str(model_dir), process, log, hold)
    try:
        if ready:
            wait_ready(served)
        yield served
    finally:
        stop(process)


def talkative_qwen2(folder: Path) -> Path:
    """The tiny Qwen2 with weights that make its greedy reply many different tokens.

    The tiny preset's Qwen2 answers every prompt with the same newline token, which the server's incremental
    decoder holds back to the end: one delta, nothing to stream. Same classes, same tokenizer, other numbers."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from pipelines import tiny

    if (folder / "config.json").exists():
        return folder
    source = tiny.ensure("qwen2")
    model, tokenizer = AutoModelForCausalLM.from_pretrained(source), AutoTokenizer.from_pretrained(source)
    torch.manual_seed(0)
    with torch.no_grad():
        for weight in model.parameters():
            if weight.dim() > 1:
                weight.normal_(0, 0.5)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
