"""A host's view of the studio: `/healthz` and `/metrics` on a launched page, fed by real rounds through the engine.

The routes are mounted as the studio mounts them (`launch(app_kwargs={"routes": operations_routes(ops)})`) and read
with urllib, as a load balancer and a Prometheus scraper read them.
"""
from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from prometheus_client.parser import text_string_to_metric_families

from bench.launcher import free_port
from fakes import a_bug
from pipelines.base import ModelLoadError
from pipelines.presets import PRESETS
from pipelines.registry import ROLES, ModelRegistry
from studio.core.session import RoundStatus
from studio.engine import RoundParams, Studio
from studio.engine.events import Started
from studio.services.sessions import Store
from studio.ui import build_ui
from studio.ui.handlers import Handlers
from studio.web.ops import Operations, operations_routes

BRIEF = "A poster for a jazz night, art deco, navy and gold"
SMALL = RoundParams(count=1, steps=1, width=64, height=64, seed=7)


@pytest.fixture(scope="module")
def own_models() -> ModelRegistry:
    """A registry of this module's own: the first round here loads every model, and the operations hear it."""
    return ModelRegistry(PRESETS["tiny"])


@contextlib.contextmanager
def launched(ops: Operations, demo: gr.Blocks):
    """`demo` on a free loopback port with the operations' routes mounted; yields its URL."""
    ops.demo = demo
    demo.queue()
    _app, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                               quiet=True, app_kwargs={"routes": operations_routes(ops)})
    try:
        yield url
    finally:
        demo.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def scraped(url: str) -> dict[tuple[str, tuple], float]:
    """/metrics as {(sample name, sorted labels): value}, read by Prometheus' own text parser."""
    status, text = get(url + "metrics")
    assert status == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_a_round_run_through_the_engine_is_counted_with_its_stages_and_model_loads(tmp_path, own_models):
    with Store(tmp_path / "data") as store:
        studio = Studio(store, own_models)
        ops = Operations(studio)
        with launched(ops, build_ui(studio)) as url:
            session = studio.start_session("alice", BRIEF)
            events = list(studio.run_round("alice", session.id, "", SMALL))
            metrics = scraped(url)

    assert events[-1].round.status is RoundStatus.DONE
    assert {status: metrics["studio_rounds_total", (("status", status),)]
            for status in ("done", "failed", "cancelled", "interrupted")} == {
        "done": 1, "failed": 0, "cancelled": 0, "interrupted": 0}
    # The numbered stages, as the worker timed them: the three model roles a round asks for, then one call each.
    for stage, calls in {"load": 3, "checklist": 1, "refine": 1, "render": 1, "critique": 1}.items():
        assert metrics["studio_stage_seconds_count", (("stage", stage),)] == calls, stage
        assert metrics["studio_stage_seconds_sum", (("stage", stage),)] >= 0
    assert metrics["studio_stage_seconds_sum", (("stage", "render"),)] > 0
    for role in ("refiner", "generator", "captioner", "scorer"):  # once each (the critic's captioner, scorer too)
        assert metrics["studio_model_load_seconds_count", (("role", role),)] == 1, role
    # The page's model group is read from Gradio's queue when scraped: nothing waits now.
    assert metrics["studio_queue_waiting", (("group", "gpu"),)] == 0
    assert metrics["studio_queue_running", (("group", "gpu"),)] == 0


def test_a_round_stopped_by_its_designer_is_counted_as_cancelled(tmp_path, tiny_registry):
    with Store(tmp_path / "data") as store:
        studio = Studio(store, tiny_registry)
        ops = Operations(studio)
        session = studio.start_session("alice", BRIEF)
        with studio.models.device_lock:  # the round waits for the device at its first model call
            events = studio.run_round("alice", session.id, "", SMALL)
            assert isinstance(next(events), Started)
            assert studio.cancel("alice", session.id)
        ended = list(events)[-1].round

    assert ended.status is RoundStatus.INTERRUPTED and ended.error.code == "round.stopped"
    assert ops.registry.get_sample_value("studio_rounds_total", {"status": "cancelled"}) == 1
    assert ops.registry.get_sample_value("studio_rounds_total", {"status": "interrupted"}) == 0


def test_refusals_and_faults_at_the_api_are_counted_by_kind(tmp_path, tiny_registry, monkeypatch):
    monkeypatch.setattr(Handlers, "keep_settings", a_bug)
    with Store(tmp_path / "data") as store:
        studio = Studio(store, tiny_registry)
        ops = Operations(studio)
        with launched(ops, build_ui(studio)) as url:
            client = Client(url, verbose=False)
            with pytest.raises(AppError, match="Choose a candidate first"):
                client.predict("", 1, 0, "", api_name="/pick")
            with pytest.raises(AppError, match="went wrong on the studio's side"):
                client.predict(session_id="", style="", api_name="/keep_settings")  # a bug, not a refusal
            ops.refused("queue_full_owner")  # as the HTTP gate counts its own refusals
            metrics = scraped(url)
            client.close()

    assert metrics["studio_refusals_total", (("kind", "candidate.choose_first"),)] == 1
    assert metrics["studio_refusals_total", (("kind", "queue_full_owner"),)] == 1
    assert metrics["studio_event_failures_total", (("event", "keep_settings"),)] == 1


def test_the_queue_of_the_model_group_is_read_when_scraped(tmp_path, tiny_registry):
    release = threading.Event()
    with gr.Blocks() as demo:
        box = gr.Textbox()
        box.submit(lambda text: text if release.wait(120) else "", box, box, api_name="render",
                   concurrency_id="gpu", concurrency_limit=1)
    with Store(tmp_path / "data") as store:
        ops = Operations(Studio(store, tiny_registry))
        with launched(ops, demo) as url:
            client = Client(url, verbose=False)
            jobs = [client.submit(f"poster {n}", api_name="/render") for n in range(3)]
            depth = wait_for(lambda: (scraped(url)[_gpu("running")], scraped(url)[_gpu("waiting")]), (1, 2))
            release.set()
            answers = sorted(job.result(timeout=120) for job in jobs)
            after = scraped(url)
            client.close()

    assert depth == (1, 2)  # one running (its concurrency limit), two waiting their turn
    assert answers == ["poster 0", "poster 1", "poster 2"]
    assert (after[_gpu("running")], after[_gpu("waiting")]) == (0, 0)


def _gpu(gauge: str) -> tuple[str, tuple]:
    return f"studio_queue_{gauge}", (("group", "gpu"),)


def wait_for(read, wanted, deadline_s: float = 120):
    """`read()` once it equals `wanted` (the events reach the queue in their own time), or its last value."""
    end = time.monotonic() + deadline_s
    value = read()
    while value != wanted and time.monotonic() < end:
        time.sleep(0.1)
        value = read()
    return value


def test_healthz_says_ok_then_degraded_when_the_store_cannot_be_read(tmp_path):
    store = Store(tmp_path / "data")
    studio = Studio(store, ModelRegistry(PRESETS["tiny"]))  # nothing loaded yet: models load at first use
    with launched(Operations(studio), build_ui(studio)) as url:
        ok = get(url + "healthz")
        store.close()
        broken = get(url + "healthz")

    assert ok[0] == 200
    assert json.loads(ok[1]) == {"status": "ok", "store": "ok", "models": {role: "not_loaded" for role in ROLES if role != "viewer"}}
    assert broken[0] == 503
    said = json.loads(broken[1])
    assert said["status"] == "degraded" and said["store"].startswith("unavailable: ")
    assert "closed" in said["store"]


def test_healthz_says_degraded_while_a_models_last_load_failed(tmp_path, tiny_registry):
    tiny = PRESETS["tiny"]
    broken = ModelRegistry(replace(tiny, generator=replace(tiny.generator, model_id="nobody/no-such-model")))
    with Store(tmp_path / "data") as store:
        ops = Operations(Studio(store, broken))
        with pytest.raises(ModelLoadError):
            broken.generator()
        said, status = ops.health()

    assert status == 503 and said["status"] == "degraded" and said["store"] == "ok"
    assert said["models"] == {"refiner": "not_loaded", "generator": "failed", "captioner": "not_loaded",
                              "scorer": "not_loaded", "segmenter": "not_loaded"}
    assert ops.registry.get_sample_value("studio_model_load_seconds_count", {"role": "generator"}) is None
