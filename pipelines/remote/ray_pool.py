"""The generator pool's client: the studio's `Generator`, rendering on a Ray Serve deployment.

`PoolGenerator(pool, preset, speed)` joins the cluster named by `pool.address`, finds the Serve application
`pool.app_name` (deploying it when there is none: `pipelines.remote.generator_deployment`), and renders
there. Step events stream back, so `on_step` fires here as it does in process; when `on_step` raises
`Interrupted` (the designer pressed Stop) the request is cancelled and the replica stops at its next step.
A replica lost mid-render is asked again `pool.retries` times: the round's seeds make it the same render.
Ray is imported here only when a pool is used: the studio runs without it.
"""
from __future__ import annotations

import logging
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from pipelines.base import Interrupted, ModelUnavailable, RenderRequest, SpeedOptions, StepCallback, StepEvent
from pipelines.remote.ray_cluster import first_line, join_cluster

if TYPE_CHECKING:
    from PIL.Image import Image

    from pipelines.backends import RayPool
    from pipelines.presets import Preset

log = logging.getLogger(__name__)
RECENT_RENDERS = 16  # how many renders `PoolGenerator.recent` remembers
DESCRIBE_TIMEOUT_S = 120.0  # the first answer may wait for replicas to load their models


@dataclass(frozen=True)
class PoolRender:
    """One render through the pool, as the client saw it: where it ran and how it ended."""

    request_id: str
    replica: str  # the replica's Ray actor name ("" when none answered)
    batch_size: int  # requests merged into its render (0: it did not finish)
    attempts: int  # 1, or more when a replica was lost and the request was sent again
    outcome: str  # "rendered" | "stopped" | "lost"


def pool_handle(pool: RayPool, preset: Preset, speed: SpeedOptions, step_gate: str = ""):
    """The pool's Serve application handle; deployed here, with this studio's preset, when there is none."""
    from ray import serve
    from ray.serve.exceptions import RayServeException

    try:
        return serve.get_app_handle(pool.app_name)
    except RayServeException:
        log.info("no Serve application %r on %s: deploying the generator pool", pool.app_name, pool.address)
    return deploy(pool, preset, speed, step_gate)


def deploy(pool: RayPool, preset: Preset, speed: SpeedOptions, step_gate: str = ""):
    """Deploy (or update in place) the pool's Serve application on the joined cluster; its handle once every
    replica has loaded its model. Serve keeps it running after this process ends."""
    from ray import serve

    from pipelines.remote.generator_deployment import pool_app

    serve.start(proxy_location="Disabled")  # the studio calls through handles: no HTTP port is opened
    try:
        return serve.run(pool_app(preset.name, speed, pool, step_gate), name=pool.app_name, route_prefix=None)
    except RuntimeError as err:  # Serve's "Deploying application ... failed": a replica could not start
        raise ModelUnavailable(
            f"The generator pool '{pool.app_name}' could not start on {pool.address} ({first_line(err)}). The "
            f"replicas' logs say why (`serve status`, or the Ray session's logs/serve/ folder); a replica asks for "
            f"{pool.gpus_per_replica:g} GPU and {pool.cpus_per_replica:g} CPU: does the cluster have them?") from err


class PoolGenerator:
    """A `pipelines.base.Generator` whose renders run on the replicas of a Ray Serve deployment."""

    def __init__(self, pool: RayPool, preset: Preset, speed: SpeedOptions = SpeedOptions(), step_gate: str = "",
                 relay: bool | None = None):
        """`step_gate`: passed to a deployment made here (see `GeneratorReplica`); tests hold renders with it.
        `relay`: read the replicas' streams through a relay actor on the cluster (`pipelines.remote.relay`); None:
        when joined through Ray Client (`ray://`), which cannot read them here."""
        from ray.exceptions import RayError
        from transformers import AutoTokenizer

        from pipelines.registry import source

        self.pool = pool
        self.recent: deque[PoolRender] = deque(maxlen=RECENT_RENDERS)
        self.rendering: dict[str, str] = {}  # request id -> the replica rendering it now
        join_cluster(pool)
        # The Serve application's handle: operators and tests may call the replicas' `describe` and `stop_report`.
        self.handle = pool_handle(pool, preset, speed, step_gate)
        try:
            described = self.handle.describe.remote().result(timeout_s=DESCRIBE_TIMEOUT_S)
        except (RayError, TimeoutError) as err:
            raise ModelUnavailable(f"The generator pool at {pool.address} ({pool.app_name}) did not answer: "
                                   f"{first_line(err)}. `serve status` on the cluster says why.") from err
        if described["model_id"] != preset.generator.model_id:
            raise ModelUnavailable(
                f"The generator pool at {pool.address} ({pool.app_name}) renders with {described['model_id']}, not "
                f"this studio's {preset.generator.model_id}: start the studio with the pool's preset, or deploy "
                f"the pool under another name.")
        self.model_id: str = described["model_id"]
        self.scheduler: str = described["scheduler"]
        self.max_prompt_tokens: int = described["max_prompt_tokens"]
        self.prompt_language: str = described["prompt_language"]
        self.style_reference: bool = described["style_reference"]
        self._environment: dict[str, str] = described["environment"]
        self._relay = None
        if relay if relay is not None else pool.address.startswith("ray://"):
            from pipelines.remote.relay import StreamRelay

            self._relay = StreamRelay.remote(pool.app_name)
        # Counting tokens is asked for often, while the refiner writes: here, with the generator's own tokenizer.
        self._tokenizer = AutoTokenizer.from_pretrained(source(preset.generator), subfolder="tokenizer")

    def count_prompt_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=False).input_ids)

    def describe_environment(self) -> dict[str, str]:
        """The replicas' device, precision and library versions (where the pixels are made)."""
        return dict(self._environment)

    def render(self, request: RenderRequest, on_step: StepCallback | None = None) -> list[Image]:
        """All candidates of `request`, rendered on a replica; a replica lost meanwhile: asked again."""
        from ray.exceptions import RayActorError

        request_id = uuid.uuid4().hex
        lost: list[str] = []
        for attempt in range(1, self.pool.retries + 2):
            try:
                return self._render_once(request, request_id, on_step, attempt)
            except (RayActorError, ReplicaLost) as err:
                lost.append(first_line(err))
                log.warning("the replica rendering %s was lost (attempt %d): %s", request_id, attempt, lost[-1])
        self.recent.append(PoolRender(request_id, "", 0, len(lost), "lost"))
        raise ModelUnavailable(
            f"The generator pool at {self.pool.address} lost the replica rendering this round "
            f"{'once' if len(lost) == 1 else f'{len(lost)} times'}: {lost[-1]} Your earlier rounds are safe; "
            f"run the round again, and if it fails again see `serve status` on the cluster.")

    def _render_once(self, request: RenderRequest, request_id: str, on_step: StepCallback | None,
                     attempt: int) -> list[Image]:
        from ray.serve.exceptions import RayServeException

        from pipelines.remote.generator_deployment import Rendered, Started

        items, cancel = (relayed_stream(self._relay, request, request_id) if self._relay is not None else
                         direct_stream(self.handle, request, request_id))
        replica = ""
        try:
            for item in items:
                if isinstance(item, Started):
                    replica = self.rendering[request_id] = item.replica
                elif isinstance(item, StepEvent) and on_step is not None:
                    on_step(item)  # may raise Interrupted
                elif isinstance(item, Rendered):
                    self.recent.append(PoolRender(request_id, item.replica, item.batch_size, attempt, "rendered"))
                    return list(item.images)
        except Interrupted:
            cancel()  # the replica stops at its next step
            self.recent.append(PoolRender(request_id, replica, 0, attempt, "stopped"))
            raise
        except ConnectionError as err:
            raise ModelUnavailable(f"Lost the connection to the Ray cluster at {self.pool.address} "
                                   f"({first_line(err)}): is the cluster running?") from err
        except RayServeException as err:  # the application was deleted, or has no replica left to take requests
            raise ModelUnavailable(f"The generator pool '{self.pool.app_name}' at {self.pool.address} is not "
                                   f"answering ({first_line(err)}): `serve status` on the cluster says why; "
                                   f"`python -m pipelines.remote` deploys it again.") from err
        finally:
            self.rendering.pop(request_id, None)
        raise ModelUnavailable(f"The generator pool at {self.pool.address} ended a render without its images; "
                               f"`serve status` on the cluster says why.")


class ReplicaLost(RuntimeError):
    """The relay saw the replica rendering a request die (`pipelines.remote.relay.Lost`)."""


def direct_stream(handle, request: RenderRequest, request_id: str) -> tuple[Iterator, Callable[[], None]]:
    """The replica's stream, read here (a driver on the cluster: `auto`, `local`); and how to cancel it."""
    response = handle.options(stream=True).render.remote(request, request_id)
    return iter(response), response.cancel


def relayed_stream(relay, request: RenderRequest, request_id: str) -> tuple[Iterator, Callable[[], None]]:
    """The replica's stream through the relay on the cluster (Ray Client cannot read Serve streams); and how to
    cancel it."""
    import ray

    from pipelines.remote.generator_deployment import Rendered
    from pipelines.remote.relay import Lost

    ray.get(relay.start.remote(request, request_id))

    def items() -> Iterator:
        try:
            while True:
                item = ray.get(relay.next.remote(request_id))
                if isinstance(item, Lost):
                    raise ReplicaLost(item.reason)
                yield item
                if isinstance(item, Rendered):
                    return
        finally:
            relay.forget.remote(request_id)

    return items(), lambda: relay.cancel.remote(request_id)
