"""The registry loads each model once per process, however many sessions ask at once, tells
listeners what it is loading, frees models on request and explains what to do when one cannot load."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipelines.base import ModelLoadError, ModelUnavailable
from pipelines.presets import PRESETS
from pipelines.registry import LoadEvent, ModelRegistry


@pytest.fixture
def fresh_registry(tiny_registry) -> ModelRegistry:
    """A registry of its own, so unloading never disturbs the shared one (same placement)."""
    return ModelRegistry(PRESETS["tiny"], tiny_registry.placement)


def test_many_sessions_asking_at_once_load_the_generator_once(fresh_registry):
    start = threading.Barrier(6)

    def ask_for_the_generator(_):
        start.wait()
        return [fresh_registry.generator() for _ in range(5)]

    with ThreadPoolExecutor(6) as pool:
        answers = [g for batch in pool.map(ask_for_the_generator, range(6)) for g in batch]

    assert fresh_registry.load_counts["generator"] == 1
    assert all(g is answers[0] for g in answers)
    assert fresh_registry.loaded() == ("generator",)


def test_the_shared_registry_never_loaded_a_role_twice(tiny_registry):
    tiny_registry.generator(), tiny_registry.scorer()

    assert set(tiny_registry.load_counts.values()) == {1}


def test_an_unloaded_model_loads_again_on_next_use(fresh_registry):
    first = fresh_registry.scorer()

    fresh_registry.unload("scorer")

    assert "scorer" not in fresh_registry.loaded()
    second = fresh_registry.scorer()
    assert second is not first
    assert fresh_registry.load_counts["scorer"] == 2


def test_unloading_everything_frees_every_role(fresh_registry):
    fresh_registry.scorer(), fresh_registry.refiner()

    fresh_registry.unload()

    assert fresh_registry.loaded() == ()


def test_listeners_hear_loading_then_loaded_once(fresh_registry):
    events: list[LoadEvent] = []
    fresh_registry.add_listener(events.append)

    fresh_registry.scorer()
    fresh_registry.scorer()

    assert [(e.role, e.model_id, e.state) for e in events] == [
        ("scorer", "tiny/clip", "loading"), ("scorer", "tiny/clip", "loaded")]
    assert events[1].seconds > 0


def test_a_removed_listener_hears_nothing_more(fresh_registry):
    events: list[LoadEvent] = []
    fresh_registry.add_listener(events.append)
    fresh_registry.remove_listener(events.append)

    fresh_registry.scorer()

    assert events == []


class UnloadOnRelease:
    """A load lock that lets another caller unload the role the moment the loader lets go of it."""

    def __init__(self, registry: ModelRegistry, role: str):
        self.registry, self.role = registry, role
        self.lock = threading.Lock()
        self.unloaded = False

    def __enter__(self):
        self.lock.acquire()

    def __exit__(self, *exc) -> None:
        self.lock.release()
        if not self.unloaded:
            self.unloaded = True
            self.registry.unload(self.role)  # as if the designer pressed "free memory" just then


def test_a_model_unloaded_just_after_it_loads_still_reaches_the_caller(fresh_registry):
    fresh_registry._load_lock = UnloadOnRelease(fresh_registry, "scorer")

    scorer = fresh_registry.scorer()

    assert scorer.model_id == "tiny/clip"


class DoorLock:
    """The registry's load lock, telling the test each time a caller arrives at it."""

    def __init__(self, lock):
        self.lock, self.arrivals = lock, threading.Semaphore(0)

    def __enter__(self):
        self.arrivals.release()
        self.lock.acquire()

    def __exit__(self, *exc) -> None:
        self.lock.release()


def test_a_second_roles_load_waits_until_the_first_load_is_done(fresh_registry):
    """The preload behind the page loads the refiner; a designer's first round asks for the generator meanwhile.
    Two loads at once import diffusers' and transformers' lazy modules at once: the second waits."""
    door = fresh_registry._load_lock = DoorLock(fresh_registry._load_lock)
    refiner_loading, finish_refiner, order = threading.Event(), threading.Event(), []

    def load_refiner():
        order.append("refiner starts")
        refiner_loading.set()
        assert finish_refiner.wait(30)
        order.append("refiner done")
        return "the refiner"

    def load_generator():
        order.append("generator starts")
        return "the generator"

    preset = fresh_registry.preset
    preload = threading.Thread(target=fresh_registry._get, args=("refiner", preset.refiner, load_refiner))
    preload.start()
    assert refiner_loading.wait(30) and door.arrivals.acquire(timeout=30)
    first_round = threading.Thread(target=fresh_registry._get, args=("generator", preset.generator, load_generator))
    first_round.start()
    assert door.arrivals.acquire(timeout=30)  # the round's load is at the lock, the refiner's still loading

    assert order == ["refiner starts"]
    finish_refiner.set()
    preload.join(30), first_round.join(30)
    assert order == ["refiner starts", "refiner done", "generator starts"]
    assert fresh_registry.loaded() == ("refiner", "generator")
    assert fresh_registry._get("refiner", preset.refiner, load_refiner) == "the refiner"  # loaded: no wait, no load
    assert fresh_registry.load_counts == {"refiner": 1, "generator": 1}


def test_preloading_waits_for_the_device_between_loads(fresh_registry):
    """A round's model call never runs beside a preload's load: the preload takes the device lock for each."""
    events: list[LoadEvent] = []
    fresh_registry.add_listener(events.append)
    door = fresh_registry.device_lock = DoorLock(fresh_registry.device_lock)
    with door:  # a round's model call holds the device
        assert door.arrivals.acquire(timeout=30)
        preload = threading.Thread(target=fresh_registry.preload)
        preload.start()
        assert door.arrivals.acquire(timeout=30)  # the preload is at the device lock
        assert events == [] and fresh_registry.loaded() == ()
    preload.join(120)
    assert fresh_registry.loaded() == ("refiner", "generator", "captioner", "scorer")


# ---------------------------------------------------------------- a real preset, offline
CPU_MODELS = {role: PRESETS["cpu"].models[role].model_id
              for role in ("refiner", "generator", "captioner", "scorer", "segmenter")}


@pytest.mark.parametrize("role", list(CPU_MODELS))
def test_an_offline_real_preset_says_which_model_and_what_to_do(role):
    registry = ModelRegistry(PRESETS["cpu"])
    events: list[LoadEvent] = []
    registry.add_listener(events.append)

    with pytest.raises(ModelLoadError) as raised:
        getattr(registry, role)()

    assert type(raised.value) is ModelLoadError
    message = str(raised.value)
    assert CPU_MODELS[role] in message
    assert "--preset tiny" in message
    assert "Traceback" not in message
    assert [e.state for e in events] == ["loading", "failed"]
    assert events[-1].message == message
    assert registry.loaded() == () and registry.load_counts[role] == 0


def test_preloading_loads_every_role_in_the_order_a_round_needs_them(fresh_registry):
    events: list[LoadEvent] = []
    fresh_registry.add_listener(events.append)

    fresh_registry.preload()

    assert fresh_registry.loaded() == ("refiner", "generator", "captioner", "scorer")
    assert [e.role for e in events if e.state == "loaded"] == ["refiner", "generator", "captioner", "scorer"]
    fresh_registry.preload()  # again: nothing loads twice
    assert all(count == 1 for count in fresh_registry.load_counts.values())


def test_a_model_that_cannot_preload_is_left_for_the_round_to_report(caplog):
    registry = ModelRegistry(PRESETS["cpu"])  # offline: its weights are not here

    registry.preload()  # no exception: the page stays up

    assert registry.loaded() == ()
    assert "preloading stopped: Could not load Qwen/Qwen2.5-0.5B-Instruct" in caplog.text
    with pytest.raises(ModelLoadError, match="Qwen/Qwen2.5-0.5B-Instruct"):  # the round says it to the designer
        registry.refiner()


def test_preloading_is_on_unless_turned_off(monkeypatch):
    from studio.settings import parse_settings

    monkeypatch.delenv("DC_PRELOAD", raising=False)
    assert parse_settings([]).preload is True
    assert parse_settings(["--no-preload"]).preload is False
    monkeypatch.setenv("DC_PRELOAD", "0")
    assert parse_settings([]).preload is False
    assert parse_settings(["--preload"]).preload is True


# ---------------------------------------------------------------- the in-process backend: the device lock, out of memory
def test_each_in_process_model_call_waits_for_the_device_and_its_other_attributes_do_not(fresh_registry, photos):
    door = fresh_registry.device_lock = DoorLock(fresh_registry.device_lock)
    scorer = fresh_registry.scorer()  # built behind the door: its calls go through it
    assert door.arrivals.acquire(timeout=30)  # the load
    scored = []
    with door:  # another round's call holds the device
        assert door.arrivals.acquire(timeout=30)
        assert scorer.model_id == "tiny/clip"  # a name, not a model call: no wait
        caller = threading.Thread(target=lambda: scored.append(scorer.similarity(photos[:1], "a poster")))
        caller.start()
        assert door.arrivals.acquire(timeout=30)  # the call is at the device lock
        assert scored == []
    caller.join(30)
    assert len(scored[0]) == 1


def test_out_of_gpu_memory_the_render_is_retried_in_two_halves_after_freeing_memory():
    from dataclasses import replace as changed

    from pipelines.base import RenderRequest
    from pipelines.oom import OneCandidateTooBig, render_with_retry

    class OutOfMemoryError(RuntimeError):
        pass

    class Generator:
        def __init__(self):
            self.batches = []

        def render(self, request, on_step=None):
            self.batches.append(request.seeds)
            if len(request.seeds) > 2:
                raise OutOfMemoryError("CUDA out of memory")
            return [f"image {seed}" for seed in request.seeds]

    freed = []
    generator = Generator()
    images = render_with_retry(generator, RenderRequest("a poster", seeds=(1, 2, 3, 4)), None,
                               lambda: freed.append(1))
    assert images == ["image 1", "image 2", "image 3", "image 4"]
    assert generator.batches == [(1, 2, 3, 4), (1, 2), (3, 4)] and freed == [1]

    class Hopeless(Generator):
        def render(self, request, on_step=None):
            raise OutOfMemoryError("CUDA out of memory")

    with pytest.raises(OneCandidateTooBig, match="rendering one candidate"):
        render_with_retry(Hopeless(), changed(RenderRequest("a poster", seeds=(1, 2)), seeds=(9,)), None, lambda: None)


def test_a_served_model_that_cannot_be_reached_says_so_and_never_asks_for_a_download(fresh_registry):
    def unreachable():
        raise ConnectionError("Connection refused")

    with pytest.raises(ModelUnavailable) as raised:
        fresh_registry._get("refiner", fresh_registry.preset.refiner, unreachable, local=False)
    assert "Connection refused" in str(raised.value) and "server running" in str(raised.value)
    assert "hf download" not in str(raised.value) and fresh_registry.loaded() == ()
