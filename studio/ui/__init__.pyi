"""The page: Gradio Blocks layout and event wiring only. Every action calls one engine function.

Each event has a stable `api_name`, so `gradio_client` drives the same functions a designer
clicks. Who the caller is comes from the request (signed-in user), the browser's own id
(`gr.BrowserState`), or, for API clients, their connection.
"""
from __future__ import annotations

import functools
import inspect
import uuid
from pathlib import Path

import gradio as gr
from PIL import Image

from pipelines.checklist import MAX_DIRECTIONS
from studio.ui import presenters as views
from studio.core import limits
from studio.engine.validation import StudioError, open_upload
from studio.engine import RoundParams, Studio
from studio.engine.events import AutoProgress, AutoStopped, Finished, Refining, Rendering, Started, throttled
from studio.core.session import Round, Session, last_round

CSS = (Path(__file__).parents[2] / "assets" / "studio.css").read_text()
GPU = "gpu"  # events that run models share one queue, so a GPU serves one or two rounds at a time


def owner_of(request: gr.Request, browser_id: str) -> str:
    if request is not None and request.username:
        return f"user-{request.username}"
    if browser_id:
        return f"browser-{browser_id}"
    # API clients carry no browser storage: their connection is who they are.
    return f"client-{request.session_hash}" if request is not None and request.session_hash else ""


def _errors_for_people(fn):
    """Engine refusals become the page's error toast (and the API's error message)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except StudioError as err:
                raise gr.Error(str(err)) from err
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StudioError as err:
            raise gr.Error(str(err)) from err
    return wrapper

from gradio.events import Dependency

class UploadedImage(gr.Image):
    """gr.Image whose upload the engine's checks see first: Gradio would decode it, or fail with its own error."""

    is_template = True  # Gradio's mark for a subclass its page draws as the parent: here gr.Image

    def preprocess(self, payload):
        if payload is not None and payload.path:
            try:
                open_upload(payload.path, "The reference", (Path(payload.path).parent,))
            except StudioError as err:
                raise gr.Error(str(err)) from err
        return super().preprocess(payload)
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


class Setting(gr.Slider):
    """A slider whose value the engine checks, and names in its refusal ("Steps must be between 1 and 50,
    not 0."): Gradio's own check would say "Value 0 is less than minimum value 1."."""

    is_template = True  # drawn as Gradio's own slider

    def preprocess(self, payload):
        return payload
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


class WholeSetting(gr.Number):
    """The same for a number field, where Gradio would also round 2.5 to 2 without a word."""

    is_template = True
    preprocess = Setting.preprocess
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


def build_ui(studio: Studio, banner: str = "", gpu_concurrency: int = 2) -> gr.Blocks:
    preset = studio.preset
    style_choices = [("None", "")] + [(s.name, key) for key, s in studio.styles.items()]

    with gr.Blocks(title="Design Collaborator", fill_height=True) as demo:
        # The browser remembers its id and last session across reloads; `who` holds the id server-side,
        # where an API caller cannot set it (API callers are identified by their connection).
        browser = gr.BrowserState({"id": "", "session": ""}, storage_key="design-collaborator")
        who = gr.State("")
        gr.Markdown(banner, visible=bool(banner), elem_id="banner")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=200, elem_id="sidebar"):
                gr.Markdown("### Sessions")
                with gr.Row():
                    new = gr.Button("New session", variant="secondary", scale=3)
                    refresh = gr.Button("↻", scale=1, min_width=40, elem_id="refresh")
                sessions = gr.Radio(choices=[], label="Your sessions", elem_id="sessions")
                sessions_data = gr.JSON(visible=False)
                with gr.Accordion("Rename or delete", open=False):
                    title = gr.Textbox(label="New title", max_length=limits.MAX_TITLE_CHARS)
                    rename = gr.Button("Rename")
                    delete = gr.Button("Delete this session", variant="stop")
                session_id = gr.Textbox(label="Session id", interactive=False, elem_id="session-id")
            with gr.Column(scale=5):
                chat = gr.Chatbot(label="Conversation", height=380, elem_id="chat", buttons=["copy"])
                status = gr.Markdown("Write a brief to start.", elem_id="status")
                gallery = gr.Gallery(label="Candidates", columns=4, height=300, format="png",
                                     object_fit="contain", elem_id="gallery", buttons=["download", "fullscreen"])
                with gr.Accordion("Scorecard", open=False):
                    scorecard = gr.Markdown(elem_id="scorecard")
                with gr.Row():
                    message = gr.Textbox(
                        label="Brief or correction", lines=2, scale=5, max_length=limits.MAX_BRIEF_CHARS,
                        placeholder="A poster for a jazz night, art deco, navy and gold", elem_id="message")
                    with gr.Column(scale=1, min_width=160):
                        # Enabled by the page's load: before it, the server does not know this browser yet.
                        start = gr.Button("Start a session", variant="primary", elem_id="start", interactive=False)
                        send = gr.Button("Next round", variant="secondary", elem_id="send")
                        stop = gr.Button("Stop", variant="stop", elem_id="stop")
                with gr.Row():
                    selected = gr.Number(label="Candidate #", value=1, precision=0, minimum=1,
                                         maximum=limits.MAX_CANDIDATES, scale=1, elem_id="selected")
                    reason = gr.Textbox(label="Why? (kept as a preference)", scale=4,
                                        max_length=limits.MAX_MESSAGE_CHARS, placeholder="too busy / love the type")
                    pick = gr.Button("Pick", scale=1, min_width=80, elem_id="pick")
                    reject = gr.Button("Reject", scale=1, min_width=80, elem_id="reject")
                with gr.Row():
                    question = gr.Textbox(label="Ask about the selected candidate", scale=4,
                                          max_length=limits.MAX_QUESTION_CHARS, placeholder="is the text readable?",
                                          elem_id="question")
                    ask = gr.Button("Ask", scale=1, min_width=80, elem_id="ask")
                with gr.Row():
                    auto_rounds = WholeSetting(label="Rounds", value=3, precision=0, minimum=1,
                                               maximum=limits.MAX_AUTO_ROUNDS, scale=1, min_width=80,
                                               elem_id="auto-rounds")
                    auto = gr.Button("Run rounds on its own", scale=2, min_width=120, elem_id="auto")
                    direction_count = gr.Number(label="Directions", value=4, precision=0, minimum=2,
                                                maximum=MAX_DIRECTIONS, scale=1, min_width=80, elem_id="direction-count")
                    inspire = gr.Button("Inspire me", scale=2, min_width=120, elem_id="inspire")
                round_index = gr.Number(label="Round shown", value=0, precision=0, visible=False)
                with gr.Accordion("Settings", open=False):
                    with gr.Row():
                        count = Setting(limits.MIN_CANDIDATES, limits.MAX_CANDIDATES, value=4, step=1,
                                        label="Candidates")
                        steps = Setting(limits.MIN_STEPS, limits.MAX_STEPS, value=preset.steps, step=1, label="Steps")
                        size = Setting(limits.MIN_SIZE, preset.max_size, value=preset.size,
                                       step=limits.SIZE_MULTIPLE, label="Size (px)")
                        guidance = Setting(limits.MIN_GUIDANCE, limits.MAX_GUIDANCE, value=preset.guidance,
                                           step=0.5, label="Guidance")
                    with gr.Row():
                        seed = WholeSetting(label="Seed", value=0, precision=0, minimum=0, maximum=limits.MAX_SEED)
                        randomize = gr.Checkbox(label="Random seed", value=True)
                        negative = gr.Textbox(label="Negative prompt (added)", max_length=limits.MAX_MESSAGE_CHARS)
                        style = gr.Dropdown(style_choices, value="", label="Style", elem_id="style")
                    with gr.Row():
                        reference = UploadedImage(label="Reference image (optional)", type="filepath",
                                             sources=["upload", "clipboard"], height=160)
                        strength = Setting(limits.MIN_STRENGTH, limits.MAX_STRENGTH, value=0.6, step=0.05,
                                           label="How far to move from the reference / candidate")
                        from_selected = gr.Checkbox(label="Start from the selected candidate", value=False)
                with gr.Accordion("Round details (JSON)", open=False):
                    details = gr.JSON(label="Round")
                gr.Markdown(f"Preset **{preset.name}**: {preset.summary} "
                            + " · ".join(f"{role}: `{spec.model_id}` ({spec.license})"
                                         for role, spec in preset.models.items()), elem_id="models")
            with gr.Column(scale=2, min_width=280, elem_id="design-panel"):
                gr.Markdown("### Checklist")
                checklist = gr.Dataframe(
                    headers=["item", "kind", "pinned"], datatype=["str", "str", "bool"], column_count=3,
                    interactive=True, type="array", column_widths=["58%", "24%", "18%"],
                    label="visual / text / avoid; pinned items stay in every prompt",
                    elem_id="checklist")
                save_checklist = gr.Button("Save checklist", size="sm", elem_id="save-checklist")
                gr.Markdown("### What you like")
                preferences = gr.Dataframe(
                    headers=["taste", "like or dislike"], datatype=["str", "str"], column_count=2, interactive=True, type="array",
                    label="Kept from your reasons; shapes prompts and the ranking", elem_id="preferences")
                save_preferences = gr.Button("Save preferences", size="sm", elem_id="save-preferences")
                insights = gr.Markdown(elem_id="insights")

        # ---------------------------------------------------------------- what a session looks like
        def gallery_items(r: Round | None) -> list[tuple[Image.Image, str]]:
            if r is None:
                return []
            return [(Image.open(studio.store.image_path(c.image)), views.candidate_caption(c)) for c in r.candidates]

        def sessions_update(owner: str, selected_id: str | None = None):
            return gr.Radio(choices=views.session_choices(studio.list_sessions(owner)), value=selected_id or None)

        def session_view(session: Session | None, r: Round | None = None) -> dict:
            """Every component that shows the session, keyed for a Gradio update."""
            r = r or (last_round(session) if session else None)
            return {session_id: session.id if session else "", chat: views.conversation(session),
                    gallery: gallery_items(r), details: views.round_details(r), round_index: r.index if r else 0,
                    scorecard: views.scorecard(r), checklist: views.checklist_rows(session),
                    preferences: views.preference_rows(session), insights: views.insights(session)}

        def remember(browser_id: str, sid: str):
            return {"id": browser_id, "session": sid} if browser_id else gr.skip()

        # ---------------------------------------------------------------- handlers
        @_errors_for_people
        def on_page_load(browser_value, request: gr.Request):
            browser_value = dict(browser_value or {})
            if not browser_value.get("id"):
                browser_value["id"] = uuid.uuid4().hex
            owner = owner_of(request, browser_value["id"])
            try:
                session = studio.open_session(owner, browser_value["session"]) if browser_value.get("session") else None
            except StudioError:  # the last session was deleted: start clean
                session, browser_value["session"] = None, ""
            return {**session_view(session), browser: browser_value, who: browser_value["id"],
                    sessions: sessions_update(owner, session.id if session else None), start: gr.Button(interactive=True)}

        @_errors_for_people
        def start_session(brief, browser_id, request: gr.Request):
            owner = owner_of(request, browser_id)
            session = studio.start_session(owner, brief)
            return {**session_view(session), sessions: sessions_update(owner, session.id),
                    browser: remember(browser_id, session.id), status: ""}

        def round_params(n, n_steps, px, cfg, seed_value, random_seed, negative_text, reference_file, strength_value,
                         start_from_selected, selected_value, style_key, last: Round | None, directions: int):
            from_candidate = None
            if start_from_selected and last is not None and selected_value is not None:
                from_candidate = (last.index, int(selected_value) - 1)
            return RoundParams(
                count=n, steps=n_steps, guidance=cfg, width=px, height=px, seed=None if random_seed else seed_value,
                negative=negative_text or "", reference=reference_file or None, strength=strength_value,
                from_candidate=from_candidate, style=style_key or "", directions=directions)

        def stream(owner: str, sid: str, events):
            """A round's (or an auto run's) events as page updates: only what changed is sent."""
            session, live = studio.open_session(owner, sid), None
            for event in throttled(events):
                if isinstance(event, Started):
                    live, session = event.round, studio.open_session(owner, sid)
                    yield {chat: views.conversation(session, live), status: event.message, message: ""}
                elif isinstance(event, Refining):
                    yield {chat: views.conversation(session, live, event.text), status: event.message}
                elif isinstance(event, Rendering) and event.previews:
                    yield {gallery: [(p, f"#{i + 1} · step {event.step}/{event.total}")
                                     for i, p in enumerate(event.previews)],
                           status: views.progress_line(event)}
                elif isinstance(event, Finished):
                    yield {**session_view(studio.open_session(owner, sid), event.round), status: event.message,
                           sessions: sessions_update(owner, sid)}
                elif isinstance(event, (AutoProgress, AutoStopped)):
                    yield {status: event.message, **({chat: views.conversation(studio.open_session(owner, sid))}
                                                     if isinstance(event, AutoStopped) else {})}
                else:
                    yield {status: views.progress_line(event)}

        def prepare(request: gr.Request, browser_id: str, sid: str, settings: tuple, directions: int = 0):
            """(owner, session, round params) for a round endpoint."""
            owner = owner_of(request, browser_id)
            if not sid:
                raise StudioError("No session is open: write a brief and press 'Start a session', or pick one.")
            session = studio.open_session(owner, sid)
            return owner, session, round_params(*settings, last=last_round(session), directions=directions)

        # The round endpoints share one signature for their settings (the names are the API's).
        @_errors_for_people
        def run_round(sid, text, n, n_steps, px, cfg, seed_value, random_seed, negative_text, reference_file,
                      strength_value, start_from_selected, selected_value, style_key, browser_id, request: gr.Request):
            owner, session, params = prepare(request, browser_id, sid, (
                n, n_steps, px, cfg, seed_value, random_seed, negative_text, reference_file, strength_value,
                start_from_selected, selected_value, style_key))
            # Round 0 is the brief itself: the message box already went into start_session.
            yield from stream(owner, sid, studio.run_round(owner, sid, text if session.rounds else "", params))

        @_errors_for_people
        def run_auto(sid, rounds_value, n, n_steps, px, cfg, seed_value, random_seed, negative_text, reference_file,
                     strength_value, start_from_selected, selected_value, style_key, browser_id, request: gr.Request):
            owner, session, params = prepare(request, browser_id, sid, (
                n, n_steps, px, cfg, seed_value, random_seed, negative_text, reference_file, strength_value,
                start_from_selected, selected_value, style_key))
            yield from stream(owner, sid, studio.run_auto(owner, sid, rounds_value, params))

        @_errors_for_people
        def inspire_me(sid, directions_value, n, n_steps, px, cfg, seed_value, random_seed, negative_text,
                       reference_file, strength_value, start_from_selected, selected_value, style_key, browser_id,
                       request: gr.Request):
            owner, session, params = prepare(request, browser_id, sid, (
                n, n_steps, px, cfg, seed_value, random_seed, negative_text, reference_file, strength_value,
                start_from_selected, selected_value, style_key), directions=directions_value)
            yield from stream(owner, sid, studio.run_round(owner, sid, "", params))

        def feedback_handler(kind: str):
            @_errors_for_people
            def give_feedback(sid, round_value, candidate_value, why, browser_id, request: gr.Request):
                owner = owner_of(request, browser_id)
                if candidate_value is None:
                    raise StudioError("Choose a candidate number first.")
                session = studio.give_feedback(owner, sid, int(round_value or 0), kind, int(candidate_value) - 1,
                                               why or "")
                shown = session_view(session, next(r for r in session.rounds if r.index == int(round_value or 0)))
                return {**shown, status: f"Noted: {kind} candidate {int(candidate_value)}.", reason: ""}
            return give_feedback

        @_errors_for_people
        def ask_about(sid, round_value, candidate_value, text, browser_id, request: gr.Request):
            owner = owner_of(request, browser_id)
            if candidate_value is None:
                raise StudioError("Choose a candidate number first.")
            asked = studio.ask(owner, sid, int(round_value or 0), int(candidate_value) - 1, text)
            return {chat: views.conversation(studio.open_session(owner, sid)), question: "",
                    status: f"Answer: {asked.answer}"}

        @_errors_for_people
        def set_checklist(sid, rows, browser_id, request: gr.Request):
            session = studio.set_checklist(owner_of(request, browser_id), sid, rows)
            return {checklist: views.checklist_rows(session), insights: views.insights(session),
                    status: "Checklist saved: the next round is checked against it."}

        @_errors_for_people
        def set_preferences(sid, rows, browser_id, request: gr.Request):
            session = studio.set_preferences(owner_of(request, browser_id), sid, rows)
            return {preferences: views.preference_rows(session), status: "Preferences saved."}

        @_errors_for_people
        def open_session(sid, browser_id, request: gr.Request):
            session = studio.open_session(owner_of(request, browser_id), sid)
            return {**session_view(session), browser: remember(browser_id, session.id)}

        @_errors_for_people
        def list_sessions(browser_id, request: gr.Request):
            summaries = studio.list_sessions(owner_of(request, browser_id))
            return (gr.Radio(choices=views.session_choices(summaries)),
                    [{"id": s.id, "title": s.title, "rounds": s.rounds, "updated": s.updated} for s in summaries])

        @_errors_for_people
        def rename_session(sid, new_title, browser_id, request: gr.Request):
            owner = owner_of(request, browser_id)
            studio.rename(owner, sid, new_title)
            return sessions_update(owner, sid), ""

        @_errors_for_people
        def delete_session(sid, browser_id, request: gr.Request):
            owner = owner_of(request, browser_id)
            studio.delete(owner, sid)
            return {**session_view(None), sessions: sessions_update(owner), browser: remember(browser_id, ""),
                    status: "Session deleted."}

        @_errors_for_people
        def cancel(sid, browser_id, request: gr.Request):
            stopped = studio.cancel(owner_of(request, browser_id), sid)
            return "Stopping..." if stopped else "Nothing is running."

        def new_session():
            return {**session_view(None), sessions: gr.Radio(value=None), status: "Write a brief, then press Start."}

        def select_candidate(evt: gr.SelectData):
            return evt.index + 1

        # ---------------------------------------------------------------- wiring
        shown = [session_id, chat, gallery, details, round_index, scorecard, checklist, preferences, insights]
        settings = [count, steps, size, guidance, seed, randomize, negative, reference, strength, from_selected,
                    selected, style]
        # The first outputs keep their places for scripts: chat, gallery, status, details, round index.
        round_outputs = [chat, gallery, status, details, round_index, message, sessions, scorecard, checklist,
                         preferences, insights, session_id]
        picked_inputs = [session_id, round_index, selected]
        gpu = dict(concurrency_id=GPU, concurrency_limit=gpu_concurrency)

        demo.load(on_page_load, [browser], [browser, who, sessions, *shown, start], api_visibility="private")
        send.click(run_round, [session_id, message, *settings, who], round_outputs, api_name="run_round", **gpu)
        start.click(start_session, [message, who], [*shown, sessions, browser, status],
                    api_name="start_session").success(
            run_round, [session_id, message, *settings, who], round_outputs, api_visibility="private", **gpu)
        auto.click(run_auto, [session_id, auto_rounds, *settings, who], round_outputs, api_name="run_auto", **gpu)
        inspire.click(inspire_me, [session_id, direction_count, *settings, who], round_outputs,
                      api_name="inspire", **gpu)
        stop.click(cancel, [session_id, who], [status], api_name="cancel")
        pick.click(feedback_handler("pick"), [*picked_inputs, reason, who], [*shown, status, reason], api_name="pick")
        reject.click(feedback_handler("reject"), [*picked_inputs, reason, who], [*shown, status, reason],
                     api_name="reject")
        ask.click(ask_about, [*picked_inputs, question, who], [chat, question, status], api_name="ask", **gpu)
        save_checklist.click(set_checklist, [session_id, checklist, who], [checklist, insights, status],
                             api_name="set_checklist")
        save_preferences.click(set_preferences, [session_id, preferences, who], [preferences, status],
                               api_name="set_preferences")
        sessions.input(lambda sid: sid, [sessions], [session_id], api_visibility="private").then(
            open_session, [session_id, who], [*shown, browser], api_name="open_session")
        refresh.click(list_sessions, [who], [sessions, sessions_data], api_name="list_sessions")
        rename.click(rename_session, [session_id, title, who], [sessions, title], api_name="rename")
        delete.click(delete_session, [session_id, who], [*shown, sessions, browser, status], api_name="delete")
        new.click(new_session, None, [*shown, sessions, status], api_visibility="private")
        gallery.select(select_candidate, None, [selected], api_visibility="private")
    return demo