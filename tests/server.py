"""The studio as a designer meets it: `python app.py` in its own process, on a free port.

Used by the end-to-end tests (tests/test_app.py, tests/test_browser.py); not a fixture module,
so each test file decides its own scope.
"""
from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Iterator

from bench.launcher import ROOT, RunningStudio, free_port, get, offline_env, studio_process

__all__ = ["ROOT", "RunningStudio", "free_port", "get", "offline_env", "run_app", "running_studio", "studio_process"]


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
