"""The studio as a designer meets it: `python app.py` in its own process, on a free port.

Used by the end-to-end tests (tests/test_app.py, tests/test_browser.py); not a fixture module,
so each test file decides its own scope.
"""
from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

from gradio_client import Client

from bench.launcher import ROOT, RunningStudio, free_port, get, offline_env, studio_process

__all__ = ["ROOT", "RunningStudio", "free_port", "get", "hang_up", "offline_env", "run_app", "running_studio",
           "studio_process"]


def run_app(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python app.py ARGS` to completion (for --help and other quick exits)."""
    return subprocess.run([sys.executable, "app.py", *args], cwd=ROOT, env=offline_env(), capture_output=True,
                          text=True, timeout=timeout)


@contextlib.contextmanager
def running_studio(data_dir: Path, preset: str = "tiny") -> Iterator[RunningStudio]:
    """`python app.py --preset PRESET --data-dir DATA_DIR --port <free>`, up until the block ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with studio_process("--data-dir", str(data_dir), preset=preset, log_dir=data_dir.parent) as studio:
        yield studio


def hang_up(client: Client) -> None:
    """`client.close()` without its wait. gradio_client 2.7's close() tells its heartbeat thread to stop and then
    waits up to 1 s for it, but the thread only looks up at the studio's next heartbeat, seconds away: every close
    took that full second. The thread is told to stop exactly as close() tells it, and leaves at that heartbeat.
    (Should a gradio_client release stop it otherwise, this is close() itself.)"""
    stop = getattr(client, "_kill_heartbeat", None)
    if isinstance(stop, threading.Event):
        stop.set()
    else:
        client.close()
