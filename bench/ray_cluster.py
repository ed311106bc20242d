"""A Ray cluster of the benchmark's own on loopback, for `bench/load.py --ray-cluster`.

Why not the studio's `--generator ray:local`: Ray starts its GCS and raylet "fate-shared" with the thread that
called `ray.init` (`prctl(PR_SET_PDEATHSIG, SIGKILL)`, which Linux fires when that *thread* ends), and the studio
joins the pool from its preload thread, which ends once the models are loaded: the cluster dies seconds later
(seen on 2026-11-30: every `gcs_server.out` stops 2-5 s after "models loaded"). `ray start --head --block` keeps
its processes for as long as it runs; stopping it (SIGTERM to it alone, never `ray stop`, which stops every Ray
cluster on the machine) stops them.
"""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

from bench.launcher import HOST, free_port

READY_S = 120


@contextlib.contextmanager
def ray_cluster(log_dir: Path, cpus: int = 2) -> Iterator[tuple[str, int]]:
    """`ray start --head --block` on loopback; yields the Ray Client address ("ray://127.0.0.1:PORT") and the pid
    under which all the cluster's processes run (for its CPU)."""
    if not shutil.which("ray"):
        raise RuntimeError("--ray-cluster needs Ray: pip install -r requirements-scale.txt")
    gcs, client = free_port(), free_port()
    log = open(log_dir / "ray-head.log", "wb")
    head = subprocess.Popen(
        ["ray", "start", "--head", "--block", f"--node-ip-address={HOST}", f"--port={gcs}",
         f"--ray-client-server-port={client}", f"--num-cpus={cpus}", "--include-dashboard=false",
         "--disable-usage-stats"], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(client, head)
        yield f"ray://{HOST}:{client}", head.pid
    finally:
        head.terminate()  # `ray start --block` stops what it started when it is stopped
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        log.close()


def _wait_for_port(port: int, head: subprocess.Popen) -> None:
    deadline = time.perf_counter() + READY_S
    while time.perf_counter() < deadline:
        if head.poll() is not None:
            raise RuntimeError(f"`ray start` exited with {head.returncode}: see ray-head.log")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.5)
    raise RuntimeError(f"Ray's client server did not listen on {HOST}:{port} within {READY_S} s")
