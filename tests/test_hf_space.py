"""The studio as a Hugging Face Space: its card, its settings under a Space's environment, and ZeroGPU.
(Persistent storage on a Space: tests/reliability/test_space.py.)

ZeroGPU's own machinery (a forked child that holds the GPU, scheduled by the platform's device API) needs the
platform; these tests prove what can be proved here: `spaces.GPU` really wraps our model calls under a ZeroGPU
environment (its marker and its registry, in a fresh interpreter), and our relay carries callbacks, results,
exceptions and a stop across pickling, as spaces' queues do.
"""
from __future__ import annotations

import inspect
import json
import os
import pickle
import subprocess
import sys
import threading
from itertools import count
from pathlib import Path

import gradio
import pytest
from huggingface_hub import SpaceHardware, SpaceStorage, metadata_load
from PIL import Image

from pipelines import zerogpu
from pipelines.base import Interrupted, ModelUnavailable, StepEvent
from studio.settings import parse_settings

ROOT = Path(__file__).resolve().parents[1]
SPACE_ENV = {"SPACE_ID": "someone/design-collaborator", "SPACE_HOST": "someone-design-collaborator.hf.space",
             "OAUTH_CLIENT_ID": "a-client-id", "OAUTH_CLIENT_SECRET": "a-secret", "OPENID_PROVIDER_URL":
             "https://huggingface.co", "OAUTH_SCOPES": "openid profile"}


@pytest.fixture
def on_a_space(monkeypatch):
    for name in [n for n in os.environ if n.startswith(("DC_", "OAUTH_", "SPACE"))] + ["GRADIO_SERVER_PORT"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in SPACE_ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


# ---------------------------------------------------------------- the Space's card
def test_the_space_card_runs_app_py_on_the_pinned_gradio_with_sign_in():
    card = metadata_load(ROOT / "README.md")
    assert card["sdk"] == "gradio" and card["sdk_version"] == gradio.__version__
    assert (ROOT / card["app_file"]).is_file()
    assert card["hf_oauth"] is True
    assert card["suggested_hardware"] in {h.value for h in SpaceHardware}
    assert card["suggested_storage"] in {s.value for s in SpaceStorage}
    assert len(card["short_description"]) <= 60  # the hub refuses a longer one
    assert card["license"] and card["title"] and card["emoji"]


def test_the_space_card_pins_the_python_this_studio_is_tested_on():
    assert metadata_load(ROOT / "README.md")["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"


# ---------------------------------------------------------------- settings under a Space's environment
def test_on_a_space_with_hf_oauth_visitors_sign_in_with_hugging_face(on_a_space):
    settings = parse_settings([])
    assert settings.on_space
    assert settings.hosting.oauth and not settings.hosting.allow_anonymous
    assert settings.host == "0.0.0.0" and settings.port == 7860  # where a Space's proxy looks for the app
    assert settings.safety  # a Space is public: the image safety check is on


def test_a_space_without_sign_in_refuses_to_start_open_to_anyone(on_a_space, capsys):
    on_a_space.delenv("OAUTH_CLIENT_ID")
    with pytest.raises(SystemExit):
        parse_settings([])
    assert "--allow-anonymous" in capsys.readouterr().err


def test_an_oauth_client_id_off_a_space_turns_no_sign_in_on(on_a_space):
    on_a_space.delenv("SPACE_ID")
    assert not parse_settings([]).hosting.oauth


# ---------------------------------------------------------------- ZeroGPU
def test_off_zerogpu_a_model_call_is_left_as_it_is(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)

    def render(request, on_step=None):
        return request

    assert zerogpu.gpu_task(render, 30) is render
    zerogpu.activate()  # nothing to do
    zerogpu.startup()
    assert "spaces.zero.decorator" not in sys.modules or not zerogpu.on_zero_gpu()


ON_ZEROGPU = """
import json, torch
from pipelines import zerogpu
zerogpu.activate()
from spaces.zero.decorator import decorated_cache

def render(request, on_step=None):
    return request

on_gpu = zerogpu.gpu_task(render, 30)
another = zerogpu.gpu_task(lambda prompt: prompt, 10)
print(json.dumps({"same": on_gpu is render, "marked": hasattr(on_gpu.gpu, "zerogpu"),
                  "registered": on_gpu.gpu in decorated_cache, "name": on_gpu.__name__,
                  "one_task": another.gpu is on_gpu.gpu, "cuda_emulated": torch.cuda.is_available()}))
"""


def cuda_build() -> bool:
    import torch

    return torch.version.cuda is not None


@pytest.mark.skipif(not cuda_build(), reason="spaces' ZeroGPU mode patches torch's CUDA bindings, which a CPU build "
                                              "of torch lacks; it runs wherever torch is a CUDA build, GPU or not")
def test_on_zerogpu_a_model_call_becomes_a_spaces_gpu_task():
    pytest.importorskip("spaces")
    env = {**os.environ, "SPACES_ZERO_GPU": "true", "SPACES_ZERO_DEVICE_API_URL": "http://127.0.0.1:9",
           "ZEROGPU_OFFLOAD_DIR": str(ROOT / ".pytest-zerogpu"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", ON_ZEROGPU], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # spaces.GPU marked it and registered it for its startup report; torch's CUDA is spaces' emulation here.
    assert seen == {"same": False, "marked": True, "registered": True, "name": "render", "one_task": True,
                    "cuda_emulated": True}


def test_on_zerogpu_a_model_call_reaches_spaces_gpu_as_a_task_that_streams(monkeypatch):
    """Where torch is a CPU build: spaces imported outside ZeroGPU (its GPU() then returns the task itself), and
    ZeroGPU turned on for `gpu_task` only. The call goes through spaces.GPU and our relay, in this process."""
    spaces = pytest.importorskip("spaces")
    assert not spaces.config.Config.zero_gpu
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")

    def render(prompt, on_step=None):
        on_step(StepEvent(1, 1))
        return [prompt]

    on_gpu = zerogpu.gpu_task(render, 30)
    assert on_gpu is not render and inspect.isgeneratorfunction(on_gpu.gpu)  # spaces streams what a generator yields
    assert zerogpu.gpu_task(lambda prompt: prompt, 10).gpu is on_gpu.gpu  # one task, one child, one weight transfer
    steps = []
    assert on_gpu("a jazz poster", on_step=steps.append) == ["a jazz poster"]
    assert steps == [StepEvent(1, 1)]


def across_the_fork(fn):
    """`gpu_task`'s two sides joined the way spaces joins them on ZeroGPU, without the fork and the GPU: the
    arguments and every item streamed back go through pickle, so nothing the caller holds reaches `fn`."""
    def call(*args, **kwargs):
        args, kwargs, callbacks = zerogpu.portable_arguments(args, kwargs)
        args, kwargs = pickle.loads(pickle.dumps((args, kwargs)))

        def stream():
            child = zerogpu._streamed(fn)(args, kwargs)
            try:
                for item in child:
                    yield pickle.loads(pickle.dumps(item))
            finally:
                child.close()  # spaces sets the child's stop event when the caller closes its stream

        return zerogpu.drive(stream(), callbacks, "render")

    return call


def test_a_render_on_zerogpu_shows_its_steps_to_the_designer_and_returns_its_candidates():
    def render(prompt, on_step=None):
        for step in (1, 2, 3):
            on_step(StepEvent(step, 3, (Image.new("RGB", (8, 8), (step, 0, 0)),)))
        return [Image.new("RGB", (8, 8), (200, 0, 0)), Image.new("RGB", (8, 8), (0, 200, 0))]

    seen = []
    caller = threading.get_ident()
    images = across_the_fork(render)("a jazz poster", on_step=lambda e: seen.append((e.step, threading.get_ident(),
                                                                                      e.previews[0].getpixel((0, 0)))))
    assert [(step, pixel) for step, _, pixel in seen] == [(1, (1, 0, 0)), (2, (2, 0, 0)), (3, (3, 0, 0))]
    assert {thread for _, thread, _ in seen} == {caller}  # the page's callback runs here, not in the child
    assert [im.getpixel((0, 0)) for im in images] == [(200, 0, 0), (0, 200, 0)]


def test_a_model_failure_on_zerogpu_reaches_the_designer_as_itself():
    def unreachable(prompt):
        raise ModelUnavailable("The LLM server at http://127.0.0.1:8000/v1 did not answer in 30 s: is it running?")

    def bad_size(prompt):
        raise ValueError("`height` and `width` have to be divisible by 8")

    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("no")

    def odd(prompt):
        raise Unpicklable("a lock inside")

    with pytest.raises(ModelUnavailable, match="did not answer in 30 s"):
        across_the_fork(unreachable)("x")
    with pytest.raises(ValueError, match="divisible by 8"):
        across_the_fork(bad_size)("x")
    with pytest.raises(RuntimeError, match="Unpicklable: a lock inside"):
        across_the_fork(odd)("x")


def test_stop_on_zerogpu_interrupts_the_render_at_its_next_step():
    ends = []

    def render(prompt, on_step):
        try:
            for step in count(1):  # a render that only a stop ends
                on_step(StepEvent(step, 0))
                if step == 10**6:  # never reached when the stop works: it is the test's way to fail, not hang
                    return ["never stopped"]
        except Interrupted:
            ends.append("interrupted")
            raise

    def stop(event):
        raise Interrupted("the designer pressed Stop")

    with pytest.raises(Interrupted, match="pressed Stop"):
        across_the_fork(render)("x", stop)
    assert ends == ["interrupted"]  # the child's render stopped before the call returned: the GPU is free


def test_zerogpu_refusing_the_call_tells_the_designer_what_to_do():
    def no_gpu():
        raise RuntimeError("No GPU was available after 60s")
        yield

    with pytest.raises(ModelUnavailable, match="No GPU was available after 60s.*try the round again"):
        zerogpu.drive(no_gpu(), {}, "the generator's render")


def test_on_zerogpu_compile_is_refused_with_why(monkeypatch, capsys):
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    with pytest.raises(SystemExit):
        parse_settings(["--compile"])
    assert "does not work on ZeroGPU" in capsys.readouterr().err


def test_a_rounds_model_calls_see_the_context_of_the_request_that_started_it(tiny_registry, tmp_path):
    """On ZeroGPU, spaces reads the Gradio request (whose GPU quota a call spends) from a context variable: a round's
    thread must carry the context of the event that started it."""
    import contextvars

    from fakes import SwappedModels
    from studio.engine import RoundParams, Studio
    from studio.services.sessions import Store

    request = contextvars.ContextVar("request", default="none")
    seen = []

    class Seeing:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def render(self, render_request, on_step=None):
            seen.append(request.get())
            return self.inner.render(render_request, on_step)

    with Store(tmp_path / "data") as store:
        studio = Studio(store, SwappedModels(tiny_registry, wrap_generator=Seeing))
        session = studio.start_session("alice", "a jazz poster")
        request.set("alice's request")
        list(studio.run_round("alice", session.id, "", RoundParams(count=1, width=64, height=64, steps=1)))
    assert seen == ["alice's request"]
