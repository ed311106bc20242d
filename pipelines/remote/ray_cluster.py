"""Joining the Ray cluster of a generator pool, once per process: Ray Client's token, the project's code shipped
with the job, and the studio's stop signal kept. Ray is imported only when a pool is used."""
from __future__ import annotations

import ctypes
import os
import queue
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipelines.base import ModelUnavailable

if TYPE_CHECKING:
    from pipelines.backends import RayPool

SIGACTION_BYTES = 512  # room for any libc's `struct sigaction` (152 bytes on x86-64 glibc), copied back untouched


def join_cluster(pool: RayPool) -> None:
    """Connect this process to the pool's Ray cluster, once (a process joins one cluster)."""
    import ray

    if ray.is_initialized():
        return
    if pool.address.startswith("ray://"):
        send_cluster_token()
    import pipelines

    # The replicas run this studio's own `pipelines` code, shipped with the job (Serve deployments inherit it): a
    # cluster's nodes need Ray, torch, diffusers and transformers installed, not this project.
    code = {"py_modules": [str(Path(pipelines.__file__).parent)], "excludes": ["__pycache__"]}
    try:
        with keeping_stop_signal():
            start_driver(pool, code)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as err:
        raise ModelUnavailable(
            f"Could not join the Ray cluster at {pool.address} for the generator pool ({first_line(err)}): "
            f"is the cluster running? Start one with `ray start --head --node-ip-address=127.0.0.1 "
            f"--ray-client-server-port=10001`, or run the generator in this process (--generator local). A "
            f"cluster on another machine also needs its token here: RAY_AUTH_TOKEN, or its ~/.ray/auth_token.") \
            from err


def start_driver(pool: RayPool, code: dict) -> None:
    import ray

    if pool.address != "local":
        ray.init(address=pool.address, log_to_driver=False, runtime_env=code)
        return
    # A cluster of this process's own, reachable from this machine only. Ray starts its processes (GCS, raylet)
    # to die with the *thread* that started them (Linux's parent-death signal is per thread): started on the thread
    # that loads the models (the studio's preload), they died with it, and the studio with them. They are started
    # on a thread that lives as long as the process.
    started: queue.Queue = queue.Queue(maxsize=1)

    def keep_cluster() -> None:
        try:
            ray.init(address="local", include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
                     runtime_env=code)
        except BaseException as err:  # handed to the caller, which raises it
            started.put(err)
            return
        started.put(None)
        threading.Event().wait()  # never set: the cluster's processes live while this thread does

    threading.Thread(target=keep_cluster, name="ray-local-cluster", daemon=True).start()
    failure = started.get()
    if failure is not None:
        raise failure


@contextmanager
def keeping_stop_signal() -> Iterator[None]:
    """Keep this process's SIGTERM handler through `ray.init`. A Ray driver installs a crash handler for SIGTERM
    that aborts the process (seen with Ray 2.60: `python app.py` sent SIGTERM exited 134, no drain); the studio's
    own handler drains the running rounds first. Saved and restored at the C level: `ray.init` may run on a
    thread other than the main one, where Python's `signal.signal` cannot be called."""
    libc = ctypes.CDLL(None, use_errno=True) if os.name == "posix" else None
    saved = ctypes.create_string_buffer(SIGACTION_BYTES)
    kept = libc is not None and libc.sigaction(signal.SIGTERM, None, saved) == 0
    try:
        yield
    finally:
        if kept:
            libc.sigaction(signal.SIGTERM, saved, None)


def send_cluster_token() -> None:
    """Ray Client sends the cluster's token (token auth is on by default) only in token mode, which a driver on the
    cluster's own machine enters by itself when a token is at hand (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or
    ~/.ray/auth_token): do the same for Ray Client, with Ray's own function (private in Ray 2.60)."""
    if "RAY_AUTH_MODE" in os.environ:
        return
    try:
        from ray._private.authentication.authentication_token_setup import \
            maybe_enable_token_auth_if_token_available
    except ImportError:  # another Ray: its users set RAY_AUTH_MODE=token themselves
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


def first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
