"""What the reproduce and compare controls do: plain functions over the engine (`h` is the reader's `Handlers`),
each returning a view, as handlers.py's do. Neither changes the session.
"""
from __future__ import annotations

import gradio as gr

from studio.core.compare import label
from studio.engine import StudioError
from studio.engine.compare_actions import picked
from studio.ui.compare_presenters import comparison_status, comparison_table, reproduction_report
from studio.ui.components import owned
from studio.ui.handlers import Handlers, View, counted
from studio.ui.locales import words


def reproduce(h: Handlers, owner: str, session_id: str, round_number, candidate) -> View:
    """The selected candidate rendered again from its recipe, beside the stored one, and the report."""
    if not candidate:
        raise StudioError("candidate.choose_first")
    again = h.studio.reproduce(owner, session_id, counted("round", round_number), counted("candidate", candidate))
    shown = h.shown_to(owner, session_id)
    report = reproduction_report(again, h.lang)
    return {"reproduction": gr.Group(visible=True), "reproduced": owned(again.image, shown),
            "reproduce_original": owned(again.original, shown), "reproduce_report": report,
            "status": again.messages[0].text(h.lang)}


def compare(h: Handlers, owner: str, session_id: str, first, second) -> View:
    """Two candidates named as the strip counts ("2.3"): the slider, the two images, the aligned rows."""
    pairs = picked("compare_first", first), picked("compare_second", second)
    compared = h.studio.compare(owner, session_id, *pairs)
    shown = h.shown_to(owner, session_id)
    left, right = owned(compared.first, shown), owned(compared.second.copy(), shown)
    return {"compare_slider": (owned(compared.first.copy(), shown), owned(compared.second, shown)),
            "compare_left": left, "compare_right": right,
            "compare_table": comparison_table(compared.comparison, h.lang),
            "status": comparison_status(compared.comparison, h.lang)}


def compare_with(h: Handlers, owner: str, session_id: str, round_number, candidate, first, second) -> View:
    """The selected candidate becomes a side: the first empty one, else the second. With both sides named, the
    comparison is shown."""
    if not candidate:
        raise StudioError("candidate.choose_first")
    this = label((counted("round", round_number), counted("candidate", candidate)))
    first, second = (this, second or "") if not first else (first, this)
    if not second:
        return {"compare_first": first, "compare_second": "", "status": words("cmp.status.one", h.lang,
                                                                             candidate=this)}
    return {"compare_first": first, "compare_second": second, **compare(h, owner, session_id, first, second)}


def compare_view(h: Handlers, owner: str, view) -> View:
    """The slider, or the two images side by side."""
    slider = view != "sides"
    return {"compare_slider": gr.ImageSlider(visible=slider), "compare_sides": gr.Row(visible=not slider)}
