"""The segmenter finds a phrase in a candidate ("the saxophone") as a mask a region edit can redraw: one mask per
phrase, at the image's size, black or white; any phrase a designer types fits the model. Tiny weights: the masks
prove plumbing (sizes, values, determinism), never that the right object was found."""
from __future__ import annotations

import numpy as np
import pytest

from pipelines.segmenter import THRESHOLD, ClipSegSegmenter


@pytest.fixture(scope="module")
def segmenter(tiny_registry) -> ClipSegSegmenter:
    return tiny_registry.segmenter()


def test_a_designer_names_two_things_and_gets_a_mask_of_the_images_size_for_each(segmenter, noise_image):
    picture = noise_image(5, (96, 64))

    segments = segmenter.segment(picture, ["the saxophone", "the gold title"])

    assert len(segments) == 2
    for segment in segments:
        assert segment.mask.mode == "L" and segment.mask.size == (96, 64)
        assert set(np.unique(np.asarray(segment.mask))) <= {0, 255}
        assert 0.0 <= segment.peak <= 1.0
        assert segment.found == (segment.peak > THRESHOLD) == bool(np.asarray(segment.mask).any())


def test_the_same_picture_and_phrase_give_the_same_mask(segmenter, reference):
    first = segmenter.segment(reference, ["the gold circle"])[0]
    again = segmenter.segment(reference, ["the gold circle"])[0]

    assert np.array_equal(np.asarray(first.mask), np.asarray(again.mask)) and first.peak == again.peak


def test_a_phrase_far_longer_than_the_text_encoder_takes_is_cut_and_still_segments(segmenter, reference):
    rambling = "the small gold saxophone on the left of the navy poster, " * 40

    [segment] = segmenter.segment(reference, [rambling])

    tokenizer = segmenter.processor.tokenizer
    assert len(tokenizer(rambling)["input_ids"]) > tokenizer.model_max_length
    assert len(tokenizer(segmenter.fit_phrase(rambling))["input_ids"]) <= tokenizer.model_max_length
    assert segment.mask.size == reference.size


def test_no_phrases_no_segments(segmenter, reference):
    assert segmenter.segment(reference, []) == []


def test_the_segmenter_loads_at_first_use_with_the_presets_classes(tiny_registry):
    segmenter = tiny_registry.segmenter()

    assert tiny_registry.segmenter() is segmenter
    classes = type(segmenter.model).__name__, type(segmenter.processor).__name__
    assert classes == tiny_registry.preset.segmenter.classes
    assert segmenter.model_id == tiny_registry.preset.segmenter.model_id


def test_a_found_mask_is_grown_past_the_models_edge():
    from PIL import Image

    from pipelines.masks import grow

    mask = Image.new("L", (16, 16), 0)
    mask.putpixel((8, 8), 255)

    grown = np.asarray(grow(mask, 2))

    assert grown[6:11, 6:11].min() == 255 and grown.sum() == 25 * 255
