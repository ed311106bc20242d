"""The page's controls for sharing, declared; no logic: the Share tab in the work column (a ZIP of the session or of
this branch, the client report alone) and, in the sidebar, the import of a session. Events: share_wiring.py;
actions: share_handlers.py."""
from __future__ import annotations

import gradio as gr

from studio.ui.locales import I18N as t


def share_tab(p) -> None:
    with gr.Tab(t("share.tab"), elem_id="share-tab"):
        gr.Markdown(t("share.about"), elem_id="share-about")
        with gr.Row():
            p.branch_only = gr.Checkbox(label=t("share.branch_only"), value=False, scale=1, elem_id="branch-only")
            p.export = gr.Button(t("share.export"), size="sm", scale=1, elem_id="export-zip")
            p.report = gr.Button(t("share.report"), size="sm", scale=1, elem_id="client-report")
        p.shared_file = gr.File(label=t("share.file"), interactive=False, elem_id="shared-file")


def import_box(p) -> None:
    p.import_file = gr.File(label=t("share.import"), file_types=[".zip", ".json"], file_count="single",
                            type="filepath", height=90, elem_id="import-file")
