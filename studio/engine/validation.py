"""Input checks at the engine boundary: each returns the clean value or raises `StudioError`."""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from pipelines.base import ChecklistItem
from studio.core import limits
from studio.core.limits import shown


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
        raise StudioError(f"{what} must be a whole number, not {shown(value)}.")
    if not low <= value <= high:
        given = value if abs(value) < 10**18 else "a number that large"  # a 5,000-digit int has no str()
        raise StudioError(f"{what} must be between {low} and {high}, not {given}.")
    return value


def number(what: str, value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StudioError(f"{what} must be a number, not {shown(value)}.")
    if isinstance(value, int) and not -2**1023 < value < 2**1023:  # no float holds it
        raise StudioError(f"{what} must be between {low:g} and {high:g}.")
    if not math.isfinite(value):
        raise StudioError(f"{what} must be a number, not {shown(value)}.")
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


ITEM_KINDS = ("visual", "text", "avoid")
_QUOTED = re.compile(r"[\"“”‘’']([^\"“”‘’']+)[\"“”‘’']")


_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0", "")


def flag(what: str, value) -> bool:
    if isinstance(value, bool) or value is None or (isinstance(value, int) and value in (0, 1)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise StudioError(f"{what} must be true or false, not {shown(value)}.")


def _rows(what: str, rows, limit: int, width: int) -> list[list]:
    """Table rows as lists of `width` cells (a Gradio Dataframe sends {'data': rows, ...})."""
    if isinstance(rows, dict):
        rows = rows.get("data")
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, (list, tuple)) for r in rows):
        raise StudioError(f"{what} must be a table: a list of rows.")
    rows = [list(r) + [None] * (width - len(r)) for r in rows if any(str(c or "").strip() for c in r)]
    if any(len(r) > width for r in rows):
        raise StudioError(f"{what} has rows of more than {width} cells; keep to its {width} columns.")
    if len(rows) > limit:
        raise StudioError(f"{what} has {len(rows)} rows; keep it to {limit}.")
    return rows


def checklist(rows) -> tuple[ChecklistItem, ...]:
    """Rows of (text, kind, pinned) -> checklist items; blank rows are dropped."""
    items = []
    for text_value, kind, pinned in _rows("The checklist", rows, limits.MAX_CHECKLIST_ITEMS, 3):
        item = text("A checklist item", text_value, limits.MAX_ITEM_CHARS, required=True)
        kind = (kind or "visual").strip().lower() if isinstance(kind, (str, type(None))) else kind
        if kind not in ITEM_KINDS:
            raise StudioError(f"A checklist item's kind is one of {', '.join(ITEM_KINDS)}, not {shown(kind)}.")
        quote = ""
        if kind == "text":  # the words to read: what is quoted, or the item without "says"
            found = _QUOTED.search(item)
            quote = found.group(1).strip() if found else re.sub(r"^(says|reads)\s+", "", item, flags=re.I)
        items.append(ChecklistItem(item, kind, flag("Pinned", pinned), quote))
    return tuple(items)


def preferences(rows) -> list[tuple[str, str]]:
    """Rows of (text, 'like' | 'dislike') -> the designer's tastes; blank rows are dropped."""
    clean = []
    for text_value, polarity in _rows("Preferences", rows, limits.MAX_PREFERENCES, 2):
        taste = text("A preference", text_value, limits.MAX_MESSAGE_CHARS, required=True)
        polarity = (polarity or "").strip().lower() if isinstance(polarity, (str, type(None))) else polarity
        if polarity not in ("like", "dislike"):
            raise StudioError(f"A preference is a 'like' or a 'dislike', not {shown(polarity)}.")
        clean.append((taste, polarity))
    return list(dict(clean).items())


UPLOAD_FORMATS = {"PNG", "JPEG", "WEBP"}


def open_upload(path, what: str, roots: tuple[Path, ...]) -> Image.Image:
    """An uploaded image file, fully decoded, or a clear refusal: never a URL, never a bomb, never a
    file outside the upload folders (no reading the server's own files)."""
    if not isinstance(path, (str, os.PathLike)) or "://" in str(path):
        raise StudioError(f"{what} must be an uploaded image file, not a link.")
    # Only files in the upload folders (a NUL is refused before resolve() could fail on it).
    if "\x00" in str(path) or not any(Path(path).resolve().is_relative_to(root.resolve()) for root in roots):
        raise StudioError(f"{what} must be a file you uploaded; upload it again.")
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
    except Image.DecompressionBombError as err:
        raise StudioError(f"{what} has too many pixels to open; keep it under 16 megapixels.") from err
    except (UnidentifiedImageError, OSError) as err:  # PIL's message names the server's path: not for the page
        raise StudioError(f"{what} is not an image we can read. Upload a PNG, JPEG or WebP.") from err
