"""Input checks at the engine boundary: each returns the clean value or raises `StudioError`."""
from __future__ import annotations

import math
import os

from PIL import Image, UnidentifiedImageError

from studio import limits


class StudioError(ValueError):
    """Bad input or a refused action: the message says what and what to do. Nothing was changed."""


def owner(value) -> str:
    if not isinstance(value, str) or not limits.OWNER_ID.fullmatch(value):
        raise StudioError("Unknown user. Reload the page to get a fresh browser id, or sign in again.")
    return value


def text(what: str, value, max_chars: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise StudioError(f"{what} must be text.")
    value = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()
    if required and not value:
        raise StudioError(f"{what} is empty. Write a few words.")
    if len(value) > max_chars:
        raise StudioError(f"{what} is {len(value):,} characters long; keep it under {max_chars:,}.")
    return value


def whole(what: str, value, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise StudioError(f"{what} must be a whole number, not {value!r}.")
    if not low <= value <= high:
        raise StudioError(f"{what} must be between {low} and {high}, not {value}.")
    return value


def number(what: str, value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise StudioError(f"{what} must be a number, not {value!r}.")
    if not low <= value <= high:
        raise StudioError(f"{what} must be between {low:g} and {high:g}, not {value:g}.")
    return float(value)


def size(what: str, value, max_size: int) -> int:
    value = whole(what, value, limits.MIN_SIZE, max_size)
    if value % limits.SIZE_MULTIPLE:
        raise StudioError(f"{what} must be a multiple of {limits.SIZE_MULTIPLE} pixels, not {value}.")
    return value


def session_id(value) -> str:
    if not isinstance(value, str) or not limits.SESSION_ID.fullmatch(value):
        raise StudioError("That is not a session id. Pick a session from your list.")
    return value


UPLOAD_FORMATS = {"PNG", "JPEG", "WEBP"}


def open_upload(path, what: str) -> Image.Image:
    """An uploaded image file, fully decoded, or a clear refusal: never a URL, never a bomb."""
    if not isinstance(path, (str, os.PathLike)) or "://" in str(path):
        raise StudioError(f"{what} must be an uploaded image file, not a link.")
    try:
        if os.path.getsize(path) > limits.MAX_UPLOAD_BYTES:
            raise StudioError(f"{what} is larger than {limits.MAX_UPLOAD_BYTES // 2**20} MB; upload a smaller image.")
        with Image.open(path) as probe:
            if probe.format not in UPLOAD_FORMATS:
                raise StudioError(f"{what} must be a PNG, JPEG or WebP image, not {probe.format}.")
            if probe.width * probe.height > limits.MAX_UPLOAD_PIXELS:
                raise StudioError(f"{what} is {probe.width}x{probe.height} pixels; keep it under 16 megapixels.")
            probe.load()  # decode now: a truncated or corrupt file fails here, not mid-round
            return probe.copy()
    except FileNotFoundError as err:
        raise StudioError(f"{what} file was not found; upload it again.") from err
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as err:
        raise StudioError(f"{what} is not an image we can read ({err}). Upload a PNG, JPEG or WebP.") from err
