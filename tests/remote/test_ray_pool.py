"""The generator pool on Ray Serve: a real local Ray cluster bound to 127.0.0.1, tiny models, one cluster for the
module. Renders are held at a step by a gate actor (`StepGate`) that the replicas wait on, so every kill, stop and
race here is driven by events, never by a clock.

Tiny models have random weights: these tests prove plumbing (streams, stops, retries, merging), never a good image.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("ray.serve")

import ray  # noqa: E402
from ray import serve  # noqa: E402

from fakes import PausingGenerator, RecordingGenerator, SwappedModels  # noqa: E402
from pipelines.backends import Backends, RayPool  # noqa: E402
from pipelines.base import RenderRequest  # noqa: E402
from pipelines.presets import PRESETS  # noqa: E402
from pipelines.registry import ModelRegistry  # noqa: E402
from pipelines.remote.generator_deployment import GATE_NAMESPACE  # noqa: E402
from pipelines.remote.ray_cluster import join_cluster  # noqa: E402
from pipelines.remote.ray_pool import PoolGenerator  # noqa: E402
from studio.core.params import RoundParams  # noqa: E402
from studio.core.session import RoundStatus  # noqa: E402
from studio.engine import Studio  # noqa: E402
from studio.engine.events import Finished, Rendering  # noqa: E402

TINY = PRESETS["tiny"]
BRIEF = "A jazz festival poster, navy and gold"
GATE = "dc-test-step-gate"
POOL = RayPool("local", app_name="dc-generator-test", min_replicas=2, max_replicas=2, cpus_per_replica=0.5,
               max_batch_size=1)  # one request a replica at a time: a second request goes to the free replica
# One replica that merges two requests; it waits long for the second, so the two always meet (a test never
# waits that long: both are sent at once).
MERGING = RayPool("local", app_name="dc-generator-test-merge", min_replicas=1, max_replicas=1, cpus_per_replica=0.5,
                  max_batch_size=2, batch_wait_s=60.0)
ROOT = Path(__file__).resolve().parents[2]
REPLICA_THREADS = 1  # Ray gives a replica of half a CPU one OpenMP thread
HELD_S = 60  # a gate never holds a replica longer, even when a test goes wrong


@ray.remote(num_cpus=0)
class StepGate:
    """Where replicas wait after each step's event: `hold` keeps renders at a step until `open`; `barrier` keeps
    them until all its parties have arrived. Steps without a rule pass at once."""

    def __init__(self):
        import asyncio

        self.rules: dict[int, dict] = {}
        self.opened = asyncio.Event()

    def hold(self, step: int, count: int) -> None:
        self.opened.clear()
        self.rules[step] = {"kind": "hold", "left": count}

    def barrier(self, step: int, parties: int) -> None:
        import asyncio

        self.rules[step] = {"kind": "barrier", "left": parties, "arrived": [], "all_in": asyncio.Event()}

    def open(self) -> None:
        self.rules.clear()
        self.opened.set()

    async def passing(self, replica: str, step: int) -> None:
        import asyncio

        rule = self.rules.get(step)
        if rule is None or rule["left"] == 0:
            return
        rule["left"] -= 1
        if rule["kind"] == "hold":
            await asyncio.wait_for(self.opened.wait(), HELD_S)
            return
        rule["arrived"].append(replica)
        if rule["left"] == 0:
            rule["all_in"].set()
        await asyncio.wait_for(rule["all_in"].wait(), HELD_S)


@dataclass(frozen=True)
class Cluster:
    gate: object  # the StepGate actor
    sigterm_before: bytes  # this process's SIGTERM handler (C level) before joining, and after
    sigterm_after: bytes


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    """A local Ray cluster on loopback with the step gate; Serve and Ray are shut down at the end."""
    before = sigterm_handler()
    # As a studio joins: on a thread that loads the models and ends (the preload), to a cluster of this process's
    # own, the project's code shipped to it. Every test below needs the cluster to outlive that thread.
    joined = []
    loading = threading.Thread(target=lambda: joined.append(join_cluster(POOL) or "joined"), name="preload")
    loading.start()
    loading.join()
    assert joined == ["joined"]
    try:
        yield Cluster(StepGate.options(name=GATE, namespace=GATE_NAMESPACE).remote(), before, sigterm_handler())
    finally:
        serve.shutdown()
        ray.shutdown()


@pytest.fixture(scope="module")
def gate(cluster):
    return cluster.gate


def sigterm_handler() -> bytes:
    """The address of the process's SIGTERM handler, as the C library has it."""
    action = ctypes.create_string_buffer(512)
    assert ctypes.CDLL(None).sigaction(signal.SIGTERM, None, action) == 0
    return action.raw[:ctypes.sizeof(ctypes.c_void_p)]


@pytest.fixture(scope="module")
def pooled(gate, tiny_registry) -> SwappedModels:
    """The tiny preset with its generator on the pool (two replicas, deployed here with the gate): the generator
    as the studio's registry makes it for `Backends(generator=POOL)`; the other roles are the run's tiny models."""
    PoolGenerator(POOL, TINY, step_gate=GATE)  # deploys the application; the registry's own client joins it
    generator = ModelRegistry(TINY, backends=Backends(generator=POOL)).generator()
    return SwappedModels(tiny_registry, wrap_generator=lambda _: generator)


@pytest.fixture
def held(gate):
    """The gate, opened again after the test whatever happened."""
    try:
        yield gate
    finally:
        ray.get(gate.open.remote())


def in_process(tiny_registry, request: RenderRequest) -> list[bytes]:
    """`request` rendered in this process, with a replica's one CPU thread: on the CPU the thread count changes
    the sums' order, and so, now and then, a pixel by one level (measured)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(REPLICA_THREADS)
    try:
        return [image.tobytes() for image in tiny_registry.generator().render(request)]
    finally:
        torch.set_num_threads(threads)


def stored_pixels(studio: Studio, owner: str, session_id: str, index: int) -> list[bytes]:
    return [image.convert("RGB").tobytes() for image, _ in studio.round_images(owner, session_id, index)]


def run_round(studio: Studio, owner: str, session_id: str, on_event=lambda event: None, **params):
    events = []
    for event in studio.run_round(owner, session_id, params=RoundParams(**params)):
        events.append(event)
        on_event(event)
    assert isinstance(events[-1], Finished), events[-1]
    return events


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_report(pool: PoolGenerator, request_id: str):
    """The replica's own account of the stopped render. A call reaches either replica: the one that never had the
    request answers None at once, the one that had it answers once the render has ended."""
    for _ in range(50):
        report = pool.handle.stop_report.remote(request_id, 30.0).result(timeout_s=60)
        if report is not None:
            return report
    raise AssertionError(f"no replica reported stopping {request_id}")


# ---------------------------------------------------------------- tests
def test_a_studio_pointed_at_a_cluster_that_is_not_running_is_told_to_start_one():
    """In a fresh process (this one joins its own cluster below), with Ray Client's connection timeout cut short."""
    joining = ("from pipelines.backends import RayPool\n"
               "from pipelines.base import ModelUnavailable\n"
               "from pipelines.presets import PRESETS\n"
               "from pipelines.remote.ray_pool import PoolGenerator\n"
               "try:\n"
               "    PoolGenerator(RayPool('ray://127.0.0.1:%d'), PRESETS['tiny'])\n"
               "except ModelUnavailable as err:\n"
               "    print(err)\n" % closed_port())
    env = {**os.environ, "RAY_CLIENT_INITIAL_CONNECTION_TIMEOUT_S": "1", "RAY_CLIENT_MAX_CONNECTION_TIMEOUT_S": "1",
           "PYTHONPATH": str(ROOT)}
    said = subprocess.run([sys.executable, "-c", joining], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120).stdout
    assert "Could not join the Ray cluster at ray://127.0.0.1:" in said and "is the cluster running?" in said, said


def test_joining_the_cluster_leaves_the_studios_stop_signal_handler_in_place(cluster):
    """A Ray driver's crash handler would turn the studio's SIGTERM (drain the rounds, then exit) into an abort."""
    assert cluster.sigterm_after == cluster.sigterm_before


def test_a_round_through_the_pool_streams_its_steps_and_renders_the_in_process_pixels(pooled, tiny_registry,
                                                                                     store):
    requests = []
    studio = Studio(store, SwappedModels(pooled, wrap_generator=lambda g: RecordingGenerator(g, requests)))
    session = studio.start_session("alice", BRIEF)
    events = run_round(studio, "alice", session.id, count=2, seed=7)
    done = events[-1].round
    assert done.status is RoundStatus.DONE, done.error
    assert [(e.step, e.total) for e in events if isinstance(e, Rendering)] == [(1, TINY.steps), (2, TINY.steps)]
    assert stored_pixels(studio, "alice", session.id, 0) == in_process(tiny_registry, requests[0])
    pool = pooled.generator()
    assert pool.recent[-1].outcome == "rendered" and pool.recent[-1].replica.startswith("SERVE_REPLICA::")
    assert done.params.environment["device"] == "cpu"  # what the replica said of itself
    assert pool.count_prompt_tokens("navy and gold") == tiny_registry.generator().count_prompt_tokens("navy and gold")


def test_two_owners_rounds_at_once_render_on_both_replicas(pooled, held, store):
    studio = Studio(store, pooled)
    sessions = {owner: studio.start_session(owner, BRIEF) for owner in ("alice", "bob")}
    ray.get(held.barrier.remote(1, 2))  # each render waits at its first step until the other has started
    ended = {}

    def designer(owner: str) -> None:
        ended[owner] = run_round(studio, owner, sessions[owner].id, count=2)[-1].round

    threads = [threading.Thread(target=designer, args=(owner,)) for owner in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [r.status for r in ended.values()] == [RoundStatus.DONE, RoundStatus.DONE]
    last_two = list(pooled.generator().recent)[-2:]
    assert len({r.replica for r in last_two}) == 2, last_two


@pytest.mark.parametrize("through", ["stream", "relay"])
def test_stop_during_a_pooled_render_interrupts_the_round_and_the_replica_stops(pooled, held, store, through):
    """Through the relay as well: how a studio joined through Ray Client reads the replica's stream."""
    pool = pooled.generator() if through == "stream" else PoolGenerator(POOL, TINY, relay=True)
    paused, go_on = threading.Event(), threading.Event()
    studio = Studio(store, SwappedModels(pooled, wrap_generator=lambda _: PausingGenerator(pool, paused, go_on)))
    session = studio.start_session("alice", BRIEF)
    ray.get(held.hold.remote(2, 1))  # the replica renders on only once its caller has gone away

    def stop_at_first_step(event) -> None:
        if isinstance(event, Rendering) and not go_on.is_set():
            assert paused.wait(30)
            assert studio.cancel("alice", session.id) is True
            go_on.set()

    stopped = run_round(studio, "alice", session.id, stop_at_first_step, count=2, steps=4)[-1].round
    assert stopped.status is RoundStatus.INTERRUPTED
    assert pool.recent[-1].outcome == "stopped"
    report = stop_report(pool, pool.recent[-1].request_id)
    assert report.replica == pool.recent[-1].replica and report.stopped_at_step == 3  # of 4: it stopped rendering


def test_compatible_requests_merge_into_one_render_and_each_gets_its_own_pixels(gate, tiny_registry):
    merging = PoolGenerator(MERGING, TINY)
    asked = {"cat": RenderRequest("a red cat", (1, 2), width=64, height=64, steps=2),
             "dog": RenderRequest("a blue dog", (3,), width=64, height=64, steps=2),
             "guided cat": RenderRequest("a red cat", (1, 2), width=64, height=64, steps=2, guidance=3.0),
             "guided dog": RenderRequest("a blue dog", (3,), width=64, height=64, steps=2, guidance=3.0)}
    rendered = {}

    def designer(name: str) -> None:
        rendered[name] = [image.tobytes() for image in merging.render(asked[name])]

    for pair in (("cat", "dog"), ("guided cat", "guided dog")):
        threads = [threading.Thread(target=designer, args=(name,)) for name in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert [r.batch_size for r in merging.recent] == [2, 2, 1, 1]  # guided requests render alone
    for name, request in asked.items():
        assert rendered[name] == in_process(tiny_registry, request), name


def test_a_replica_killed_mid_round_is_replaced_by_a_retry_and_the_session_is_intact(pooled, held, tiny_registry,
                                                                                    store):
    requests = []
    studio = Studio(store, SwappedModels(pooled, wrap_generator=lambda g: RecordingGenerator(g, requests)))
    session = studio.start_session("alice", BRIEF)
    before = run_round(studio, "alice", session.id, count=2)[-1].round
    pool = pooled.generator()
    ray.get(held.hold.remote(1, 1))  # the first render waits at step 1: killed there
    killed = []

    def kill_at_first_step(event) -> None:
        if isinstance(event, Rendering) and not killed:
            killed.append(next(iter(pool.rendering.values())))
            ray.kill(ray.get_actor(killed[0], namespace="serve"), no_restart=True)

    done = run_round(studio, "alice", session.id, kill_at_first_step, count=2, seed=11)[-1].round
    assert done.status is RoundStatus.DONE, done.error
    assert (pool.recent[-1].attempts, pool.recent[-1].outcome) == (2, "rendered")
    assert pool.recent[-1].replica != killed[0]
    assert stored_pixels(studio, "alice", session.id, 1) == in_process(tiny_registry, requests[-1])
    assert studio.open_session("alice", session.id).rounds[0] == before


def test_a_pool_that_keeps_losing_replicas_fails_the_round_clearly(pooled, held, store):
    one_try = PoolGenerator(RayPool("local", app_name=POOL.app_name, retries=0), TINY)
    studio = Studio(store, SwappedModels(pooled, wrap_generator=lambda _: one_try))
    session = studio.start_session("alice", BRIEF)
    ray.get(held.hold.remote(1, 1))

    def kill_at_first_step(event) -> None:
        if isinstance(event, Rendering):
            ray.kill(ray.get_actor(next(iter(one_try.rendering.values())), namespace="serve"), no_restart=True)

    failed = run_round(studio, "alice", session.id, kill_at_first_step, count=2)[-1].round
    assert failed.status is RoundStatus.FAILED
    assert "lost the replica rendering this round once" in str(failed.error), failed.error
    assert one_try.recent[-1].outcome == "lost"
