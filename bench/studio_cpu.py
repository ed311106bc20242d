"""How busy the studio process is while designers use it, and with what: bench/load.py's meters.

`CpuMeter`: the CPU time the studio process used over a window, and its child processes' (a Ray pool's
raylet and replicas, when the generator runs there), in cores (CPU seconds per wall second).

`GilProfile`: py-spy (`py-spy record --gil --format raw`) samples, at RATE a second, the stack of whichever
thread holds the studio's GIL. Every Python line of the studio, Gradio's queue, the models' glue and the models'
own Python runs under that one lock, so the share of ticks with a holder is how close the process is to its
ceiling of one core of Python; stacks that pass through a model library are the models' share, the rest (Gradio,
uvicorn, the studio, SQLite, image encoding) the studio's own. A model's kernels (torch's C++) mostly run with the
GIL released: they show in `CpuMeter`, not here.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import psutil

RATE = 100  # py-spy samples a second
# A stack that passes through one of these is the models' work (the library, or our glue that calls it).
MODEL_PATHS = ("/torch/", "/diffusers/", "/transformers/", "/tokenizers/", "/accelerate/", "/safetensors/",
               "/rapidocr/", "/onnxruntime/", "/nudenet/", "/pipelines/")
STACK_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")


def cpu_seconds(process: psutil.Process) -> dict[int, float]:
    """CPU seconds by pid: this process's, and each of its live descendants'."""
    seconds = {}
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = p.cpu_times()
            seconds[p.pid] = times.user + times.system
    return seconds


class CpuMeter:
    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.began = time.perf_counter()
        self.seconds = cpu_seconds(self.process)

    def stop(self) -> dict:
        wall = time.perf_counter() - self.began
        used = {pid: s - self.seconds.get(pid, 0.0) for pid, s in cpu_seconds(self.process).items()}
        own = used.pop(self.process.pid, 0.0)
        return {"studio_cpu_cores": round(own / wall, 2),
                # a child that ended within the window took its CPU time with it: a floor, not a total
                "children_cpu_cores": round(sum(used.values()) / wall, 2),
                "machine_cores": psutil.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}


class GilProfile:
    """py-spy on the studio from construction to `stop()`; None figures when py-spy is not installed."""

    def __init__(self, pid: int, output: Path):
        self.output = output
        self.began = time.perf_counter()
        self.spy = None
        if shutil.which("py-spy"):
            self.spy = subprocess.Popen(
                ["py-spy", "record", "--pid", str(pid), "--gil", "--nonblocking", "--full-filenames", "--format",
                 "raw", "--rate", str(RATE), "--output", str(output)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> dict:
        if self.spy is None:
            return {"gil_busy": None, "gil_studio": None, "gil_models": None}
        wall = time.perf_counter() - self.began
        self.spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            self.spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.spy.kill()
            self.spy.wait()
        shares = split_samples(self.output.read_text(errors="replace") if self.output.exists() else "")
        ticks = RATE * wall
        return {"gil_busy": round(sum(shares.values()) / ticks, 3),
                "gil_studio": round(shares["studio"] / ticks, 3), "gil_models": round(shares["models"] / ticks, 3),
                "gil_top_studio": top_studio_frames(self.output), "profile": str(self.output)}


def split_samples(raw: str) -> Counter:
    """Sample counts of py-spy's collapsed stacks, as "models" and "studio"."""
    shares: Counter = Counter(models=0, studio=0)
    for line in raw.splitlines():
        if match := STACK_LINE.match(line.strip()):
            kind = "models" if any(p in match["stack"] for p in MODEL_PATHS) else "studio"
            shares[kind] += int(match["count"])
    return shares


def top_studio_frames(output: Path, count: int = 5) -> list[tuple[str, int]]:
    """The studio's leaf functions that held the GIL most: where its own time goes."""
    if not output.exists():
        return []
    leaves: Counter = Counter()
    for line in output.read_text(errors="replace").splitlines():
        if (match := STACK_LINE.match(line.strip())) and not any(p in match["stack"] for p in MODEL_PATHS):
            leaf = match["stack"].split(";")[-1]
            leaves[re.sub(r" \((/[^:]*/)?", " (", leaf)] += int(match["count"])
    return leaves.most_common(count)
