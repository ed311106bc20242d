"""The page's layout: what sits where, declared; no logic. `build_page` returns every component by name.

A chat column whose composer stays at the bottom, in view; beside it the work: the round strip, a large candidate
grid, the selected candidate with its actions, and the checklist and preferences as tabs. Sessions live in the
sidebar, and below them, closed, the designer's API keys for scripts. On a phone the columns stack: conversation and
composer first, then the candidates, then the checklist.
"""
from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from studio.core import limits
from studio.core.params import ROUND_SETTINGS, Setting as SettingSpec, default_settings
from studio.engine.validation import ITEM_KINDS
from studio.ui.compare_panel import compare_tab, reproduce_controls
from studio.ui.components import Choice, OwnedGallery, Setting, Strip, UploadedImage, WholeSetting
from studio.ui.history_panel import branches_tab, history_buttons
from studio.ui.image_panel import image_drop, image_work_panel, references_tab
from studio.ui.share_panel import import_box, share_tab
from studio.core.messages import Message
from studio.ui.locales import I18N as t
from studio.ui.presenters import banner
from studio.ui.review_panel import review_tab
from studio.ui.search_panel import more_like_this, search_box


def build_page(studio, notes: tuple[Message, ...], oauth: bool = False, secret: str | None = None) -> SimpleNamespace:
    p = SimpleNamespace(notes=notes)  # the banner's notes: said in English here, in the reader's language on load
    # The browser keeps its last session and language, encrypted with a secret kept in the data folder, so they
    # survive a restart (who it is, the server decides: studio/web/identity.py). `who` is set by the page's load,
    # server-side: a caller that ran it is the page, and is answered as the page.
    p.browser = gr.BrowserState({"session": "", "lang": ""}, storage_key="design-collaborator", secret=secret)
    p.who = gr.State("")
    p.lang = gr.State("en")  # the reader's language: what the server writes in (English for API callers)
    p.page_locale = gr.Textbox(visible=False)  # the locale Gradio chose for the page, sent by the page's load
    with gr.Row(elem_id="topbar"):
        p.banner = gr.Markdown(banner(notes, "en"), visible=bool(notes), elem_id="banner")
        p.language = gr.Radio([("English", "en"), ("中文", "zh")], value=None, label=t("language"), show_label=False,
                              container=False, scale=0, min_width=200, elem_id="language")
        if oauth:  # "Sign in with Hugging Face": who you are on a Space
            gr.LoginButton(scale=0, min_width=160, elem_id="sign-in")
    _sidebar(p)
    with gr.Row(equal_height=False, elem_id="studio"):
        with gr.Column(scale=4, min_width=300, elem_id="talk"):
            _conversation(p, studio)
        with gr.Column(scale=7, min_width=300, elem_id="work"):
            _candidates(p, studio)
            _design_tabs(p)
    with gr.Group(visible=False):  # API doors for what the page does in one step (the composer starts and runs)
        p.api_start_session, p.api_run_round, p.api_open_session = (gr.Button(visible=False) for _ in range(3))
        p.api_set_checklist, p.api_set_preferences = (gr.Button(visible=False) for _ in range(2))
    preset = studio.preset
    with gr.Column(elem_id="models"):
        gr.Markdown(t(f"preset_about_{preset.name}"))
        adapter = preset.ip_adapter
        style = [f"style reference: `{adapter.repo}/{adapter.subfolder}/{adapter.weight_name}` ({adapter.license})"] \
            if adapter else []
        gr.Markdown(" · ".join([*(f"{role}: `{spec.model_id}` ({spec.license})" for role, spec in preset.models.items()),
                                *style]))
    return p


def _sidebar(p) -> None:
    with gr.Sidebar(label=t("sessions"), open=True, elem_id="sidebar", width=280):
        p.new = gr.Button(t("new_session"), size="sm", elem_id="new-session")
        p.sessions = gr.Radio(choices=[], label=t("your_sessions"), elem_id="sessions")
        p.refresh = gr.Button(t("refresh"), size="sm", elem_id="refresh")
        p.sessions_data = gr.JSON(label=t("sessions"), visible=False)
        search_box(p)
        with gr.Accordion(t("manage"), open=False, elem_id="manage"):
            p.title = gr.Textbox(label=t("new_title"), max_length=limits.MAX_TITLE_CHARS, elem_id="title")
            p.rename = gr.Button(t("rename"), size="sm", elem_id="rename")
            p.delete = gr.Button(t("delete"), size="sm", variant="stop", elem_id="delete")
            with gr.Group(visible=False, elem_id="confirm-delete") as p.confirm_row:
                p.confirm_text = gr.Markdown()
                with gr.Row():
                    p.confirm_delete = gr.Button(t("confirm_delete"), size="sm", variant="stop", elem_id="confirm")
                    p.keep = gr.Button(t("keep"), size="sm", elem_id="keep")
        p.session_id = gr.Textbox(label=t("session_id"), interactive=False, elem_id="session-id")
        import_box(p)
        _keys_panel(p)


def _keys_panel(p) -> None:
    """Make a key (shown once, to copy), list the keys, revoke one: the page's own doors (see wiring `_keys`)."""
    with gr.Accordion(t("api_keys"), open=False, elem_id="api-keys") as p.keys_panel:
        p.key_label = gr.Textbox(label=t("key_label"), max_length=limits.MAX_KEY_LABEL_CHARS,
                                 placeholder=t("key_label_hint"), elem_id="key-label")
        p.create_key = gr.Button(t("create_key"), size="sm", elem_id="create-key")
        with gr.Group(visible=False, elem_id="new-key") as p.new_key_row:
            p.new_key = gr.Textbox(label=t("new_key"), interactive=False, buttons=["copy"], elem_id="new-key-text")
            p.new_key_note = gr.Markdown(t("new_key_note"), elem_id="new-key-note")
        p.keys = gr.Dataframe(headers=["id", "for", "key", "created", "last used", "revoked"], column_count=6,
                              datatype=["str"] * 6, interactive=False, type="array", wrap=True,
                              label=t("your_keys"), elem_id="keys")
        with gr.Row(elem_id="revoke-row"):
            p.key_id = gr.Textbox(label=t("key_id"), max_length=32, scale=3, elem_id="key-id")
            p.revoke_key = gr.Button(t("revoke_key"), size="sm", variant="stop", scale=1, min_width=70,
                                     elem_id="revoke-key")


def _conversation(p, studio) -> None:
    p.chat = gr.Chatbot(label=t("conversation"), height=430, elem_id="chat", buttons=["copy"], show_label=False)
    # No translated value here: Gradio would translate it again at a language switch, over the server's words.
    p.status = gr.Markdown(label=t("status_label"), elem_id="status")
    with gr.Row(visible=False, elem_id="start-row") as p.start_row:
        p.start_note = gr.Markdown(label=t("start_note_label"), elem_id="start-note")
        p.clear_start = gr.Button(t("clear_start"), size="sm", scale=0, min_width=60, elem_id="clear-start")
    with gr.Group(elem_id="composer"):
        # lines=1 with room to grow: Enter sends, Shift+Enter breaks the line.
        p.message = gr.Textbox(label=t("message"), show_label=False, lines=1, max_lines=8,
                               max_length=limits.MAX_BRIEF_CHARS, placeholder=t("message_hint"), elem_id="message")
        with gr.Row(elem_id="composer-actions"):
            p.send = gr.Button(t("send.start"), variant="primary", size="sm", elem_id="send", interactive=False)
            p.stop = gr.Button(t("stop"), variant="stop", size="sm", elem_id="stop")
    image_drop(p, studio)
    with gr.Row(elem_id="more-rounds", equal_height=True):
        p.auto_rounds = WholeSetting(label=t("auto_rounds"), value=3, precision=0, minimum=1,
                                     maximum=limits.MAX_AUTO_ROUNDS, show_label=False, container=False,
                                     min_width=56, scale=0, elem_id="auto-rounds")
        p.auto = gr.Button(t("auto_button"), size="sm", scale=1, elem_id="auto")
        p.direction_count = WholeSetting(label=t("direction_count"), value=4, precision=0, minimum=2,
                                         maximum=limits.MAX_DIRECTIONS, show_label=False, container=False,
                                         min_width=56, scale=0, elem_id="direction-count")
        p.inspire = gr.Button(t("inspire"), size="sm", scale=1, elem_id="inspire")
    with gr.Accordion(t("round_settings"), open=False, elem_id="settings"):
        defaults = default_settings(studio.preset.steps, studio.preset.size, studio.preset.guidance)
        p.settings = [_setting_control(spec, defaults[spec.name], studio) for spec in ROUND_SETTINGS]
        p.style_note = gr.Markdown(label=t("style_note"), elem_id="style-note")
    for spec, control in zip(ROUND_SETTINGS, p.settings):
        setattr(p, spec.name, control)


def _setting_control(spec: SettingSpec, default, studio):
    """One control per declared round setting; its API name is the setting's name (see wiring)."""
    common = dict(label=t(f"field.{spec.name}"), info=t(f"help.{spec.name}"), elem_id=f"setting-{spec.name}")
    if spec.kind in ("whole", "number", "size"):
        if spec.name == "seed":
            return WholeSetting(value=default, precision=0, minimum=spec.low, maximum=spec.high, **common)
        high = studio.preset.max_size if spec.kind == "size" else spec.high
        return Setting(spec.low, high, value=default, step=spec.step, **common)
    if spec.kind == "style":
        choices = [(t("no_style"), "")] + [(s.name, key) for key, s in studio.styles.items()]
        return Choice(choices, value=default, **common)
    if spec.kind == "image":
        return UploadedImage(type="filepath", sources=["upload", "clipboard"], height=140, label=common["label"],
                             elem_id=common["elem_id"])
    if spec.kind == "start":
        return gr.Textbox(value=default, max_length=16, placeholder=t("start_hint"), **common)
    return gr.Textbox(value=default, max_length=limits.MAX_MESSAGE_CHARS, **common)


def _candidates(p, studio) -> None:
    with gr.Row(equal_height=True, elem_id="strip-row"):
        p.rounds = Strip(choices=[], label=t("rounds"), elem_id="rounds", container=False)
        history_buttons(p)
    p.shown_round = WholeSetting(value=0, precision=0, visible=False, label="round")
    p.gallery = OwnedGallery(label=t("candidates"), show_label=False, columns=4, height="auto", format="png",
                           object_fit="contain", elem_id="gallery", buttons=["download", "fullscreen"],
                           allow_preview=False)  # a click selects the candidate; fullscreen shows it large
    p.legend = gr.Markdown(t("legend"), elem_id="legend")
    with gr.Column(elem_id="candidate-panel"):
        p.selected = gr.Radio(choices=[], label=t("candidate_label"), elem_id="selected")
        p.candidate = WholeSetting(value=0, precision=0, visible=False, label="candidate")
        p.candidate_info = gr.Markdown(label=t("selected_candidate"), elem_id="candidate-info")
        with gr.Row():
            p.reason = gr.Textbox(label=t("reason"), max_length=limits.MAX_MESSAGE_CHARS, scale=4,
                                  placeholder=t("reason_hint"), elem_id="reason")
            p.pick = gr.Button(t("pick"), size="sm", scale=1, min_width=70, elem_id="pick")
            p.reject = gr.Button(t("reject"), size="sm", scale=1, min_width=70, elem_id="reject")
        with gr.Row():
            p.question = gr.Textbox(label=t("question"), max_length=limits.MAX_QUESTION_CHARS, scale=4,
                                    placeholder=t("question_hint"), elem_id="question")
            p.ask = gr.Button(t("ask"), size="sm", scale=1, min_width=70, elem_id="ask")
            p.start_here = gr.Button(t("start_here"), size="sm", scale=1, min_width=70, elem_id="start-here")
        p.answer = gr.Markdown(label=t("answer"), elem_id="answer")
        reproduce_controls(p)
        more_like_this(p)
    image_work_panel(p, studio)


def _design_tabs(p) -> None:
    with gr.Tabs(elem_id="design-tabs"):
        with gr.Tab(t("tab.checklist"), elem_id="checklist-tab"):
            p.checklist = gr.Dataframe(headers=["item", "kind", "pinned"], datatype=["str", "str", "bool"],
                                       column_count=3, interactive=False, type="array", wrap=True,
                                       column_widths=["60%", "22%", "18%"], label=t("tab.checklist"), show_label=False,
                                       elem_id="checklist")
            with gr.Row(elem_id="item-editor"):
                p.item_row = WholeSetting(value=0, precision=0, visible=False, label="row")
                p.item_text = gr.Textbox(label=t("item"), max_length=limits.MAX_ITEM_CHARS, scale=3,
                                         elem_id="item-text", placeholder=t("item_hint"))
                p.item_kind = gr.Radio([(t(f"kind.{k}"), k) for k in ITEM_KINDS], value="visual", label=t("kind_label"),
                                       scale=2, elem_id="item-kind")
                p.item_pinned = gr.Checkbox(label=t("item_pinned"), scale=1, elem_id="item-pinned")
            with gr.Row():
                p.add_item = gr.Button(t("add_item"), size="sm", elem_id="add-item")
                p.update_item = gr.Button(t("update_selected"), size="sm", elem_id="update-item")
                p.delete_item = gr.Button(t("delete_selected"), size="sm", elem_id="delete-item")
        with gr.Tab(t("tab.preferences"), elem_id="preferences-tab"):
            p.preferences = gr.Dataframe(headers=["taste", "like or dislike"], datatype=["str", "str"],
                                         column_count=2, interactive=False, type="array", wrap=True,
                                         column_widths=["70%", "30%"], label=t("tab.preferences"), show_label=False,
                                         elem_id="preferences")
            with gr.Row(elem_id="preference-editor"):
                p.taste_row = WholeSetting(value=0, precision=0, visible=False, label="row")
                p.taste_text = gr.Textbox(label=t("taste"), max_length=limits.MAX_MESSAGE_CHARS, scale=3,
                                          placeholder=t("taste_hint"), elem_id="taste-text")
                p.taste_polarity = gr.Radio([(t(f"polarity.{k}"), k) for k in ("like", "dislike")], value="like",
                                            label=t("polarity_label"), scale=2, elem_id="taste-polarity")
            with gr.Row():
                p.add_taste = gr.Button(t("add_taste"), size="sm", elem_id="add-taste")
                p.update_taste = gr.Button(t("update_selected"), size="sm", elem_id="update-taste")
                p.delete_taste = gr.Button(t("delete_selected"), size="sm", elem_id="delete-taste")
            p.insights = gr.Markdown(label=t("insights_label"), elem_id="insights")
        references_tab(p)
        review_tab(p)
        compare_tab(p)
        branches_tab(p)
        share_tab(p)
        with gr.Tab(t("tab.scorecard"), elem_id="scorecard-tab"):
            p.scorecard = gr.Markdown(label=t("scorecard_label"), elem_id="scorecard")
        with gr.Tab(t("tab.details"), elem_id="details-tab"):
            p.details = gr.JSON(label=t("details"), elem_id="details")
