"""The generator renders a round's candidates in one call: text-to-image, image-to-image from a
reference, inpainting a region; it reports each step, stops when told, and refuses bad requests."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import ImageOps

from images import same_up_to_rounding
from pipelines.base import Interrupted, RenderRequest, StepEvent

PROMPT = "art deco jazz poster, navy and gold, saxophone"


def poster(**settings) -> RenderRequest:
    values = dict(prompt=PROMPT, seeds=(11, 12, 13), width=64, height=64, steps=2)
    return RenderRequest(**{**values, **settings})


def pixels(image) -> np.ndarray:
    return np.asarray(image)


# ---------------------------------------------------------------- text-to-image
def test_one_candidate_per_seed_at_the_requested_size(generator):
    images = generator.render(poster(seeds=(1, 2, 3), width=64, height=48))

    assert len(images) == 3
    assert [image.size for image in images] == [(64, 48)] * 3
    assert {image.mode for image in images} == {"RGB"}


def test_candidates_of_one_round_differ(generator):
    images = generator.render(poster(seeds=(1, 2, 3)))

    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert not np.array_equal(pixels(images[i]), pixels(images[j])), f"candidates {i} and {j} are identical"


def test_a_seed_gives_the_same_pixels_again_even_at_another_place_in_the_batch(generator):
    first = generator.render(poster(seeds=(5, 7)))
    again = generator.render(poster(seeds=(5, 7)))
    reordered = generator.render(poster(seeds=(9, 7, 5)))

    assert np.array_equal(pixels(first[0]), pixels(again[0]))
    assert same_up_to_rounding(first[1], reordered[1])  # seed 7: second, then second of three
    assert same_up_to_rounding(first[0], reordered[2])  # seed 5: first, then last
    assert not same_up_to_rounding(first[0], first[1])  # which different seeds are not


def test_the_prompt_reaches_the_model(generator):
    jazz = generator.render(poster(seeds=(4,)))[0]
    other = generator.render(poster(seeds=(4,), prompt="a watercolor fox in a green forest"))[0]

    assert not np.array_equal(pixels(jazz), pixels(other))


# ---------------------------------------------------------------- image-to-image and inpainting
def test_image_to_image_starts_from_the_reference_and_reuses_the_loaded_weights(generator, reference, noise_image):
    request = poster(init_image=reference, strength=0.5, steps=4)

    from_reference = generator.render(request)
    from_noise = generator.render(replace(request, init_image=noise_image(9)))

    assert [image.size for image in from_reference] == [(64, 64)] * 3
    assert not np.array_equal(pixels(from_reference[0]), pixels(from_noise[0]))  # the init image is used
    derived = generator._pipeline_for(request)
    assert "Img2Img" in type(derived).__name__
    assert derived.unet is generator.pipe.unet  # no second copy of the weights
    assert derived.vae is generator.pipe.vae
    assert derived.text_encoder is generator.pipe.text_encoder
    assert generator._pipeline_for(request) is derived  # made once, then kept


def test_inpainting_redraws_the_masked_region_and_reuses_the_loaded_weights(generator, reference, centre_mask):
    request = poster(init_image=reference, mask=centre_mask, strength=0.5, steps=4)
    border_mask = ImageOps.invert(centre_mask)  # redraw the border instead

    centre = generator.render(request)
    border = generator.render(replace(request, mask=border_mask))

    assert [image.size for image in centre] == [(64, 64)] * 3
    assert not np.array_equal(pixels(centre[0]), pixels(border[0]))  # the mask is used
    derived = generator._pipeline_for(request)
    assert "Inpaint" in type(derived).__name__
    assert derived.unet is generator.pipe.unet
    assert derived.vae is generator.pipe.vae
    assert derived is not generator._pipeline_for(replace(request, mask=None))


@pytest.fixture(scope="module")
def left_half_mask():
    """Redraw the left half of the picture, keep the right half."""
    from PIL import Image

    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 32, 64))
    return mask


@pytest.mark.parametrize("feather", [0, 4], ids=["the-generators-feather", "a-4-px-feather"])
def test_inpainting_keeps_every_pixel_outside_the_mask_beyond_the_feather(generator, noise_image, left_half_mask,
                                                                          feather):
    from pipelines.generator import feather_for

    original = noise_image(21)
    request = poster(seeds=(3, 4), init_image=original, mask=left_half_mask, strength=0.5, steps=2, feather=feather)
    width = feather or feather_for(64, 64)

    images = generator.render(request)

    # Columns 0-31 are redrawn: column 32 + width is the first more than `width` pixels from the mask.
    kept, redrawn = pixels(original)[:, 32 + width:], pixels(original)[:, :32 - width]
    for image in images:
        assert np.array_equal(pixels(image)[:, 32 + width:], kept)  # byte for byte
        assert not np.array_equal(pixels(image)[:, 32 + width - 1], kept[:, 0])  # the blend reaches the feather
        assert not np.array_equal(pixels(image)[:, :32 - width], redrawn)  # the model drew the masked half
    assert not np.array_equal(pixels(images[0]), pixels(images[1]))  # each seed its own redraw
    assert np.array_equal(pixels(generator.render(request)[0]), pixels(images[0]))  # and the same one again


def test_the_feather_blends_across_the_masks_edge_and_is_exact_on_both_sides():
    from pipelines.masks import feathered

    redraw = np.zeros((8, 16), dtype=bool)
    redraw[:, :8] = True

    weight = feathered(redraw, 2)

    assert weight[:, :6].min() == 1.0 and weight[:, 11:].max() == 0.0  # exact beyond the feather
    assert np.allclose(weight[0, 5:11], [1, 0.8, 0.6, 0.4, 0.2, 0])  # a linear ramp over 2 x 2 + 1 pixels
    assert np.array_equal(feathered(redraw, 0), redraw.astype(np.float32))


# ---------------------------------------------------------------- a style reference (IP-Adapter)
@pytest.fixture(scope="module")
def plain_generator(tiny_registry):
    """The tiny SD generator without an IP-Adapter, as a preset without one loads it."""
    from pipelines import tiny
    from pipelines.generator import DiffusersGenerator

    return DiffusersGenerator("tiny/sd", str(tiny.ensure("sd")), "StableDiffusionPipeline", tiny_registry.placement)


def test_a_style_image_steers_the_candidates_the_same_way_every_time(generator, reference, noise_image):
    assert generator.style_reference  # the tiny preset loads a tiny IP-Adapter through diffusers' load_ip_adapter
    request = poster(seeds=(5, 6), style_image=reference, style_strength=0.8)

    styled = generator.render(request)
    again = generator.render(request)
    unstyled = generator.render(replace(request, style_image=None))
    other_style = generator.render(replace(request, style_image=noise_image(8)))

    assert np.array_equal(pixels(styled[0]), pixels(again[0])) and np.array_equal(pixels(styled[1]), pixels(again[1]))
    assert not np.array_equal(pixels(styled[0]), pixels(unstyled[0]))
    assert not np.array_equal(pixels(styled[0]), pixels(other_style[0]))
    assert type(generator.pipe.image_encoder).__name__ == "CLIPVisionModelWithProjection"


def test_without_a_style_image_the_adapter_changes_nothing(generator, plain_generator):
    request = poster(seeds=(5,))

    assert np.array_equal(pixels(generator.render(request)[0]), pixels(plain_generator.render(request)[0]))
    assert not plain_generator.style_reference


def test_a_style_image_works_with_directions_image_to_image_and_inpainting(generator, reference, noise_image,
                                                                          centre_mask):
    style = dict(style_image=noise_image(8), style_strength=0.5)

    directions = generator.render(poster(seeds=(1, 2), prompts=("bold flat shapes", "a soft photo"), **style))
    from_reference = generator.render(poster(seeds=(1,), init_image=reference, strength=0.5, steps=4, **style))
    inpainted = generator.render(poster(seeds=(1,), init_image=reference, mask=centre_mask, strength=0.5, steps=4,
                                        **style))

    assert len(directions) == 2 and from_reference[0].size == inpainted[0].size == (64, 64)
    assert not np.array_equal(pixels(from_reference[0]),
                              pixels(generator.render(poster(seeds=(1,), init_image=reference, strength=0.5,
                                                             steps=4))[0]))


def test_a_style_image_for_a_generator_without_an_adapter_is_refused(plain_generator, reference):
    steps: list[StepEvent] = []

    with pytest.raises(ValueError, match="takes no style reference"):
        plain_generator.render(poster(style_image=reference), on_step=steps.append)

    assert steps == []


# ---------------------------------------------------------------- progress and Stop
def test_each_step_is_reported_once_with_a_preview_per_candidate(generator):
    events: list[StepEvent] = []

    generator.render(poster(seeds=(1, 2), steps=3, previews=True), on_step=events.append)

    assert [(event.step, event.total) for event in events] == [(1, 3), (2, 3), (3, 3)]
    for event in events:
        assert len(event.previews) == 2
        assert {preview.size for preview in event.previews} == {(64, 64)}  # decoded by the tiny autoencoder


def test_without_a_preview_decoder_previews_are_the_latents_mapped_to_colour(generator):
    from pipelines.generator import latent_previews

    events: list[StepEvent] = []
    diffusers_generator = generator.inner  # the in-process backend's model, behind its device lock
    previewer, diffusers_generator.previewer = diffusers_generator.previewer, None
    try:
        generator.render(poster(seeds=(1, 2), steps=2, previews=True), on_step=events.append)
    finally:
        diffusers_generator.previewer = previewer

    assert type(previewer).__name__ == "AutoencoderTiny"  # the preset's TAESD-class previewer
    assert {preview.size for event in events for preview in event.previews} == {(64 // 8, 64 // 8)}
    assert latent_previews(__import__("torch").zeros(1, 16, 8, 8)) == ()  # not a 4-channel latent space


def test_no_previews_unless_asked(generator):
    events: list[StepEvent] = []

    generator.render(poster(seeds=(1,), steps=2), on_step=events.append)

    assert len(events) == 2
    assert all(event.previews == () for event in events)


def test_image_to_image_reports_only_the_steps_it_runs(generator, reference):
    events: list[StepEvent] = []

    generator.render(poster(init_image=reference, strength=0.5, steps=4), on_step=events.append)

    assert [(event.step, event.total) for event in events] == [(1, 2), (2, 2)]  # 4 steps x strength 0.5


def test_stop_during_a_render_ends_the_call_and_the_generator_still_works(generator):
    events: list[StepEvent] = []

    def stop_after_first_step(event: StepEvent) -> None:
        events.append(event)
        raise Interrupted

    with pytest.raises(Interrupted):
        generator.render(poster(steps=4), on_step=stop_after_first_step)

    assert len(events) == 1  # no step ran after Stop
    assert len(generator.render(poster(seeds=(1,)))) == 1


# ---------------------------------------------------------------- bad requests
@pytest.mark.parametrize("settings, message", [
    (dict(width=60), "divisible by 8"),
    (dict(height=100), "divisible by 8"),
    (dict(seeds=()), "at least one seed"),
    (dict(mask="centre_mask"), "needs `init_image`"),
    (dict(init_image="reference", steps=1, strength=0.5), "leave no denoising step"),
    (dict(init_image="reference", mask="centre_mask", feather=-1), "`feather` is a number of pixels"),
    (dict(style_image="reference", style_strength=1.5), "`style_strength` is from 0"),
], ids=["width", "height", "no-seeds", "mask-without-image", "too-few-steps-for-strength", "negative-feather",
        "style-strength-above-1"])
def test_bad_requests_are_refused_before_any_step(generator, request, settings, message):
    settings = {key: request.getfixturevalue(value) if isinstance(value, str) else value
                for key, value in settings.items()}
    steps: list[StepEvent] = []

    with pytest.raises(ValueError, match=message):
        generator.render(poster(**settings), on_step=steps.append)

    assert steps == []


def test_enough_steps_for_the_strength_are_accepted(generator, reference):
    generator.check_inputs(poster(init_image=reference, steps=2, strength=0.5))  # one step: enough


# ---------------------------------------------------------------- the prompt limit
def test_the_prompt_limit_is_the_text_encoders(generator):
    assert generator.max_prompt_tokens == generator.pipe.tokenizer.model_max_length - 2
    assert generator.count_prompt_tokens("") == 0
    assert generator.count_prompt_tokens(PROMPT) < generator.count_prompt_tokens(PROMPT + ", " + PROMPT)
