"""The page's controls for reproducing a candidate and comparing two, declared; no logic. In the selected
candidate's panel: Reproduce (the new image beside the stored one, and the report) and Compare with… (this candidate
as one side). The Compare tab: two pickers ("2.3"), a slider or the two side by side, and the aligned rows.
Events: compare_wiring.py; actions: compare_handlers.py.
"""
from __future__ import annotations

import gradio as gr

from studio.ui.components import OwnedImage, OwnedSlider
from studio.ui.locales import I18N as t

SHOWN = dict(interactive=False, format="png")  # lossless: a reproduction is judged pixel for pixel


def reproduce_controls(p) -> None:
    """Below the selected candidate's actions."""
    with gr.Row(elem_id="reproduce-actions"):
        p.reproduce = gr.Button(t("repro.button"), size="sm", elem_id="reproduce")
        p.compare_with = gr.Button(t("repro.compare_with"), size="sm", elem_id="compare-with")
    with gr.Group(visible=False, elem_id="reproduction") as p.reproduction:
        with gr.Row():
            p.reproduced = OwnedImage(label=t("repro.new"), height=200, elem_id="reproduced", **SHOWN)
            p.reproduce_original = OwnedImage(label=t("repro.original"), height=200, elem_id="reproduce-original",
                                              **SHOWN)
        p.reproduce_report = gr.Markdown(elem_id="reproduce-report")


def compare_tab(p) -> None:
    with gr.Tab(t("tab.compare"), elem_id="compare-tab"):
        with gr.Row(equal_height=True):
            p.compare_first = gr.Textbox(label=t("cmp.first"), placeholder="1.1", max_length=16, scale=1,
                                         elem_id="compare-first")
            p.compare_second = gr.Textbox(label=t("cmp.second"), placeholder="2.3", max_length=16, scale=1,
                                          elem_id="compare-second")
            p.compare_view = gr.Radio([(t("cmp.view.slider"), "slider"), (t("cmp.view.sides"), "sides")],
                                      value="slider", label=t("cmp.view_label"), scale=2, elem_id="compare-view")
            p.compare_button = gr.Button(t("cmp.button"), size="sm", scale=1, elem_id="compare")
        p.compare_slider = OwnedSlider(type="pil", label=t("cmp.slider"), max_height=420, elem_id="compare-slider",
                                       **SHOWN)
        with gr.Row(visible=False, elem_id="compare-sides") as p.compare_sides:
            p.compare_left = OwnedImage(label=t("cmp.first"), height=320, elem_id="compare-left", **SHOWN)
            p.compare_right = OwnedImage(label=t("cmp.second"), height=320, elem_id="compare-right", **SHOWN)
        p.compare_table = gr.HTML(elem_id="compare-table")
