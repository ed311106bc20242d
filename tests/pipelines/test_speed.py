"""Speed settings reach the pipelines, and a round's candidates are rendered in one batched call.
(Timings live in bench/, never in tests.)"""
from __future__ import annotations

import pytest
import torch
from diffusers import StableDiffusionPipeline

from pipelines import tiny
from pipelines.base import RenderRequest, SpeedOptions
from pipelines.device import Placement
from pipelines.generator import DiffusersGenerator
from pipelines.presets import PRESETS
from pipelines.registry import ModelRegistry
from studio.settings import parse_settings

CPU = Placement("cpu", torch.float32)


def tiny_generator(speed: SpeedOptions) -> DiffusersGenerator:
    return DiffusersGenerator("tiny/sd", str(tiny.ensure("sd")), "StableDiffusionPipeline", CPU, speed)


def test_compile_wraps_the_denoiser(monkeypatch):
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda module, **kw: compiled.append((module, kw)) or module)

    generator = tiny_generator(SpeedOptions(compile=True))

    assert [type(module).__name__ for module, _ in compiled] == ["UNet2DConditionModel"]
    assert compiled[0][0] is generator.pipe.unet


def test_compile_warms_up_at_load_so_the_first_round_does_not_pay(monkeypatch):
    monkeypatch.setattr(torch, "compile", lambda module, **kw: module)
    calls = []
    original = DiffusersGenerator.render
    monkeypatch.setattr(DiffusersGenerator, "render", lambda self, request, on_step=None: calls.append(request)
                        or original(self, request, on_step))

    ModelRegistry(PRESETS["tiny"], CPU, SpeedOptions(compile=True)).generator()

    assert len(calls) == 1 and calls[0].prompt == "warm-up" and len(calls[0].seeds) == 4


@pytest.mark.parametrize("mode, method", [("model", "enable_model_cpu_offload"),
                                          ("sequential", "enable_sequential_cpu_offload")])
def test_offload_settings_reach_the_pipeline(monkeypatch, mode, method):
    called = []
    monkeypatch.setattr(StableDiffusionPipeline, method, lambda self, *a, **kw: called.append(self))

    generator = tiny_generator(SpeedOptions(offload=mode))

    assert called == [generator.pipe]


def test_an_unknown_offload_mode_is_refused():
    with pytest.raises(ValueError, match="offload is one of none, model, sequential"):
        tiny_generator(SpeedOptions(offload="disk"))


def test_vae_tiling_and_slicing_reach_the_autoencoder():
    generator = tiny_generator(SpeedOptions(vae_tiling=True, vae_slicing=True))

    assert generator.pipe.vae.use_tiling and generator.pipe.vae.use_slicing


def test_the_command_line_sets_the_speed_options():
    settings = parse_settings(["--compile", "--offload", "model", "--vae-tiling"])

    assert settings.speed == SpeedOptions(compile=True, offload="model", vae_tiling=True, vae_slicing=True)
    assert parse_settings([]).speed == SpeedOptions()


def test_n_candidates_take_one_pipeline_call(generator, monkeypatch):
    calls = []
    original = type(generator.pipe).__call__
    monkeypatch.setattr(type(generator.pipe), "__call__",
                        lambda self, *a, **kw: calls.append(kw.get("num_images_per_prompt")) or original(self, *a, **kw))

    images = generator.render(RenderRequest("a jazz poster", seeds=(1, 2, 3, 4), width=64, height=64, steps=2))

    assert len(images) == 4 and calls == [4]


def test_on_cuda_the_denoiser_and_decoder_run_channels_last_with_fused_qkv(monkeypatch):
    """The CUDA layout, checked on the CPU: only the move to the device is skipped."""
    monkeypatch.setattr(StableDiffusionPipeline, "to", lambda self, *a, **kw: self)

    generator = DiffusersGenerator("tiny/sd", str(tiny.ensure("sd")), "StableDiffusionPipeline",
                                   Placement("cuda", torch.float32), SpeedOptions())

    pipe = generator.pipe
    for module in (pipe.unet, pipe.vae):
        convolutions = [m.weight for m in module.modules() if isinstance(m, torch.nn.Conv2d)]
        assert convolutions and all(w.is_contiguous(memory_format=torch.channels_last) for w in convolutions)
    assert {type(p).__name__ for p in pipe.unet.attn_processors.values()} == {"FusedAttnProcessor2_0"}


def test_on_the_cpu_the_layout_is_left_alone():
    pipe = tiny_generator(SpeedOptions()).pipe

    assert {type(p).__name__ for p in pipe.unet.attn_processors.values()} == {"AttnProcessor2_0"}


@pytest.mark.parametrize("compile_, cache", [(True, "static"), (False, None)])
def test_compile_gives_the_refiner_a_static_cache_and_a_warm_up_at_load(monkeypatch, compile_, cache):
    """With a static KV cache, transformers compiles the decoding step on a GPU; the warm-up pays for it."""
    from transformers import Qwen2ForCausalLM

    calls = []
    original = Qwen2ForCausalLM.generate
    monkeypatch.setattr(Qwen2ForCausalLM, "generate", lambda self, *a, **kw: calls.append(kw) or original(self, *a, **kw))

    refiner = ModelRegistry(PRESETS["tiny"], CPU, SpeedOptions(compile=compile_)).refiner()
    warm_ups = len(calls)
    streamed: list[str] = []
    reply = refiner.complete("You write prompts.", "a jazz poster", max_new_tokens=6, on_token=streamed.append)

    assert [kw["input_ids"].shape[0] for kw in calls[:warm_ups]] == ([1, 2] if compile_ else [])  # alone, batched
    assert {kw["cache_implementation"] for kw in calls} == {cache}
    assert "".join(streamed) == reply  # it still streams
