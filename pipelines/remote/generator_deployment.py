"""The generator as a Ray Serve deployment: each replica renders with the studio's own in-process generator.

A replica answers `render` as a stream: `Started` (which replica took the request), one `StepEvent` per
denoising step (previews included when asked for), then `Rendered` (the images, and how many requests were
merged into the one render). Requests from many designers whose settings allow it are merged by
`@serve.batch` into one render (`merge_key`). When a request's caller goes away (the designer pressed Stop:
the client cancels its response), the render stops at its next step, unless another merged request still
wants it. Imported only where Ray is installed (`pipelines.remote.ray_pool` imports it lazily).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, AsyncIterator

import ray
from ray import serve

from pipelines.base import Interrupted, RenderRequest, SpeedOptions, StepEvent

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)
GATE_NAMESPACE = "dc-generator-pool"  # where a replica looks for its step gate (a named Ray actor)
GATE_POLL_S = 0.1  # how often a replica held at the gate looks whether its callers went away
REMEMBERED_REQUESTS = 1000  # a replica answers `stop_report` for this many of its latest requests


# ---------------------------------------------------------------- what a replica streams back
@dataclass(frozen=True)
class Started:
    replica: str  # the replica's Ray actor name (`ray.get_actor(replica, namespace="serve")`)
    request_id: str


@dataclass(frozen=True)
class Rendered:
    images: tuple[Image, ...]
    replica: str
    batch_size: int  # requests merged into the render that made these images (1: rendered alone)


@dataclass(frozen=True)
class StopReport:
    """What a replica did with a request whose caller went away."""

    request_id: str
    replica: str
    stopped_at_step: int  # the step at which the render stopped; 0: it had finished (or never started)


def merge_key(request: RenderRequest) -> tuple | None:
    """Requests with the same key render as one batch; None: this one renders alone.

    Measured on the tiny preset on the CPU: without classifier-free guidance a seed gives the same pixels in a
    merged batch as alone; with guidance > 1 (the batch doubles for the unconditional pass) some differ by one
    level. Merging must not change a round's pixels (a reproduction renders it alone), so guided requests
    render alone, as do image-to-image, inpainting and style-reference requests (their images differ)."""
    if request.init_image is not None or request.mask is not None or request.style_image is not None:
        return None
    if request.guidance > 1:
        return None
    return (request.width, request.height, request.steps, request.guidance, request.negative, request.previews)


def merged(requests: list[RenderRequest]) -> RenderRequest:
    """One request rendering every seed of `requests`, each with its own prompt, in order."""
    prompts = tuple(p for r in requests for p in (r.prompts or (r.prompt,) * len(r.seeds)))
    return replace(requests[0], prompt=requests[0].prompt, prompts=prompts,
                   seeds=tuple(s for r in requests for s in r.seeds))


@dataclass
class _Job:
    """One caller's request on this replica: its stream of items, and whether its caller went away."""

    request: RenderRequest
    request_id: str
    loop: asyncio.AbstractEventLoop
    items: asyncio.Queue = field(default_factory=asyncio.Queue)
    abandoned: threading.Event = field(default_factory=threading.Event)

    def put(self, item) -> None:  # from the render thread
        self.loop.call_soon_threadsafe(self.items.put_nowait, item)


class GeneratorReplica:
    """One replica: the preset's generator, built exactly as the studio builds it in process."""

    def __init__(self, preset_name: str, speed: SpeedOptions, max_batch_size: int, batch_wait_s: float,
                 step_gate: str = ""):
        """`step_gate`: the name of a Ray actor (in `GATE_NAMESPACE`) whose `passing(replica, step)` every step
        waits on after its event is sent, until it returns or every caller went away: tests and benchmarks hold
        renders at a step with it. "" (the default): none."""
        from pipelines.presets import PRESETS
        from pipelines.registry import ModelRegistry

        self.generator = ModelRegistry(PRESETS[preset_name], speed=speed).generator()
        self.replica = serve.get_replica_context().replica_id.to_full_id_str()
        self._render_batch.set_max_batch_size(max_batch_size)
        self._render_batch.set_batch_wait_timeout_s(batch_wait_s)
        self._gate = ray.get_actor(step_gate, namespace=GATE_NAMESPACE) if step_gate else None
        # The last requests this replica took, with how each ended after its caller went away (None: it did not).
        self._taken: OrderedDict[str, StopReport | None] = OrderedDict()
        self._stopped = asyncio.Event()  # set (and renewed) whenever a stop is recorded

    def describe(self) -> dict:
        """What the studio shows and records of the generator: the replica's own answers."""
        g = self.generator
        return {"model_id": g.model_id, "scheduler": g.scheduler, "max_prompt_tokens": g.max_prompt_tokens,
                "prompt_language": g.prompt_language, "style_reference": g.style_reference,
                "environment": g.describe_environment(), "replica": self.replica}

    async def render(self, request: RenderRequest, request_id: str) -> AsyncIterator:
        """Stream `Started`, the step events, then `Rendered`. Cancelled (the caller went away): the render
        stops at its next step unless requests merged with it still want it."""
        job = _Job(request, request_id, asyncio.get_running_loop())
        self._taken[request_id] = None
        while len(self._taken) > REMEMBERED_REQUESTS:
            self._taken.popitem(last=False)
        yield Started(self.replica, request_id)
        rendering = asyncio.ensure_future(self._render_batch(job))
        try:
            while True:
                item = await job.items.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if isinstance(item, Rendered):
                    break
        except asyncio.CancelledError:
            job.abandoned.set()
            raise
        finally:
            await asyncio.shield(asyncio.wait({rendering}))  # the render thread is done with this job

    async def stop_report(self, request_id: str, timeout_s: float = 30.0) -> StopReport | None:
        """How the render of `request_id` ended after its caller went away; None when this replica never had
        it, or it is still rendering after `timeout_s`."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._taken.get(request_id) is None:
            left = deadline - asyncio.get_running_loop().time()
            if request_id not in self._taken or left <= 0:
                return None
            event = self._stopped
            try:
                await asyncio.wait_for(event.wait(), left)
            except asyncio.TimeoutError:
                return None
        return self._taken[request_id]

    @serve.batch(max_batch_size=4, batch_wait_timeout_s=0.05)
    async def _render_batch(self, jobs: list[_Job]) -> list[None]:
        """Every waiting job, merged where their settings allow (`merge_key`), one render at a time."""
        groups: dict[object, list[_Job]] = {}
        for i, job in enumerate(jobs):
            key = merge_key(job.request)
            groups.setdefault(key if key is not None else ("alone", i), []).append(job)
        for group in groups.values():
            try:
                await asyncio.to_thread(self._render_group, group)
            except Exception as err:  # never leave a caller's stream waiting
                for job in group:
                    job.put(err)
        return [None] * len(jobs)

    def _render_group(self, group: list[_Job]) -> None:
        """Render `group` as one request (in a worker thread); each job gets its own steps' previews and images."""
        request = merged([j.request for j in group]) if len(group) > 1 else group[0].request
        counts = [len(j.request.seeds) for j in group]
        reached = [0]

        def on_step(event: StepEvent) -> None:
            reached[0] = event.step
            if all(j.abandoned.is_set() for j in group):
                raise Interrupted(f"every caller of this render went away (step {event.step})")
            start = 0
            for job, count in zip(group, counts):
                job.put(replace(event, previews=event.previews[start:start + count]))
                start += count
            if self._gate is not None:
                self._wait_at_gate(group, event.step)

        try:
            images = self.generator.render(request, on_step)
        except Interrupted:
            self._record_stops(group, reached[0])
            for job in group:
                job.put(asyncio.CancelledError())
            return
        except Exception as err:  # the caller sees it (Ray wraps it with the replica's traceback)
            for job in group:
                job.put(err)
            return
        start = 0
        for job, count in zip(group, counts):
            job.put(Rendered(tuple(images[start:start + count]), self.replica, len(group)))
            start += count
        self._record_stops([j for j in group if j.abandoned.is_set()], 0)

    def _wait_at_gate(self, group: list[_Job], step: int) -> None:
        passing = self._gate.passing.remote(self.replica, step)
        while not ray.wait([passing], timeout=GATE_POLL_S)[0]:
            if all(j.abandoned.is_set() for j in group):
                return  # the next step's callback stops the render

    def _record_stops(self, jobs: list[_Job], step: int) -> None:
        def record() -> None:
            for job in jobs:
                self._taken[job.request_id] = StopReport(job.request_id, self.replica, step)
                log.info("render %s stopped at step %d: its caller went away", job.request_id, step)
            self._stopped.set()
            self._stopped = asyncio.Event()

        if jobs:
            jobs[0].loop.call_soon_threadsafe(record)


def pool_app(preset_name: str, speed: SpeedOptions, pool, step_gate: str = ""):
    """The Serve application of `pool` (a `pipelines.backends.RayPool`): `serve.run(pool_app(...), name=...)`."""
    scaling = ({"num_replicas": pool.min_replicas} if pool.min_replicas == pool.max_replicas else
               {"autoscaling_config": {"min_replicas": pool.min_replicas, "max_replicas": pool.max_replicas,
                                       "target_ongoing_requests": pool.max_batch_size}})
    deployment = serve.deployment(
        GeneratorReplica, name="generator",
        ray_actor_options={"num_gpus": pool.gpus_per_replica, "num_cpus": pool.cpus_per_replica},
        # A replica takes as many requests as it can merge; the rest wait for a free replica.
        max_ongoing_requests=pool.max_batch_size, **scaling)
    return deployment.bind(preset_name, speed, pool.max_batch_size, pool.batch_wait_s, step_gate)
