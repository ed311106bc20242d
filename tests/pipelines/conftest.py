"""Fixtures for the model layer: the tiny generator of the shared registry and a few images.

Tiny models have random weights: these tests prove plumbing (shapes, counts, calls, errors),
never that an image or a sentence is good.
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

SIZE = 64  # the tiny preset's size; a multiple of 8 like every real size


def _noise_image(seed: int, size: tuple[int, int] = (SIZE, SIZE)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


@pytest.fixture(scope="session")
def noise_image():
    """noise_image(seed): a distinct RGB image per seed, no model involved."""
    return _noise_image


@pytest.fixture(scope="session")
def generator(tiny_registry):
    return tiny_registry.generator()


@pytest.fixture(scope="session")
def reference() -> Image.Image:
    """A designer's reference sketch: a navy page with a gold circle."""
    image = Image.new("RGB", (SIZE, SIZE), (20, 30, 90))
    ImageDraw.Draw(image).ellipse((16, 16, 48, 48), fill=(212, 175, 55))
    return image


@pytest.fixture(scope="session")
def photos(reference) -> list[Image.Image]:
    """Three different images, as a round's candidates would be."""
    return [reference, _noise_image(1), _noise_image(2)]


@pytest.fixture(scope="session")
def centre_mask() -> Image.Image:
    """Inpainting mask: white = redraw the centre, keep the border."""
    mask = Image.new("L", (SIZE, SIZE), 0)
    mask.paste(255, (16, 16, 48, 48))
    return mask
