"""The checklist and preferences tables: a click on a row fills the editor below it; Add, Update and Delete save the
whole table at once; scripts replace a table through `/set_checklist` and `/set_preferences`. Actions (plain
functions over the engine, called as a `Handlers` method is) and their events."""
from __future__ import annotations

from typing import Callable

import gradio as gr

from studio.engine import StudioError
from studio.engine.validation import ITEM_KINDS
from studio.ui import presenters as show
from studio.ui.handlers import Handlers, View
from studio.ui.locales import words


def set_checklist(h: Handlers, owner: str, session_id: str, rows) -> View:
    session = h.studio.set_checklist(owner, session_id, rows)
    return {"checklist": h.tables(session)["checklist"], "insights": show.insights(session, h.lang),
            "status": words("checklist_saved", h.lang)}


def edit_checklist(h: Handlers, owner: str, action: str, session_id: str, row, text: str, kind: str,
                   pinned: bool) -> View:
    rows = show.checklist_rows(h.studio.open_session(owner, session_id))
    rows = _edited(rows, action, row, [text, kind, pinned], "checklist")
    return {**set_checklist(h, owner, session_id, rows), "item_row": 0, "item_text": "", "item_pinned": False}


def set_preferences(h: Handlers, owner: str, session_id: str, rows) -> View:
    session = h.studio.set_preferences(owner, session_id, rows)
    return {"preferences": h.tables(session)["preferences"], "insights": show.insights(session, h.lang),
            "status": words("preferences_saved", h.lang)}


def edit_preferences(h: Handlers, owner: str, action: str, session_id: str, row, text: str, polarity: str) -> View:
    rows = show.preference_rows(h.studio.open_session(owner, session_id))
    rows = _edited(rows, action, row, [text, polarity], "preferences")
    return {**set_preferences(h, owner, session_id, rows), "taste_row": 0, "taste_text": ""}


def _edited(rows: list[list], action: str, row, new: list, table: str) -> list[list]:
    """The table's rows with one added, replaced or deleted (`row` is 1-based, as the page counts); `table` is
    "checklist" or "preferences"."""
    if action == "add":
        if not str(new[0] or "").strip():
            raise StudioError(f"{table}.write_first")
        return [*rows, new]
    if not isinstance(row, int) or not 1 <= row <= len(rows):
        raise StudioError(f"{table}.choose_row")
    if action == "delete":
        return rows[:row - 1] + rows[row:]
    return rows[:row - 1] + [new] + rows[row:]


def _row_chosen(kinds: tuple[str, ...], default: str, pinned: bool) -> Callable:
    """A click on a table row fills the editor below it: (row number, text, choice[, pinned])."""
    def chosen(evt: gr.SelectData):
        row = [*(evt.row_value or [])[:3], "", default, False][:3]
        values = (evt.index[0] + 1, row[0], row[1] if row[1] in kinds else default)
        return (*values, row[2] in (True, "true", "True")) if pinned else values
    return chosen


def _edit(edit: Callable, action: str) -> Callable:
    def call(h, owner, *values):
        return edit(h, owner, action, *values)
    call.__name__ = f"{action}_{edit.__name__}"
    return call


def connect_tables(p, on, quiet: dict) -> None:
    on(p.api_set_checklist.click, ["session_id", "rows"], set_checklist, [p.session_id, p.checklist],
       ["checklist", "insights", "status"], api_name="set_checklist", **quiet)
    on(p.api_set_preferences.click, ["session_id", "rows"], set_preferences, [p.session_id, p.preferences],
       ["preferences", "insights", "status"], api_name="set_preferences", **quiet)
    p.checklist.select(_row_chosen(ITEM_KINDS, "visual", pinned=True), None,
                       [p.item_row, p.item_text, p.item_kind, p.item_pinned],
                       api_visibility="private", **quiet)
    p.preferences.select(_row_chosen(("like", "dislike"), "like", pinned=False), None,
                         [p.taste_row, p.taste_text, p.taste_polarity], api_visibility="private", **quiet)
    for action, button in (("add", p.add_item), ("update", p.update_item), ("delete", p.delete_item)):
        on(button.click, ["session_id", "row", "text", "kind", "pinned"], _edit(edit_checklist, action),
           [p.session_id, p.item_row, p.item_text, p.item_kind, p.item_pinned],
           ["checklist", "insights", "status", "item_row", "item_text", "item_pinned"], **quiet)
    for action, button in (("add", p.add_taste), ("update", p.update_taste), ("delete", p.delete_taste)):
        on(button.click, ["session_id", "row", "text", "polarity"], _edit(edit_preferences, action),
           [p.session_id, p.taste_row, p.taste_text, p.taste_polarity],
           ["preferences", "insights", "status", "taste_row", "taste_text"], **quiet)
