"""The upscaler: a candidate `factor` times wider and taller, its detail redrawn by the preset's own generator.

Why this way: Lanczos enlargement alone keeps the picture but blurs it; a pass of image-to-image at low strength
with the same prompt and seed then redraws fine detail at the new size while keeping the composition (Fooocus'
"Upscale" and A1111's "hires fix" do the same). It needs no other model: the pass runs through the generator's own
image-to-image pipeline (`AutoPipelineForImage2Image.from_pipe`, sharing the loaded weights), so it costs no
memory for weights, works for SD, SDXL and FLUX alike, and the tiny preset's twin is its tiny generator. A
dedicated super-resolution model (Real-ESRGAN, SD x4 upscaler) would be another download and another licence, and
the SD x4 upscaler is SD-2-only.

Where the enlarged picture is larger than the preset's tile (`Preset.upscale_tile`, about the largest size its
generator renders well), the pass runs in overlapping tiles, every tile with the same seed, blended linearly
across each overlap; every decode is then at most a tile, a size the preset's own renders already reach, so no
VAE tiling is needed beyond the generator's own setting. A tile should still show a good part of the picture (the
prompt describes the whole of it): `Preset.max_upscale` keeps a tile at a quarter of the picture or more.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image

from pipelines.base import RenderRequest, StepCallback, StepEvent, UpscaleRequest

RESAMPLE = Image.Resampling.LANCZOS


def overlap_for(tile: int, multiple: int) -> int:
    """The overlap of neighbouring tiles: an eighth of a tile, in whole latent pixels."""
    return max(multiple, tile // 8 // multiple * multiple)


def tile_starts(length: int, tile: int, overlap: int, multiple: int) -> list[int]:
    """Where the tiles along one side start: as few as cover `length` with at least about `overlap` shared."""
    if length <= tile:
        return [0]
    count = math.ceil((length - overlap) / (tile - overlap))
    starts = [round(i * (length - tile) / (count - 1) / multiple) * multiple for i in range(count)]
    return sorted(set(starts[:-1] + [length - tile]))


def blend_weights(size: int, start: int, length: int, overlap: int) -> np.ndarray:
    """One side of a tile's blend weight: rising linearly over `overlap` px from an edge inside the picture,
    1 elsewhere (a side on the picture's own border is not faded). Never 0: every pixel keeps a weight."""
    x = np.arange(size, dtype=np.float32) + 0.5
    weight = np.ones(size, dtype=np.float32)
    if start > 0:
        weight = np.minimum(weight, x / overlap)
    if start + size < length:
        weight = np.minimum(weight, (size - x) / overlap)
    return weight


class GeneratorUpscaler:
    """Lanczos, then the generator's image-to-image at low strength, tiled above `tile` px a side."""

    def __init__(self, generator, tile: int, max_factor: int):
        self.generator = generator  # a DiffusersGenerator: its image-to-image pipeline shares the loaded weights
        self.model_id = generator.model_id
        self.multiple = generator.size_multiple  # sides the pipeline takes (8; 16 for FLUX's packed latents)
        self.tile = tile // self.multiple * self.multiple
        self.overlap = overlap_for(self.tile, self.multiple)
        self.max_factor = max_factor
        self.method = (f"Lanczos enlargement, then image-to-image with {self.model_id} (same prompt and seed) at low "
                       f"strength, in {self.tile} px tiles with {self.overlap} px overlap where larger")

    def describe(self, request: UpscaleRequest) -> str:
        """This request's method in words, as kept with the round ("Lanczos ×2, then image-to-image at ...")."""
        width, height = (side * request.factor for side in request.image.size)
        tiles = len(self._tiles(*self._canvas(width, height)))
        where = (f"in {tiles} tiles of {self.tile} px with {self.overlap} px overlap" if tiles > 1
                 else "in one pass")
        return (f"Lanczos ×{request.factor}, then image-to-image with {self.model_id} at strength "
                f"{request.strength:g} ({math.floor(request.steps * request.strength)} of {request.steps} steps) "
                f"{where}")

    def check_inputs(self, request: UpscaleRequest) -> None:
        if not isinstance(request.factor, int) or not 2 <= request.factor <= self.max_factor:
            raise ValueError(f"`factor` is a whole number from 2 to {self.max_factor} for {self.model_id}, "
                             f"got {request.factor!r}; upscale again for more.")
        if not 0 < request.strength <= 1:
            raise ValueError(f"`strength` is above 0 and at most 1, got {request.strength}.")
        if math.floor(request.steps * request.strength) < 1:
            raise ValueError(f"{request.steps} step(s) at strength {request.strength} leave no denoising step; "
                             f"use at least {math.ceil(1 / request.strength)} steps or a higher strength.")
        if min(request.image.size) < 1:
            raise ValueError("`image` is empty: there is nothing to upscale.")

    def _canvas(self, width: int, height: int) -> tuple[int, int]:
        """The enlarged size rounded up to the pipeline's multiple: the pass runs on this, the result is cut back."""
        return tuple(math.ceil(side / self.multiple) * self.multiple for side in (width, height))

    def _tiles(self, width: int, height: int) -> list[tuple[int, int, int, int]]:
        """(left, top, tile width, tile height) of every tile, row by row."""
        tile_w, tile_h = min(width, self.tile), min(height, self.tile)
        return [(left, top, tile_w, tile_h)
                for top in tile_starts(height, self.tile, self.overlap, self.multiple)
                for left in tile_starts(width, self.tile, self.overlap, self.multiple)]

    def upscale(self, request: UpscaleRequest, on_step: StepCallback | None = None) -> Image.Image:
        self.check_inputs(request)
        # 1. Enlarge: Lanczos to the exact size, then edges repeated out to the pipeline's multiple.
        width, height = (side * request.factor for side in request.image.size)
        enlarged = np.asarray(request.image.convert("RGB").resize((width, height), RESAMPLE))
        canvas_w, canvas_h = self._canvas(width, height)
        canvas = np.pad(enlarged, ((0, canvas_h - height), (0, canvas_w - width), (0, 0)), mode="edge")
        # 2. Redraw detail, tile by tile, each tile weighted down linearly across its overlaps.
        tiles = self._tiles(canvas_w, canvas_h)
        total = np.zeros((canvas_h, canvas_w, 3), dtype=np.float32)
        weights = np.zeros((canvas_h, canvas_w, 1), dtype=np.float32)
        for index, (left, top, tile_w, tile_h) in enumerate(tiles):
            part = Image.fromarray(canvas[top:top + tile_h, left:left + tile_w])
            redrawn = self._redraw(request, part, self._progress(on_step, index, len(tiles)))
            weight = np.outer(blend_weights(tile_h, top, canvas_h, self.overlap),
                              blend_weights(tile_w, left, canvas_w, self.overlap))[..., None]
            total[top:top + tile_h, left:left + tile_w] += np.asarray(redrawn, dtype=np.float32) * weight
            weights[top:top + tile_h, left:left + tile_w] += weight
        # 3. Back to the exact size.
        pixels = np.rint(total / weights).clip(0, 255).astype(np.uint8)[:height, :width]
        return Image.fromarray(pixels)

    def _redraw(self, request: UpscaleRequest, part: Image.Image, on_step: StepCallback | None) -> Image.Image:
        render = RenderRequest(request.prompt, (request.seed,), request.negative, width=part.width,
                               height=part.height, steps=request.steps, guidance=request.guidance,
                               init_image=part, strength=request.strength)
        return self.generator.render(render, on_step)[0]

    @staticmethod
    def _progress(on_step: StepCallback | None, index: int, tiles: int) -> StepCallback | None:
        """Steps counted across all tiles: tile `index`'s step s of n is step index·n + s of tiles·n."""
        if on_step is None:
            return None
        return lambda event: on_step(StepEvent(step=index * event.total + event.step, total=tiles * event.total))
