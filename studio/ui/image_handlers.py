"""What the image panel's actions do: plain functions over the engine (`h` is the reader's `Handlers`), each
returning or yielding a view, as handlers.py's do. The API's doors take a mask as a file; the page's take the
editor's painted layer, turned into the same mask here.
"""
from __future__ import annotations

from typing import Iterator

import gradio as gr

from studio.core.session import find_round
from studio.engine import StudioError
from studio.engine.edits import editor_layer, painted_region
from studio.engine.validation import chosen_candidate
from studio.ui.components import owned
from studio.ui.handlers import Handlers, View, counted
from studio.ui.image_presenters import references_markdown
from studio.ui.locales import words


def _chosen(round_number, candidate) -> tuple[int, int]:
    if not candidate:
        raise StudioError("candidate.choose_first")
    return counted("round", round_number), counted("candidate", candidate)


def painted(editor):
    """What the designer painted in the editor (its layer), or None when nothing was painted."""
    return painted_region(editor.get("layers") if isinstance(editor, dict) else None)


# ------------------------------------------------------------ rounds that work on a candidate
def edit_region(h: Handlers, owner: str, session_id: str, round_number, candidate, instruction, mask, strength,
                settings: dict) -> Iterator[View]:
    r, c = _chosen(round_number, candidate)
    params = h.studio.round_params(settings)
    yield from work(h, owner, session_id, h.studio.edit_region(owner, session_id, r, c, instruction, mask, strength,
                                                               params))


def edit_on_page(h: Handlers, owner: str, session_id: str, round_number, candidate, instruction, editor,
                 mask_upload, strength, settings: dict) -> Iterator[View]:
    yield from edit_region(h, owner, session_id, round_number, candidate, instruction,
                           mask_upload or painted(editor), strength, settings)


def fix_item(h: Handlers, owner: str, session_id: str, round_number, candidate, item, mask,
             settings: dict) -> Iterator[View]:
    r, c = _chosen(round_number, candidate)
    params = h.studio.round_params(settings)
    yield from work(h, owner, session_id, h.studio.fix_item(owner, session_id, r, c, item, mask or None, params))


def fix_on_page(h: Handlers, owner: str, session_id: str, round_number, candidate, item, editor,
                settings: dict) -> Iterator[View]:
    yield from fix_item(h, owner, session_id, round_number, candidate, item, painted(editor), settings)


def vary(h: Handlers, owner: str, session_id: str, round_number, candidate, how, settings: dict) -> Iterator[View]:
    r, c = _chosen(round_number, candidate)
    params = h.studio.round_params(settings)
    yield from work(h, owner, session_id, h.studio.vary(owner, session_id, r, c, how, params))


def upscale(h: Handlers, owner: str, session_id: str, round_number, candidates, factor,
            settings: dict) -> Iterator[View]:
    numbers = candidates if isinstance(candidates, (list, tuple)) else [candidates]
    if not numbers:
        raise StudioError("candidate.choose_first")
    params = h.studio.round_params(settings)
    indices = [counted("candidate", n) for n in numbers]
    yield from work(h, owner, session_id, h.studio.upscale(owner, session_id, counted("round", round_number),
                                                           indices, factor, params))


def work(h: Handlers, owner: str, session_id: str, events) -> Iterator[View]:
    """The round's views as any round's; the last also shows its first result beside the image it was made from
    (one view: a script reads the whole of it as the endpoint's result)."""
    last: View | None = None
    for view in h.stream(owner, session_id, events):
        if last is not None:
            yield last
        last = view
    yield {**(last or {}), **before_after(h, owner, session_id)}


def before_after(h: Handlers, owner: str, session_id: str) -> View:
    """The round's first result, the candidate it was made from, and the mask it used: each image opened alone."""
    session = h.studio.open_session(owner, session_id)
    done = session.rounds[-1]
    first = next((c for c in done.candidates if c.source), None)
    if first is None:  # failed or stopped before any image
        return {}
    _, source = chosen_candidate(session, *first.source)
    mask = done.params.mask if done.params else None

    def shown(path: str):
        return owned(h.studio.image(owner, session_id, path), h.shown_to(owner, session_id))

    return {"before": shown(source.image), "after": shown(first.image), "used_mask": shown(mask) if mask else None}


# ------------------------------------------------------------ the selected candidate in the panel
def candidate_tools(h: Handlers, owner: str, session_id: str, round_number, candidate) -> View:
    """The selected candidate in the editor, its failed (or unsure) checklist items to fix, and it checked for an
    upscale. The last result beside its original stays until the next image work."""
    if not session_id or not candidate:
        return {"editor": None, "fix_item": gr.Dropdown(choices=[], value=None)}
    r, c = _chosen(round_number, candidate)
    session = h.studio.open_session(owner, session_id)
    round_ = find_round(session, r)
    chosen = next((x for x in round_.candidates if x.index == c), None) if round_ else None
    if chosen is None:  # the strip moved on to another round meanwhile: nothing to edit
        return {"editor": None, "fix_item": gr.Dropdown(choices=[], value=None)}
    checks = chosen.critique.checks if chosen.critique else ()
    failing = [k.item for k in checks if k.verdict != "pass"]
    items = failing + [i.text for i in session.checklist if i.text not in failing]
    image = owned(h.studio.image(owner, session_id, chosen.image), h.shown_to(owner, session_id))
    return {"editor": {"background": image, "layers": [], "composite": None},
            "fix_item": gr.Dropdown(choices=items, value=failing[0] if failing else None),
            "upscale_which": [c + 1]}


def round_tools(h: Handlers, owner: str, session_id: str, round_number) -> View:
    """The shown round's candidates, to choose which to upscale."""
    if not session_id or not round_number:
        return {"upscale_which": gr.CheckboxGroup(choices=[], value=[])}
    session = h.studio.open_session(owner, session_id)
    r = h.round_shown(session, round_number)
    return {"upscale_which": gr.CheckboxGroup(choices=[c.index + 1 for c in (r.candidates if r else ())], value=[])}


def propose_mask(h: Handlers, owner: str, session_id: str, round_number, candidate, item) -> View:
    """Where the segmenter finds the item: in the editor for the designer to keep or repaint."""
    r, c = _chosen(round_number, candidate)
    segment, words_ = h.studio.propose_fix_mask(owner, session_id, r, c, item)
    _, chosen = chosen_candidate(h.studio.open_session(owner, session_id), r, c)
    image = h.studio.image(owner, session_id, chosen.image)
    shown = h.shown_to(owner, session_id)
    return {"proposed_mask": owned(segment.mask.convert("RGB"), shown),
            "editor": {"background": owned(image, shown), "layers": [editor_layer(segment.mask)], "composite": None},
            "status": words("work.status.found" if segment.found else "work.status.not_found", h.lang,
                            item=words_)}


# ------------------------------------------------------------ images the designer brings
def add_references(h: Handlers, owner: str, session_id: str, files, use, strength) -> View:
    if not session_id:
        raise StudioError("session.none_open")
    session = h.studio.add_references(owner, session_id, files, use, strength)
    return {**h.session_view(owner, session), "images": None,
            "status": words("refs.status.added", h.lang, count=len(files or []))}


def start_from_images(h: Handlers, owner: str, files, text) -> View:
    session = h.studio.start_from_images(owner, files, text or "")
    return {**h.session_view(owner, session), **h.sessions_list(owner, session.id), **h.settings_view(session),
            "images": None, "message": "", "status": words("refs.status.proposed", h.lang)}


def drop_images(h: Handlers, owner: str, session_id: str, files, use, strength, text) -> View:
    """The composer's drop zone: with no session open, the images start one (a brief proposed from them); inside
    one, they are read and kept as context or style, or the first becomes the next round's start."""
    if not files:
        return {}
    if not session_id:
        return start_from_images(h, owner, files, text)
    if use == "start":
        view = add_references(h, owner, session_id, files, "context", None)
        return {**view, "reference": files[0], "status": words("refs.status.start", h.lang, count=len(files))}
    return add_references(h, owner, session_id, files, use, strength)


def set_reference_use(h: Handlers, owner: str, session_id: str, number, use, strength) -> View:
    session = h.studio.set_reference_use(owner, session_id, number, use, strength)
    return {"references": references_markdown(session, h.lang),
            "status": words("refs.status.use", h.lang, number=number, use=words(f"refs.use.{use}", h.lang))}
