"""The image panel's events: which control calls which action (image_handlers.py), under which API name.

Each round of image work is a named endpoint with the shared round settings (`studio.core.params.ROUND_SETTINGS`,
by name, after the action's own parameters), as `/run_round` is. The page's buttons read the mask editor; the API's
doors take a mask file.
"""
from __future__ import annotations

from typing import Callable

from studio.core.params import SETTING_NAMES
from studio.ui import image_handlers as work

IMAGE_VIEW = ["before", "after", "used_mask"]


def _with_settings(action: Callable, own: int) -> Callable:
    """`action(h, owner, *own values, settings)`, called with the settings' values (ROUND_SETTINGS order) after
    its `own` parameters."""
    def call(h, owner, *values):
        yield from action(h, owner, *values[:own], dict(zip(SETTING_NAMES, values[own:])))
    call.__name__ = action.__name__
    return call


def connect_image_work(p, on, gpu: dict, quiet: dict, round_view: list[str], session_view: list[str],
                       settings_view: list[str]) -> None:
    settings, out = p.settings, [*round_view, *IMAGE_VIEW]
    chosen = [p.session_id, p.shown_round, p.candidate]
    where = ["session_id", "round", "candidate"]

    def door(api_button, params: list[str], action: Callable, inputs: list, api_name: str, page=None):
        """The API's door (hidden button), and the page's own trigger when it reads the same inputs."""
        for trigger, name in ((api_button.click, api_name), *([(page, None)] if page else [])):
            on(trigger, [*params, *SETTING_NAMES], _with_settings(action, len(params)), [*inputs, *settings], out,
               api_name=name, **gpu)

    # Region edit: the API sends a mask file; the page sends the editor's painted layer or an uploaded mask.
    door(p.api_edit_region, [*where, "instruction", "mask", "edit_strength"], work.edit_region,
         [*chosen, p.instruction, p.mask_file, p.edit_strength], "edit_region")
    on(p.redraw.click, [*where, "instruction", "editor", "mask_upload", "edit_strength", *SETTING_NAMES],
       _with_settings(work.edit_on_page, 7), [*chosen, p.instruction, p.editor, p.mask_upload, p.edit_strength,
                                              *settings], out, **gpu)
    door(p.api_fix_item, [*where, "item", "mask"], work.fix_item, [*chosen, p.fix_item, p.mask_file], "fix_item")
    on(p.fix.click, [*where, "item", "editor", *SETTING_NAMES], _with_settings(work.fix_on_page, 5),
       [*chosen, p.fix_item, p.editor, *settings], out, **gpu)
    on(p.api_propose_mask.click, [*where, "item"], work.propose_mask, [*chosen, p.fix_item],
       ["proposed_mask", "editor", "status"], api_name="propose_fix_mask", **gpu)
    on(p.find.click, [*where, "item"], work.propose_mask, [*chosen, p.fix_item], ["proposed_mask", "editor", "status"],
       **gpu)
    door(p.api_vary, [*where, "how"], work.vary, [*chosen, p.vary_how], "vary")
    for how, button in (("subtle", p.vary_subtle), ("strong", p.vary_strong)):
        on(button.click, [*where, *SETTING_NAMES], _with_settings(_varied(how), 3), [*chosen, *settings], out, **gpu)
    door(p.api_upscale, ["session_id", "round", "candidates", "factor"], work.upscale,
         [p.session_id, p.shown_round, p.upscale_which, p.upscale_factor], "upscale", page=p.upscale_button.click)

    # The selected candidate fills the editor; the shown round, the choice of candidates to upscale.
    on(p.selected.change, where, work.candidate_tools, [p.session_id, p.shown_round, p.selected],
       ["editor", "fix_item", "upscale_which"], **quiet)
    on(p.shown_round.change, ["session_id", "round"], work.round_tools, [p.session_id, p.shown_round],
       ["upscale_which"], **quiet)

    # Images brought: dropped in the composer, or sent by a script.
    whole = [*session_view, "sessions", "sessions_data", "images", "message", "status", "browser", "reference"]
    on(p.images.upload, ["session_id", "images", "use", "style_strength", "text"], work.drop_images,
       [p.session_id, p.images, p.image_use, p.style_strength, p.message], [*whole, *settings_view], **gpu)
    on(p.api_add_references.click, ["session_id", "images", "use", "style_strength"], work.add_references,
       [p.session_id, p.images, p.image_use, p.style_strength], [*session_view, "images", "status"],
       api_name="add_references", **gpu)
    on(p.api_start_from_images.click, ["images", "text"], work.start_from_images, [p.images, p.message],
       [*whole, *settings_view], api_name="start_from_images", **gpu)
    on(p.set_reference_use.click, ["session_id", "number", "use", "style_strength"], work.set_reference_use,
       [p.session_id, p.reference_number, p.reference_use, p.style_strength], ["references", "status"],
       api_name="set_reference_use", **quiet)


def _varied(how: str) -> Callable:
    def vary(h, owner, session_id, round_number, candidate, settings):
        yield from work.vary(h, owner, session_id, round_number, candidate, how, settings)
    vary.__name__ = f"vary_{how}"
    return vary
