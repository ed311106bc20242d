"""Gradio components whose values the engine checks, so its refusal (which names the field) is the one people see.

Gradio's own checks would refuse first, in its words: "Value 0 is less than minimum value 1." names no field, a
Number rounds 2.5 to 2 without a word, a Dropdown says "Value: x is not in the list of choices". These pass the
value through untouched; `studio.engine.validation` decides.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import gradio as gr

from studio.engine import StudioError
from studio.engine.uploads import open_upload


class Setting(gr.Slider):
    """A slider whose value the engine checks."""

    is_template = True  # Gradio's mark for a subclass its page draws as the parent: here gr.Slider

    def preprocess(self, payload):
        return payload


class WholeSetting(gr.Number):
    """A number field whose value the engine checks (Gradio would round 2.5 to 2)."""

    is_template = True
    preprocess = Setting.preprocess


class Choice(gr.Dropdown):
    """A dropdown whose value the engine checks (an API caller may send anything)."""

    is_template = True
    preprocess = Setting.preprocess


class Strip(gr.Radio):
    """The round strip: its choices are this page's rounds, an API caller names any round; the engine decides."""

    is_template = True
    preprocess = Setting.preprocess


class Picks(gr.CheckboxGroup):
    """Boxes to tick whose values the engine checks (which candidates: an API caller names any)."""

    is_template = True
    preprocess = Setting.preprocess


class Pick(gr.Radio):
    """A radio whose value the engine checks (an upscale factor: the engine says which the preset allows)."""

    is_template = True
    preprocess = Setting.preprocess


class UploadedImage(gr.Image):
    """gr.Image whose upload the engine's checks see first: Gradio would decode it, or fail in its own words. A
    file the engine refuses is passed on as it came, undecoded: the engine's own check then refuses it at the
    door of the event, in the reader's language (a component's preprocess does not know the reader)."""

    is_template = True

    def preprocess(self, payload):
        if payload is not None and payload.path:
            try:
                open_upload(payload.path, "reference_file", (Path(payload.path).parent,))
            except StudioError:
                return payload.path
        return super().preprocess(payload)


SHOWN = "dc-shown"  # the mark `owned` leaves in an image's info: what to tell once Gradio has cached it


def owned(image, shown: Callable[[str], None] | None):
    """The image, marked with `shown(cached_path)`: the gallery calls it with the copy Gradio serves, so the gate
    serves that copy to its owner only (the mark is never encoded into the file)."""
    if shown is not None:
        image.info[SHOWN] = shown
    return image


class OwnedGallery(gr.Gallery):
    """gr.Gallery whose images only their owner can fetch: Gradio copies each into its cache, readable by anyone
    with the URL; this hands each copy's path to the mark `owned` left on its image. (Gradio rebuilds a component
    from its constructor's arguments, which are also its config sent to the page: the mark travels with the image,
    not with the component.)"""

    is_template = True

    def postprocess(self, value):
        marks = []
        for item in value or []:
            image = item[0] if isinstance(item, (tuple, list)) else item
            info = getattr(image, "info", None)
            marks.append(info.pop(SHOWN, None) if isinstance(info, dict) else None)
        data = super().postprocess(value)
        for shown, entry in zip(marks, data.root):
            path = getattr(getattr(entry, "image", None), "path", None)
            if shown is not None and path:
                shown(path)
        return data


def _marks_of(value) -> Callable[[str], None] | None:
    """The mark `owned` left on any image of `value` (an image, or an editor's dict of them), taken off."""
    images = value.values() if isinstance(value, dict) else [value]
    flat = [im for item in images for im in (item if isinstance(item, list) else [item])]
    marks = [im.info.pop(SHOWN, None) for im in flat if isinstance(getattr(im, "info", None), dict)]
    return next((m for m in marks if m is not None), None)


def _grant_all(shown: Callable[[str], None] | None, data) -> None:
    """Every file Gradio cached for `data` (an image, or an editor's background, layers and composite)."""
    if shown is None or data is None:
        return
    files = [data.background, data.composite, *data.layers] if hasattr(data, "background") else [data]
    for file in files:
        if getattr(file, "path", None):
            shown(file.path)


class OwnedImage(gr.Image):
    """gr.Image whose shown image only its owner can fetch (see OwnedGallery)."""

    is_template = True

    def postprocess(self, value):
        shown = _marks_of(value)
        data = super().postprocess(value)
        _grant_all(shown, data)
        return data


class OwnedEditor(gr.ImageEditor):
    """gr.ImageEditor whose background and layers only their owner can fetch (see OwnedGallery)."""

    is_template = True

    def postprocess(self, value):
        shown = _marks_of(value)
        data = super().postprocess(value)
        _grant_all(shown, data)
        return data


class OwnedSlider(gr.ImageSlider):
    """gr.ImageSlider whose two images only their owner can fetch (see OwnedGallery)."""

    is_template = True

    def postprocess(self, value):
        shown = _marks_of({"before": value[0], "after": value[1]}) if value else None
        data = super().postprocess(value)
        for image in data.root if data is not None else ():
            _grant_all(shown, image)
        return data
