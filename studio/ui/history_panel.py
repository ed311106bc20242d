"""The history on the page: ↶ Undo and ↷ Redo beside the round strip, and the Branches tab, a compact tree of
every round where a pick moves the designer to that round's branch. Layout and events (history_handlers.py acts)."""
from __future__ import annotations

import gradio as gr

from studio.ui import history_handlers as moves
from studio.ui.components import Strip
from studio.ui.locales import I18N as t


def history_buttons(p) -> None:
    p.undo = gr.Button(t("undo"), size="sm", scale=0, min_width=70, elem_id="undo")
    p.redo = gr.Button(t("redo"), size="sm", scale=0, min_width=70, elem_id="redo")


def branches_tab(p) -> None:
    with gr.Tab(t("tab.branches"), elem_id="branches-tab"):
        p.tree = Strip(choices=[], label=t("tree_label"), elem_id="tree")
        gr.Markdown(t("tree_note"), elem_id="tree-note")


def connect_history(p, on, quiet: dict, session_view: list[str]) -> None:
    out = [*session_view, "status"]
    on(p.tree.input, ["session_id", "round"], moves.switch_branch, [p.session_id, p.tree], out,
       api_name="switch_branch", **quiet)
    on(p.undo.click, ["session_id"], moves.undo, [p.session_id], out, api_name="undo", **quiet)
    on(p.redo.click, ["session_id"], moves.redo, [p.session_id], out, api_name="redo", **quiet)
