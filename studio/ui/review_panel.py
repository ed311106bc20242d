"""The designer's Review link tab, declared; no logic: how long a link works, the whole session or this branch,
Create (the link shown once, to copy), the session's links, Revoke. Events: review_wiring.py; actions:
review_handlers.py; the client's page: studio/web/review.py.
"""
from __future__ import annotations

import gradio as gr

from studio.core import limits
from studio.ui.components import WholeSetting
from studio.ui.locales import I18N as t

COLUMNS = ("id", "shows", "created", "expires", "notes", "revoked")  # rlink.header.<column>


def review_tab(p) -> None:
    with gr.Tab(t("rlink.tab"), elem_id="review-tab") as p.review_tab:
        gr.Markdown(t("rlink.about"), elem_id="review-about")
        with gr.Row(equal_height=True):
            p.review_days = WholeSetting(value=limits.REVIEW_DAYS, precision=0, minimum=limits.MIN_REVIEW_DAYS,
                                         maximum=limits.MAX_REVIEW_DAYS, label=t("rlink.days"), scale=1,
                                         elem_id="review-days")
            p.review_branch_only = gr.Checkbox(label=t("rlink.branch_only"), scale=2, elem_id="review-branch-only")
            p.create_review = gr.Button(t("rlink.create"), variant="primary", size="sm", scale=1,
                                        elem_id="create-review")
        p.review_origin = gr.Textbox(visible=False, label="origin")  # the page's address, filled in the browser
        p.review_url = gr.Textbox(label=t("rlink.url"), interactive=False, buttons=["copy"], elem_id="review-url")
        p.review_links = gr.Dataframe(headers=list(COLUMNS), column_count=len(COLUMNS), datatype=["str"] * len(COLUMNS),
                                      interactive=False, type="array", wrap=True, label=t("rlink.list"),
                                      elem_id="review-links")
        with gr.Row(equal_height=True):
            p.review_link_id = gr.Textbox(label=t("rlink.id"), max_length=32, scale=3, elem_id="review-link-id")
            p.revoke_review = gr.Button(t("rlink.revoke"), size="sm", variant="stop", scale=1, min_width=70,
                                        elem_id="revoke-review")
