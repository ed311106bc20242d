"""Masks as pixels: the feathered blend that keeps an inpainted image's outside, and growing a mask.

numpy and PIL only (no torch): the engine may import `feather_for` to show or record the feather a round used.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

MASK_THRESHOLD = 128  # a mask pixel at or above this is "redraw" (white), below it "keep" (black)


def feather_for(width: int, height: int) -> int:
    """The feather, in pixels, a request with `feather=0` gets: 1 px per 64 px of the shorter side (8 px at 512)."""
    return max(1, min(width, height) // 64)


def binary(mask: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """`mask` at `size` (width, height) as booleans: True where it asks for a redraw."""
    return np.asarray(mask.convert("L").resize(size)) >= MASK_THRESHOLD


def feathered(redraw: np.ndarray, feather: int) -> np.ndarray:
    """The blend weight of the redrawn image at each pixel, 0..1: the share of redraw pixels in the
    (2·feather + 1)-pixel square around it (a box blur of the binary mask, counted in integers).

    Exactly 0 where that square holds no redraw pixel, exactly 1 where it holds nothing else; across a straight
    edge it ramps linearly over 2·feather + 1 pixels, centred on the edge. The image's own border repeats outward,
    so a mask that touches the border is not thinned there.
    """
    if feather < 0:
        raise ValueError(f"`feather` is a number of pixels, 0 or more, not {feather}.")
    if feather == 0:
        return redraw.astype(np.float32)
    side = 2 * feather + 1
    padded = np.pad(redraw.astype(np.int64), feather, mode="edge")
    table = np.pad(padded.cumsum(0).cumsum(1), ((1, 0), (1, 0)))  # summed-area table: exact integer window sums
    counts = table[side:, side:] - table[:-side, side:] - table[side:, :-side] + table[:-side, :-side]
    return (counts / (side * side)).astype(np.float32)


def keep_outside(original: Image.Image, redrawn: Image.Image, weight: np.ndarray) -> Image.Image:
    """`redrawn` where `weight` is 1, `original` byte for byte where it is 0, a rounded blend in between."""
    a = np.asarray(original.convert("RGB"), dtype=np.float32)
    b = np.asarray(redrawn.convert("RGB").resize(original.size), dtype=np.float32)
    w = weight[..., None]
    blended = np.rint(a * (1 - w) + b * w).clip(0, 255).astype(np.uint8)
    return Image.fromarray(blended)


def grow(mask: Image.Image, pixels: int) -> Image.Image:
    """`mask` (mode L) grown by `pixels` on every side (a max filter over a square): a redraw covers the edges."""
    if pixels <= 0:
        return mask
    return mask.filter(ImageFilter.MaxFilter(2 * pixels + 1))
