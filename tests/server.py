"""The studio as a designer meets it: `python app.py` in its own process, on a free port.

Used by the end-to-end tests (tests/test_app.py, tests/test_browser.py); not a fixture module,
so each test file decides its own scope.
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
STARTUP_SECONDS = 60  # imports and the first page; the tiny models load on the first round


@dataclass
class RunningStudio:
    url: str
    log_file: Path
    process: subprocess.Popen

    @property
    def log(self) -> str:
        return self.log_file.read_text(errors="replace")


def offline_env(**extra: str) -> dict[str, str]:
    """The environment of every studio the tests start: no hub, no calls home."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1", "PYTHONUNBUFFERED": "1", **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", errors="replace")


def run_app(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python app.py ARGS` to completion (for --help and other quick exits)."""
    return subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, env=offline_env(), capture_output=True,
                          text=True, timeout=timeout)


@contextlib.contextmanager
def studio_process(*args: str, preset: str = "tiny", cwd: Path = ROOT, env: dict[str, str] | None = None,
                   log_dir: Path) -> Iterator[RunningStudio]:
    """`python app.py --preset PRESET --port <free> ARGS` run from `cwd`, up until the block ends."""
    port = free_port()
    log_file = log_dir / f"studio-{preset}-{port}.log"
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--preset", preset, "--port", str(port), *args],
            cwd=cwd, env=offline_env(**(env or {})), stdout=log, stderr=subprocess.STDOUT)
    studio = RunningStudio(f"http://127.0.0.1:{port}/", log_file, process)
    try:
        _wait_until_up(studio)
        yield studio
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def running_studio(data_dir: Path, preset: str = "tiny") -> Iterator[RunningStudio]:
    """`python app.py --preset PRESET --data-dir DATA_DIR --port <free>`, up until the block ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with studio_process("--data-dir", str(data_dir), preset=preset, log_dir=data_dir.parent) as studio:
        yield studio


def _wait_until_up(studio: RunningStudio) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if studio.process.poll() is not None:
            raise RuntimeError(f"the studio exited with {studio.process.returncode} before serving:\n{studio.log}")
        with contextlib.suppress(OSError):
            if get(studio.url, timeout=2)[0] == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(f"the studio did not answer 200 on {studio.url} within {STARTUP_SECONDS} s:\n{studio.log}")
