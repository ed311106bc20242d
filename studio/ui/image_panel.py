"""The page's panel for work on images, declared; no logic: the selected candidate in a mask editor, the region
edit, the fix of a checklist item, variations, upscales, and the result beside the original. Also the drop zone
for images in the composer and the References tab. Events: image_wiring.py; actions: image_handlers.py.
"""
from __future__ import annotations

import gradio as gr

from studio.core import limits
from studio.engine.edits import EDIT_STRENGTH, MASK_OPACITY, MASK_PAINT, UPSCALE_FACTORS
from studio.ui.components import OwnedEditor, OwnedImage, Pick, Picks, Setting, UploadedImage, WholeSetting
from studio.ui.locales import I18N as t

EDITOR_PX = 512  # the editor's canvas: a candidate is shown at this size at most, and painted on at it
MASK_COLOR = ("#{:02x}{:02x}{:02x}".format(*MASK_PAINT), MASK_OPACITY / 255)  # as the engine shows a region


def image_work_panel(p, studio) -> None:
    """Below the selected candidate's actions: everything that works on its pixels."""
    brush = max(3, studio.preset.size // 16)  # in the image's pixels: a stroke is a sixteenth of the picture wide
    with gr.Accordion(t("work.title"), open=False, elem_id="image-work") as p.work_panel:
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=260):
                p.editor = OwnedEditor(type="pil", image_mode="RGBA", sources=(), transforms=(), layers=False,
                                       brush=gr.Brush(default_size=brush, colors=[MASK_COLOR], color_mode="fixed"),
                                       eraser=gr.Eraser(default_size=brush),
                                       canvas_size=(EDITOR_PX, EDITOR_PX),
                                       height=360, label=t("work.editor"), elem_id="mask-editor")
                p.mask_upload = UploadedImage(type="filepath", sources=["upload"], height=110, label=t("work.mask_upload"),
                                         elem_id="mask-upload")
            with gr.Column(scale=2, min_width=220):
                p.instruction = gr.Textbox(label=t("work.instruction"), placeholder=t("work.instruction_hint"),
                                           max_length=limits.MAX_MESSAGE_CHARS, elem_id="instruction")
                p.edit_strength = Setting(limits.MIN_STRENGTH, limits.MAX_STRENGTH, value=EDIT_STRENGTH, step=0.05,
                                          label=t("work.edit_strength"), elem_id="edit-strength")
                p.redraw = gr.Button(t("work.redraw"), variant="primary", size="sm", elem_id="redraw")
                with gr.Row():
                    p.fix_item = gr.Dropdown(choices=[], label=t("work.fix_item"), allow_custom_value=True, scale=3,
                                             elem_id="fix-item")
                    p.find = gr.Button(t("work.find"), size="sm", scale=1, min_width=60, elem_id="find")
                    p.fix = gr.Button(t("work.fix"), size="sm", scale=1, min_width=60, elem_id="fix")
                with gr.Row():
                    p.vary_subtle = gr.Button(t("work.vary_subtle"), size="sm", elem_id="vary-subtle")
                    p.vary_strong = gr.Button(t("work.vary_strong"), size="sm", elem_id="vary-strong")
                most = studio.preset.max_upscale
                p.upscale_which = Picks(choices=[], label=t("work.upscale_which"), elem_id="upscale-which")
                with gr.Row():
                    p.upscale_factor = Pick([f for f in UPSCALE_FACTORS if f <= most], value=2, scale=2,
                                                label=t("work.upscale_factor"), elem_id="upscale-factor")
                    p.upscale_button = gr.Button(t("work.upscale"), size="sm", scale=1, elem_id="upscale")
        with gr.Row(elem_id="before-after"):
            shown = dict(interactive=False, height=220, format="png")  # lossless: what was kept is shown as it is
            p.before = OwnedImage(label=t("work.before"), elem_id="before", **shown)
            p.used_mask = OwnedImage(label=t("work.used_mask"), elem_id="used-mask", buttons=["download"], **shown)
            p.after = OwnedImage(label=t("work.after"), elem_id="after", **shown)
    with gr.Group(visible=False):  # API doors: a mask as a file, the segmenter's proposal as an image
        p.mask_file = UploadedImage(type="filepath", label="mask")
        p.proposed_mask = OwnedImage(label=t("work.proposed"), format="png")
        p.vary_how = gr.Textbox(label="how")
        p.api_edit_region, p.api_fix_item, p.api_vary, p.api_upscale, p.api_propose_mask = (
            gr.Button(visible=False) for _ in range(5))
        p.api_start_from_images, p.api_add_references = (gr.Button(visible=False) for _ in range(2))


def image_drop(p, studio) -> None:
    """Below the composer: images dropped here are read at once (a brief proposed when no session is open)."""
    with gr.Group(elem_id="image-drop"):
        p.images = gr.File(file_count="multiple", file_types=["image"], label=t("refs.drop"), height=80,
                           elem_id="images")
        with gr.Row():
            uses = [(t("refs.use.context"), "context"), (t("refs.use.start"), "start")]
            if studio.follows_style():
                uses.insert(1, (t("refs.use.style"), "style"))
            p.image_use = gr.Radio(uses, value="context", label=t("refs.use_label"), scale=3, elem_id="image-use")
            p.style_strength = Setting(0.0, 1.0, value=0.5, step=0.05, label=t("refs.style_strength"), scale=2,
                                       elem_id="style-strength")


def references_tab(p) -> None:
    with gr.Tab(t("tab.references"), elem_id="references-tab"):
        p.references = gr.Markdown(elem_id="references")
        with gr.Row():
            p.reference_number = WholeSetting(value=1, precision=0, minimum=1, label=t("refs.number"), scale=1,
                                              elem_id="reference-number")
            p.reference_use = gr.Radio([(t("refs.use.context"), "context"), (t("refs.use.style"), "style")],
                                       value="context", label=t("refs.use_label"), scale=2, elem_id="reference-use")
            p.set_reference_use = gr.Button(t("refs.set_use"), size="sm", scale=1, elem_id="set-reference-use")
