"""Start `python app.py` in its own process on a free loopback port and wait until the page answers 200.

The one launcher of the benchmarks (bench/load.py, bench/page.py) and the end-to-end tests (tests/server.py).
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only
DRAINED = "rounds drained: "  # the studio's log line once a stop signal has drained its rounds


@dataclass
class RunningStudio:
    url: str
    log_file: Path
    process: subprocess.Popen
    seconds_to_page: float  # process start -> first HTTP 200 of the page

    @property
    def log(self) -> str:
        return self.log_file.read_text(errors="replace")


def offline_env(**extra: str) -> dict[str, str]:
    """No hub, no calls home, unbuffered logs."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1", "PYTHONUNBUFFERED": "1", **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", errors="replace")


@contextlib.contextmanager
def studio_process(*args: str, preset: str = "tiny", log_dir: Path, cwd: Path = ROOT,
                   env: dict[str, str] | None = None, startup_s: float = 60,
                   port: int | None = None) -> Iterator[RunningStudio]:
    """`python app.py --preset PRESET --port PORT ARGS` run from `cwd`, up until the block ends (PORT: a free one
    unless given, as a restart on the same address needs). Raises RuntimeError, with the log, when it exits or
    stays silent for `startup_s` seconds."""
    port = port or free_port()
    log_file = log_dir / f"studio-{preset}-{port}.log"
    started = time.perf_counter()
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--preset", preset, "--port", str(port), *args],
            cwd=cwd, env=offline_env(**(env or {})), stdout=log, stderr=subprocess.STDOUT)
    studio = RunningStudio(f"http://{HOST}:{port}/", log_file, process, seconds_to_page=float("nan"))
    try:
        studio.seconds_to_page = _wait_until_up(studio, started, startup_s)
        yield studio
    finally:
        stop(studio)


def stop(studio: RunningStudio, drain_s: float = 10) -> None:
    """SIGTERM: the studio drains its rounds (its --stop-grace) and closes. Once its log says the rounds are
    drained, a second SIGTERM tells it not to wait for connections still open (every gradio_client keeps a
    heartbeat stream open, which the server would wait seconds for): it closes at once, its store included.
    Killed if it has not exited `drain_s` seconds after the first signal."""
    process = studio.process
    process.terminate()
    deadline = time.perf_counter() + drain_s
    while process.poll() is None and time.perf_counter() < deadline:
        if DRAINED in studio.log:
            process.terminate()  # the server's "second signal: stop now"
            break
        time.sleep(0.05)
    try:
        process.wait(timeout=max(0.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_until_up(studio: RunningStudio, started: float, startup_s: float) -> float:
    while time.perf_counter() - started < startup_s:
        if studio.process.poll() is not None:
            raise RuntimeError(f"the studio exited with {studio.process.returncode} before serving:\n{studio.log}")
        with contextlib.suppress(OSError):
            if get(studio.url, timeout=2)[0] == 200:
                return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError(f"the studio did not answer 200 on {studio.url} within {startup_s:.0f} s:\n{studio.log}")
