"""Uploaded images at the engine's door: only files in the upload folders, fully decoded, never a URL or a bomb;
pictures turned upright, flattened and stripped of metadata; masks made black and white at the image's size."""
from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from pipelines.masks import MASK_THRESHOLD
from studio.core import limits
from studio.core.messages import field_name
from studio.engine.validation import StudioError


UPLOAD_FORMATS = {"PNG", "JPEG", "WEBP"}


def open_upload(path, what: str, roots: tuple[Path, ...]) -> Image.Image:
    """An uploaded image file, fully decoded, or a clear refusal: never a URL, never a bomb, never a
    file outside the upload folders (no reading the server's own files)."""
    named = field_name(what)
    if not isinstance(path, (str, os.PathLike)) or "://" in str(path):
        raise StudioError("upload.link", what=named)
    # Only files in the upload folders (a NUL is refused before resolve() could fail on it).
    if "\x00" in str(path) or not any(Path(path).resolve().is_relative_to(root.resolve()) for root in roots):
        raise StudioError("upload.outside", what=named)
    try:
        if os.path.getsize(path) > limits.MAX_UPLOAD_BYTES:
            raise StudioError("upload.too_big", what=named, mb=limits.MAX_UPLOAD_BYTES // 2**20)
        with Image.open(path) as probe:
            if probe.format not in UPLOAD_FORMATS:
                raise StudioError("upload.format", what=named, format=probe.format)
            if probe.width * probe.height > limits.MAX_UPLOAD_PIXELS:
                raise StudioError("upload.too_many_pixels", what=named, width=probe.width, height=probe.height)
            probe.load()  # decode now: a truncated or corrupt file fails here, not mid-round
            return probe.copy()
    except FileNotFoundError as err:
        raise StudioError("upload.missing", what=named) from err
    except Image.DecompressionBombError as err:
        raise StudioError("upload.bomb", what=named) from err
    except (UnidentifiedImageError, OSError) as err:  # PIL's message names the server's path: not for the page
        raise StudioError("upload.unreadable", what=named) from err


def open_picture(path, what: str, roots: tuple[Path, ...]) -> Image.Image:
    """An uploaded picture as the models read it: turned upright by its EXIF orientation, transparency laid over
    white and palettes expanded (RGB), and without its metadata (no EXIF, GPS, colour profile or text is kept)."""
    image = ImageOps.exif_transpose(open_upload(path, what, roots))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return _bare(image.convert("RGB"))


def open_mask(path, size: tuple[int, int], roots: tuple[Path, ...]) -> tuple[Image.Image, bool]:
    """An uploaded mask (white = redraw) as a black-and-white "L" image of `size`, and whether it had to be
    resized to get there. A transparent mask (a painted layer) counts its painted pixels; an empty one is
    refused: it would redraw nothing."""
    mask = ImageOps.exif_transpose(open_upload(path, "mask", roots))
    return binary_mask(mask, size)


def binary_mask(mask: Image.Image, size: tuple[int, int]) -> tuple[Image.Image, bool]:
    """`mask` (painted white on black, or painted on transparency) -> (a 0/255 "L" mask of `size`, resized?)."""
    if "A" in mask.getbands() and mask.getchannel("A").getextrema()[0] < 255:
        grey = mask.getchannel("A")  # painted on a transparent layer: what was painted is the region
    else:
        grey = mask.convert("L")
    resized = grey.size != tuple(size)
    if resized:
        grey = grey.resize(size, Image.Resampling.BILINEAR)
    binary = grey.point(lambda v: 255 if v >= MASK_THRESHOLD else 0)  # the generator's own cut (pipelines.masks)
    if binary.getextrema()[1] == 0:
        raise StudioError("mask.empty")
    return _bare(binary), resized


def _bare(image: Image.Image) -> Image.Image:
    """The pixels only: a copy with no metadata."""
    bare = Image.new(image.mode, image.size)
    bare.paste(image)
    return bare
