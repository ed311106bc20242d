"""Operations, for whoever hosts the studio: `/healthz` (can the store be read, which models are up) and `/metrics`
(Prometheus text: rounds by how they ended, stage times, queue depth, refusals, model load times).

One `Operations` per studio, with its own `CollectorRegistry` (never the process-wide one: tests build several
studios). It hears the engine through `studio.observers` (engine/observing.py: stage times, rounds' ends, the
page's refusals and unexpected errors), the model registry through its load listener, and reads the depth of
Gradio's queue when scraped. Other doors count their refusals with `refused(kind)`. Mounted on the page's app:

    ops = Operations(studio, demo)
    demo.launch(..., app_kwargs={"routes": operations_routes(ops)})   # or app.add_route for each, after launch

Neither route is behind the page's sign-in: a load balancer and a Prometheus scraper call them as they are.
"""
from __future__ import annotations

import sqlite3
import threading
from typing import Any, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pipelines.registry import ROLES, LoadEvent
from studio.core.session import Round, RoundStatus
from studio.engine.events import Finished
from studio.engine.observing import EventFailed, Refused, StageTimed

ENDINGS = ("done", "failed", "cancelled", "interrupted")  # a round's final status, as the metrics count it
STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)  # seconds: tiny on a CPU to real on a GPU
LOAD_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Operations:
    def __init__(self, studio, demo=None):
        """`studio`: the engine (its store, models and observers); `demo`: the page, whose queue is measured (may
        be given later, as `ops.demo = demo`)."""
        self.store, self.models, self.demo = studio.store, studio.models, demo
        self.registry = registry = CollectorRegistry()
        self.rounds = Counter("studio_rounds", "Rounds ended, by final status (cancelled: stopped by the designer or "
                              "the caller left; interrupted: stopped by a shutdown, or found running after a "
                              "restart)", ["status"], registry=registry)
        for ending in ENDINGS:  # every series exists from the start: a rate over it is defined at once
            self.rounds.labels(ending)
        self.stages = Histogram("studio_stage_seconds", "Time of each numbered stage of a round (the model lock "
                                "held), by stage", ["stage"], buckets=STAGE_BUCKETS, registry=registry)
        self.refusals = Counter("studio_refusals", "Actions refused, by kind (the engine's refusal code, or the "
                                "gate's kind)", ["kind"], registry=registry)
        self.failures = Counter("studio_event_failures", "Events that met an unexpected error (logged with a "
                                "reference), by event", ["event"], registry=registry)
        self.model_loads = Histogram("studio_model_load_seconds", "Time to load each role's model, by role",
                                     ["role"], buckets=LOAD_BUCKETS, registry=registry)
        registry.register(QueueDepth(self))
        self._model_states: dict[str, str] = {}  # role -> the last load event's state
        self._lock = threading.Lock()
        studio.observers.add(self.hear)
        self.models.add_listener(self.model_event)

    # ------------------------------------------------------------ what is counted
    def hear(self, record: Any) -> None:
        """One record from the engine's observers."""
        if isinstance(record, StageTimed):
            self.stages.labels(record.stage).observe(record.seconds)
        elif isinstance(record, Finished):
            self.rounds.labels(ending(record.round)).inc()
        elif isinstance(record, Refused):
            self.refused(record.code)
        elif isinstance(record, EventFailed):
            self.failures.labels(record.event).inc()

    def refused(self, kind: str) -> None:
        """Count one refusal: an engine refusal's code ("text.too_long"), or a door's own kind ("queue_full_owner")."""
        self.refusals.labels(kind).inc()

    def recovered(self, interrupted: int) -> None:
        """Rounds a restart found running (`Store.recover()`'s count): they ended interrupted."""
        self.rounds.labels("interrupted").inc(interrupted)

    def model_event(self, event: LoadEvent) -> None:
        with self._lock:
            self._model_states[event.role] = event.state
        if event.state == "loaded":
            self.model_loads.labels(event.role).observe(event.seconds)

    # ------------------------------------------------------------ what is read
    def model_states(self) -> dict[str, str]:
        """Each role: "loaded", "loading", "failed" (its last load), or "not_loaded" (loads at its first use)."""
        loaded = set(self.models.loaded()) if hasattr(self.models, "loaded") else set()
        with self._lock:
            heard = dict(self._model_states)
        return {role: "loaded" if role in loaded else heard[role] if heard.get(role) in ("loading", "failed")
                else "not_loaded" for role in getattr(self.models, "roles", ROLES)}

    def health(self) -> tuple[dict, int]:
        """({"status": "ok" | "degraded", "store": ..., "models": {...}}, 200 | 503): degraded when the store cannot
        be read or a model's last load failed."""
        try:
            self.store.ping()
            store = "ok"
        except (sqlite3.Error, OSError) as err:  # closed, unreadable, or a failing disk
            store = f"unavailable: {err}"
        models = self.model_states()
        ok = store == "ok" and "failed" not in models.values()
        return {"status": "ok" if ok else "degraded", "store": store, "models": models}, 200 if ok else 503

    def routes(self) -> list[Route]:
        return [Route("/healthz", self._healthz, methods=["GET"]), Route("/metrics", self._metrics, methods=["GET"])]

    def _healthz(self, request: Request) -> JSONResponse:
        body, status = self.health()
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    def _metrics(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def operations_routes(ops: Operations) -> list[Route]:
    """`/healthz` and `/metrics`, for `demo.launch(app_kwargs={"routes": ...})` or `app.add_route`."""
    return ops.routes()


def ending(r: Round) -> str:
    """A finished round's status as the metrics count it: a Stop (or a caller that left) is "cancelled", a stop for
    any other reason (a shutdown) "interrupted"."""
    if r.status is RoundStatus.INTERRUPTED:
        return "cancelled" if r.error is not None and r.error.code == "round.stopped" else "interrupted"
    return r.status.value


class QueueDepth:
    """Gradio's queue, read when scraped: events waiting and running in each concurrency group (a named group such
    as "gpu", else the event's own name)."""

    def __init__(self, ops: Operations):
        self.ops = ops

    def describe(self) -> list[Metric]:
        return []  # read at scrape time: nothing to declare ahead

    def collect(self) -> Iterator[Metric]:
        waiting = GaugeMetricFamily("studio_queue_waiting", "Events waiting in the queue, by concurrency group",
                                    labels=["group"])
        running = GaugeMetricFamily("studio_queue_running", "Events running, by concurrency group", labels=["group"])
        for group, (queued, started) in sorted(queue_depth(self.ops.demo).items()):
            waiting.add_metric([group], queued)
            running.add_metric([group], started)
        yield waiting
        yield running


def queue_depth(demo) -> dict[str, tuple[int, int]]:
    """{group: (waiting, running)} of `demo`'s queue."""
    if demo is None:
        return {}
    names: dict[str, str] = {}
    for fn in list(demo.fns.values()):
        named = fn.concurrency_id != str(id(fn.fn))  # Gradio names an unnamed group by its function's id()
        names.setdefault(fn.concurrency_id, fn.concurrency_id if named else fn.api_name or fn.name or "event")
    depth = {cid: [0, 0] for cid, name in names.items() if name == cid}  # a named group shows before its first event
    queues = getattr(getattr(demo, "_queue", None), "event_queue_per_concurrency_id", {})
    for cid, queue in list(queues.items()):
        counts = depth.setdefault(names.get(cid, cid), [0, 0])
        counts[0] += len(queue.queue)
        counts[1] += queue.current_concurrency
    return {name: (queued, started) for name, (queued, started) in depth.items()}
