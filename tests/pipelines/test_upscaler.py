"""The upscaler makes a picked candidate two or four times larger with the preset's own generator: Lanczos, then a
low-strength image-to-image pass, tiled where the picture outgrows a tile. Tiny weights: sizes, tiles, seeds and
refusals, never that the detail is good."""
from __future__ import annotations

import numpy as np
import pytest

from pipelines.base import StepEvent, UpscaleRequest
from pipelines.presets import PRESETS
from pipelines.upscaler import GeneratorUpscaler, blend_weights, tile_starts

PROMPT = "art deco jazz poster, navy and gold, saxophone"


@pytest.fixture(scope="module")
def upscaler(tiny_registry) -> GeneratorUpscaler:
    return tiny_registry.upscaler()


def test_twice_as_large_is_exactly_twice_as_wide_and_tall(upscaler, noise_image):
    candidate = noise_image(3, (64, 48))

    larger = upscaler.upscale(UpscaleRequest(candidate, PROMPT, factor=2, seed=7))

    assert larger.size == (128, 96) and larger.mode == "RGB"
    assert "one pass" in upscaler.describe(UpscaleRequest(candidate, PROMPT, factor=2))


def test_four_times_runs_in_tiles_and_reports_every_step_of_every_tile(upscaler, reference):
    events: list[StepEvent] = []
    request = UpscaleRequest(reference, PROMPT, factor=4, seed=7, steps=4, strength=0.5)

    larger = upscaler.upscale(request, on_step=events.append)

    assert larger.size == (256, 256)
    tiles = len(upscaler._tiles(256, 256))
    assert tiles > 1 and upscaler.tile < 256  # the tiny preset's tile is small enough to tile 64 -> 256
    assert [(e.step, e.total) for e in events] == [(s, tiles * 2) for s in range(1, tiles * 2 + 1)]  # 4 x 0.5
    assert f"in {tiles} tiles of {upscaler.tile} px" in upscaler.describe(request)


def test_the_same_request_gives_the_same_pixels_and_another_seed_others(upscaler, reference):
    request = UpscaleRequest(reference, PROMPT, factor=4, seed=3)

    first, again = upscaler.upscale(request), upscaler.upscale(request)
    other = upscaler.upscale(UpscaleRequest(reference, PROMPT, factor=4, seed=4))

    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(other))


def test_a_picture_whose_sides_are_not_a_multiple_of_8_comes_back_exactly_factor_times_larger(upscaler, noise_image):
    odd = noise_image(4, (37, 21))

    assert upscaler.upscale(UpscaleRequest(odd, PROMPT, factor=3)).size == (111, 63)


@pytest.mark.parametrize("settings, message", [
    (dict(factor=5), "from 2 to 4"),
    (dict(factor=1), "from 2 to 4"),
    (dict(factor=2.5), "whole number"),
    (dict(steps=2, strength=0.3), "leave no denoising step"),
    (dict(strength=0), "above 0"),
], ids=["above-max-factor", "factor-1", "fractional-factor", "too-few-steps", "no-strength"])
def test_bad_upscales_are_refused_before_any_step(upscaler, reference, settings, message):
    events: list[StepEvent] = []

    with pytest.raises(ValueError, match=message):
        upscaler.upscale(UpscaleRequest(reference, PROMPT, **settings), on_step=events.append)

    assert events == []


def test_tiles_cover_the_picture_and_overlap_their_neighbours():
    starts = tile_starts(1000 // 8 * 8, 512, 64, 8)

    assert starts[0] == 0 and starts[-1] + 512 == 1000 // 8 * 8
    assert all(b - a <= 512 - 64 for a, b in zip(starts, starts[1:]))
    assert tile_starts(256, 512, 64, 8) == [0]
    inner = blend_weights(128, 64, 512, 16)  # a tile inside the picture fades in and out
    assert inner.min() > 0 and inner[64] == 1 and inner[0] < inner[8] < inner[15] < 1
    assert blend_weights(128, 0, 128, 16).min() == 1  # a tile that is the whole picture does not fade


def test_the_registry_upscales_with_the_loaded_generator_and_each_preset_keeps_a_tile_a_quarter_of_the_picture(
        tiny_registry):
    upscaler = tiny_registry.upscaler()

    assert upscaler.generator is tiny_registry.generator()  # no second load
    assert upscaler.model_id == tiny_registry.preset.generator.model_id and upscaler.method
    for preset in PRESETS.values():
        assert preset.max_upscale == 2 * preset.upscale_tile // preset.size, preset.name
        assert preset.upscale_tile % 16 == 0  # any pipeline's multiple (FLUX: 16)
