"""Input checks at the engine boundary: each returns the clean value or raises `StudioError`."""
from __future__ import annotations

import math
import os
import re
import unicodedata
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from pipelines.base import ModelLoadError

from studio.core.critique import ChecklistItem
from studio.core import limits
from studio.core.limits import shown
from studio.core.messages import Message, field_name
from studio.core.params import RANDOM_SEED, SETTING_NAMES, RoundParams
from studio.core.session import Candidate, Round, Session, find_round
from studio.services.styles import Style


class StudioError(ValueError):
    """Bad input or a refused action: the message says what and what to do. Nothing was changed.

    It carries a code and its arguments (`message`, said in the reader's language by the page); its str() is the
    English text, which API callers read."""

    def __init__(self, code: str, **args):
        self.message = Message(code, args)
        super().__init__(self.message.text())

    @classmethod
    def of(cls, message: Message) -> StudioError:
        return cls(message.code, **message.args)


@contextmanager
def refusing_model_load_errors() -> Iterator[None]:
    """An action whose model cannot load (no weights here, not enough memory) is refused, saying what to do."""
    try:
        yield
    except ModelLoadError as err:
        raise StudioError("model.error", detail=str(err)) from err


def owner(value) -> str:
    if not isinstance(value, str) or not limits.OWNER_ID.fullmatch(value):
        raise StudioError("who.unknown")
    return value


_BIDI_OVERRIDES = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}  # embeddings, overrides, isolates


def kept_character(ch: str) -> bool:
    """Everything people write, whole: emoji sequences (their zero-width joiners and variation selectors) and
    combining marks stay. Only control characters (but newline and tab), bidi overrides that could disguise
    text, lone surrogates and noncharacters go."""
    code = ord(ch)
    if ch in "\n\t":
        return True
    if unicodedata.category(ch) in ("Cc", "Cs") or code in _BIDI_OVERRIDES:
        return False
    return not (0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE)  # the 66 noncharacters


# `what` in the checks below is a field's key (studio/core/texts.py FIELDS): the refusal names it in the reader's
# language.
def text(what: str, value, max_chars: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise StudioError("text.not_text", what=field_name(what))
    value = "".join(ch for ch in value if kept_character(ch)).strip()
    if required and not value:
        raise StudioError("text.empty", what=field_name(what))
    if len(value) > max_chars:
        raise StudioError("text.too_long", what=field_name(what), length=len(value), limit=max_chars)
    return value


def whole(what: str, value, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise StudioError("number.not_whole", what=field_name(what), value=shown(value))
    if not low <= value <= high:
        if abs(value) >= 10**18:  # a 5,000-digit int has no str()
            raise StudioError("number.too_large", what=field_name(what), low=low, high=high)
        raise StudioError("number.out_of_range", what=field_name(what), low=low, high=high, value=value)
    return value


def number(what: str, value, low: float, high: float) -> float:
    bounds = dict(what=field_name(what), low=f"{low:g}", high=f"{high:g}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StudioError("number.not_number", what=bounds["what"], value=shown(value))
    if isinstance(value, int) and not -2**1023 < value < 2**1023:  # no float holds it
        raise StudioError("number.far_out_of_range", **bounds)
    if not math.isfinite(value):
        raise StudioError("number.not_number", what=bounds["what"], value=shown(value))
    if not low <= value <= high:
        raise StudioError("number.out_of_range", **bounds, value=f"{value:g}")
    return float(value)


def size(what: str, value, max_size: int) -> int:
    value = whole(what, value, limits.MIN_SIZE, max_size)
    if value % limits.SIZE_MULTIPLE:
        raise StudioError("size.not_multiple", what=field_name(what), multiple=limits.SIZE_MULTIPLE, value=value)
    return value


def session_id(value) -> str:
    if not isinstance(value, str) or not limits.SESSION_ID.fullmatch(value):
        raise StudioError("session.bad_id")
    return value


def key_id(value) -> str:
    if not isinstance(value, str) or not limits.KEY_ID.fullmatch(value):
        raise StudioError("key.bad_id")
    return value


ITEM_KINDS = ("visual", "text", "avoid")
_QUOTED = re.compile(r"[\"“”‘’']([^\"“”‘’']+)[\"“”‘’']")


_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0", "")


def flag(what: str, value) -> bool:
    if isinstance(value, bool) or value is None or (isinstance(value, int) and value in (0, 1)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise StudioError("flag.not_flag", what=field_name(what), value=shown(value))


def _rows(what: str, rows, limit: int, width: int) -> list[list]:
    """Table rows as lists of `width` cells (a Gradio Dataframe sends {'data': rows, ...})."""
    if isinstance(rows, dict):
        rows = rows.get("data")
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, (list, tuple)) for r in rows):
        raise StudioError("table.not_table", what=field_name(what))
    rows = [list(r) + [None] * (width - len(r)) for r in rows if any(str(c or "").strip() for c in r)]
    if any(len(r) > width for r in rows):
        raise StudioError("table.too_wide", what=field_name(what), width=width)
    if len(rows) > limit:
        raise StudioError("table.too_long", what=field_name(what), rows=len(rows), limit=limit)
    return rows


def checklist(rows) -> tuple[ChecklistItem, ...]:
    """Rows of (text, kind, pinned) -> checklist items; blank rows are dropped."""
    items = []
    for text_value, kind, pinned in _rows("checklist", rows, limits.MAX_CHECKLIST_ITEMS, 3):
        item = text("checklist_item", text_value, limits.MAX_ITEM_CHARS, required=True)
        kind = (kind or "visual").strip().lower() if isinstance(kind, (str, type(None))) else kind
        if kind not in ITEM_KINDS:
            raise StudioError("checklist.bad_kind", kinds=", ".join(ITEM_KINDS), value=shown(kind))
        quote = ""
        if kind == "text":  # the words to read: what is quoted, or the item without "says"
            found = _QUOTED.search(item)
            quote = found.group(1).strip() if found else re.sub(r"^(says|reads)\s+", "", item, flags=re.I)
        items.append(ChecklistItem(item, kind, flag("pinned", pinned), quote))
    return tuple(items)


def preferences(rows) -> list[tuple[str, str]]:
    """Rows of (text, 'like' | 'dislike') -> the designer's tastes; blank rows are dropped."""
    clean = []
    for text_value, polarity in _rows("preferences", rows, limits.MAX_PREFERENCES, 2):
        taste = text("preference", text_value, limits.MAX_MESSAGE_CHARS, required=True)
        polarity = (polarity or "").strip().lower() if isinstance(polarity, (str, type(None))) else polarity
        if polarity not in ("like", "dislike"):
            raise StudioError("preference.bad_polarity", value=shown(polarity))
        clean.append((taste, polarity))
    return list(dict(clean).items())


# ---------------------------------------------------------------- round settings, as the designer names them
NOT_KEPT = ("reference", "start_from", "directions")  # one round's start or kind, not the session's way of working
ENGINE_SETTINGS = ("directions",)  # not a page setting (Inspire's own button sends it), but a round takes it
_START = re.compile(r"\s*(\d{1,6})\.(\d{1,6})\s*")


def style(key, styles: dict[str, Style]) -> Style | None:
    if key in (None, ""):
        return None
    if not isinstance(key, str) or key not in styles:
        raise StudioError("style.unknown", value=shown(key), styles=", ".join(styles))
    return styles[key]


def start_from(value, what: str = "start_from") -> tuple[int, int] | None:
    """'' -> None; 'R.C' (1-based, as the designer counts) -> (R-1, C-1)."""
    if value in (None, ""):
        return None
    found = _START.fullmatch(value) if isinstance(value, str) else None
    if found is None or "0" in (found.group(1).lstrip("0") or "0", found.group(2).lstrip("0") or "0"):
        raise StudioError("start_from.bad", what=field_name(what), value=shown(value))
    return int(found.group(1)) - 1, int(found.group(2)) - 1


def round_params(settings: Mapping[str, Any], max_size: int, styles: dict[str, Style]) -> RoundParams:
    """The designer's settings (studio.core.params.ROUND_SETTINGS names; a missing one takes its default)
    -> RoundParams, every value checked."""
    if not isinstance(settings, Mapping):
        raise StudioError("settings.not_mapping", value=shown(settings))
    unknown = [name for name in settings if name not in SETTING_NAMES + ENGINE_SETTINGS]
    if unknown:
        raise StudioError("settings.unknown", value=shown(unknown[0]), names=", ".join(SETTING_NAMES))
    get = settings.get
    count = whole("count", get("count", 4), limits.MIN_CANDIDATES, limits.MAX_CANDIDATES)
    steps = get("steps")
    steps = None if steps is None else whole("steps", steps, limits.MIN_STEPS, limits.MAX_STEPS)
    side = None if get("size") is None else size("size", get("size"), max_size)
    guidance = get("guidance")
    guidance = None if guidance is None else number("guidance", guidance, limits.MIN_GUIDANCE, limits.MAX_GUIDANCE)
    seed = whole("seed", get("seed", RANDOM_SEED), RANDOM_SEED, limits.MAX_SEED - count)
    reference = get("reference")
    if reference == "":
        reference = None
    if reference is not None and not isinstance(reference, (str, os.PathLike)):
        raise StudioError("upload.not_file", what=field_name("reference"), value=shown(reference))
    return RoundParams(
        count=count, steps=steps, guidance=guidance, width=side, height=side,
        seed=None if seed == RANDOM_SEED else seed,
        negative=text("negative", get("negative", ""), limits.MAX_MESSAGE_CHARS),
        reference=reference, from_candidate=start_from(get("start_from")),
        strength=number("strength", get("strength", 0.6), limits.MIN_STRENGTH, limits.MAX_STRENGTH),
        style=(style(get("style"), styles) or Style("", "", "")).key,
        directions=whole("directions", get("directions", 0), 0, limits.MAX_DIRECTIONS))


def kept_settings(p: RoundParams, steps: int, size_: int, guidance: float) -> dict[str, Any]:
    """The settings a session keeps, from round settings already checked (None: the preset's `steps`,
    `size_` and `guidance`); a round of width other than its height keeps no size."""
    width, height = (size_ if v is None else int(v) for v in (p.width, p.height))
    kept = {"count": int(p.count), "steps": steps if p.steps is None else int(p.steps)}
    if width == height:
        kept["size"] = width
    return kept | {"guidance": float(guidance if p.guidance is None else p.guidance),
                   "seed": RANDOM_SEED if p.seed is None else int(p.seed), "style": p.style or "",
                   "negative": text("negative_prompt", p.negative, limits.MAX_MESSAGE_CHARS),
                   "strength": float(p.strength)}


def settings_to_keep(settings: Mapping[str, Any], kept: Mapping[str, Any], preset, styles: dict[str, Style]
                     ) -> dict[str, Any]:
    """`settings` over those `kept` before, every value checked as a round checks it (`round_params`)."""
    if not isinstance(settings, Mapping):
        raise StudioError("settings.not_mapping", value=shown(settings))
    merged = {**kept, **{name: value for name, value in settings.items() if name not in NOT_KEPT}}
    params = round_params(merged, preset.max_size, styles)
    return kept_settings(params, preset.steps, preset.size, preset.guidance)


def chosen_candidate(session: Session, round_index, candidate) -> tuple[Round, Candidate]:
    """The candidate a pick, a rejection or a question names: one of its round's own."""
    r = whole("round", round_index, 0, 10**6)
    round_ = find_round(session, r)
    if round_ is None:
        raise StudioError("round.missing", round=r + 1)
    c = whole("candidate", candidate, -10**6, 10**6)
    chosen = next((x for x in round_.candidates if x.index == c), None)
    if chosen is None:
        count = len(round_.candidates)
        raise StudioError("candidate.none_in_round" if not count else "candidate.out_of_range_one" if count == 1
                          else "candidate.out_of_range", round=r + 1, count=count)
    return round_, chosen


def candidate_with_image(session: Session, round_index, candidate) -> tuple[Round, Candidate]:
    """A candidate as `chosen_candidate` finds it, refused when the safety check withheld its image: there is no
    picture of it to work on, reproduce or search from."""
    round_, chosen = chosen_candidate(session, round_index, candidate)
    if chosen.withheld:
        raise StudioError("candidate.withheld", candidate=chosen.index + 1, round=round_.index + 1)
    return round_, chosen
