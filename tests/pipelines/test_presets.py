"""Presets name real checkpoints; each real model family has a tiny twin built from the very
classes the preset loads, so the offline tests exercise the code the real models run through."""
from __future__ import annotations

import pytest
import torch

from pipelines import tiny
from pipelines.base import RenderRequest
from pipelines.generator import DiffusersGenerator
from pipelines.presets import FAMILY_CLASSES, LOCAL_VLM, PRESETS, auto_preset_name, get_preset

REAL_PRESETS = [preset for name, preset in PRESETS.items() if name != "tiny"]
REAL_SPECS = {(preset.name, role): spec for preset in REAL_PRESETS for role, spec in preset.models.items()}


def test_every_real_family_has_a_tiny_builder():
    families = {spec.family for spec in REAL_SPECS.values()}

    assert families == {"sd", "sdxl", "flux", "qwen2", "blip-caption", "blip-vqa", "clip", "clipseg", "taesd",
                        "taef1"}
    assert families | {LOCAL_VLM.family} <= set(tiny.BUILDERS)  # the in-process critic that sees (--vlm-model) too
    assert all(spec.is_tiny for spec in PRESETS["tiny"].models.values())
    assert not any(spec.is_tiny for spec in REAL_SPECS.values())


@pytest.fixture(scope="module")
def tiny_generator_of(tiny_registry):
    """The tiny generator of a family, loaded by the same loader and class a real preset uses."""
    loaded: dict[str, DiffusersGenerator] = {}

    def load(spec) -> DiffusersGenerator:
        if spec.family not in loaded:
            loaded[spec.family] = DiffusersGenerator(spec.model_id, str(tiny.ensure(spec.family)), spec.classes[0],
                                                     tiny_registry.placement)
        return loaded[spec.family]

    return load


@pytest.mark.parametrize("preset_name", [p.name for p in REAL_PRESETS])
def test_the_tiny_twin_of_each_real_generator_loads_with_its_class_and_renders(preset_name, tiny_generator_of):
    spec = PRESETS[preset_name].generator

    generator = tiny_generator_of(spec)
    [image] = generator.render(RenderRequest("a jazz poster, navy and gold", (1,), width=64, height=64, steps=2))

    assert type(generator.pipe).__name__ == spec.classes[0]
    assert generator.model_id == spec.model_id
    assert image.size == (64, 64)
    assert generator.count_prompt_tokens("a jazz poster") > 0


def loaded_classes(registry, role: str) -> tuple[str, ...]:
    """The model and tokenizer/processor classes the tiny registry loaded for `role`."""
    if role == "refiner":
        refiner = registry.refiner()
        return type(refiner.model).__name__, type(refiner.tokenizer).__name__
    if role in ("captioner", "vqa"):
        captioner = registry.captioner()  # one object holds both heads
        if role == "captioner":
            return type(captioner._caption_model).__name__, type(captioner._caption_processor).__name__
        return type(captioner._vqa_model).__name__, type(captioner._vqa_processor).__name__
    model = registry.scorer() if role == "scorer" else registry.segmenter()
    return type(model.model).__name__, type(model.processor).__name__


TRANSFORMERS_ROLES = ("refiner", "captioner", "vqa", "scorer", "segmenter")


@pytest.mark.parametrize("preset_name, role", [key for key in REAL_SPECS if key[1] in TRANSFORMERS_ROLES],
                         ids=[f"{p}-{r}" for p, r in REAL_SPECS if r in TRANSFORMERS_ROLES])
def test_the_tiny_twin_of_each_real_transformers_model_loads_with_its_classes(tiny_registry, preset_name, role):
    spec = REAL_SPECS[(preset_name, role)]
    assert PRESETS["tiny"].models[role].family == spec.family  # the tiny preset stands in for this family

    assert loaded_classes(tiny_registry, role) == spec.classes


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_shows_its_licenses_and_memory(name):
    preset = PRESETS[name]

    assert preset.summary and preset.speed
    assert preset.memory_gb > 0
    for spec in preset.models.values():
        assert spec.license.strip(), f"{spec.model_id} has no license"
        assert spec.family in FAMILY_CLASSES
    assert preset.size <= preset.max_size and preset.size % 8 == 0 and preset.steps >= 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU machine `auto` picks by GPU memory")
def test_auto_on_a_cpu_machine_is_the_cpu_preset():
    assert get_preset("auto").name == "cpu"


@pytest.mark.parametrize("gpu_gb, expected", [(None, "cpu"), (8.0, "cpu"), (16.0, "turbo"), (24.0, "turbo"),
                                              (80.0, "quality")])
def test_auto_picks_the_best_preset_that_fits(gpu_gb, expected):
    assert auto_preset_name(gpu_gb) == expected


def test_an_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match="'gpu-xl'") as raised:
        get_preset("gpu-xl")

    for choice in ["auto", *PRESETS]:
        assert choice in str(raised.value)


@pytest.mark.parametrize("preset_name", [p.name for p in REAL_PRESETS])
def test_every_real_preset_streams_decoded_previews_through_its_previewers_tiny_twin(preset_name, tiny_registry):
    """SD and SDXL through TAESD, FLUX (packed latents) through TAEF1: one preview per candidate at every step,
    at the image's size, from the same classes and latent spaces the real preset loads."""
    from pipelines.base import StepEvent

    preset = PRESETS[preset_name]
    assert preset.previewer is not None and preset.previewer.classes == ("AutoencoderTiny",)
    generator = DiffusersGenerator(preset.generator.model_id, str(tiny.ensure(preset.generator.family)),
                                   preset.generator.classes[0], tiny_registry.placement,
                                   preview_source=str(tiny.ensure(preset.previewer.family)))
    events: list[StepEvent] = []

    generator.render(RenderRequest("a jazz poster", (1, 2), width=64, height=64, steps=2, previews=True),
                     on_step=events.append)

    assert generator.previewer.config.latent_channels == generator.pipe.vae.config.latent_channels
    assert [(e.step, e.total) for e in events] == [(1, 2), (2, 2)]
    assert all(len(e.previews) == 2 and {p.size for p in e.previews} == {(64, 64)} for e in events)


def test_style_references_where_a_fitting_adapter_is_published_under_the_presets_terms():
    assert PRESETS["tiny"].ip_adapter.is_tiny
    turbo = PRESETS["turbo"].ip_adapter
    assert (turbo.repo, turbo.license) == ("h94/IP-Adapter", "Apache-2.0")
    assert turbo.files == ("sdxl_models/ip-adapter_sdxl_vit-h.safetensors", "models/image_encoder/config.json")
    assert PRESETS["cpu"].ip_adapter is None  # SD 2.1: no IP-Adapter published for its attention width
    assert PRESETS["quality"].ip_adapter is None  # FLUX's is FLUX.1-dev's, non-commercial


@pytest.mark.parametrize("preset_name", [p.name for p in REAL_PRESETS if p.ip_adapter is not None])
def test_the_tiny_twin_of_each_real_style_reference_loads_through_load_ip_adapter_and_steers(preset_name,
                                                                                           tiny_registry, reference):
    """turbo: SDXL with an IP-Adapter laid out as h94/IP-Adapter's, its image encoder at the repo's root."""
    from dataclasses import replace

    import numpy as np

    preset = PRESETS[preset_name]
    adapter = replace(preset.ip_adapter, repo=str(tiny.ensure(f"ip-adapter-{preset.generator.family}")),
                      weight_name="ip-adapter.safetensors")
    generator = DiffusersGenerator(preset.generator.model_id, str(tiny.ensure(preset.generator.family)),
                                   preset.generator.classes[0], tiny_registry.placement, ip_adapter=adapter)
    request = RenderRequest("a jazz poster", (1,), width=64, height=64, steps=2)

    styled = generator.render(RenderRequest(**{**request.__dict__, "style_image": reference}))
    plain = generator.render(request)

    assert generator.style_reference
    assert not np.array_equal(np.asarray(styled[0]), np.asarray(plain[0]))
