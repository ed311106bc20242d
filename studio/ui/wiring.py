"""Events: which control calls which handler, with what, and under which API name.

Same function, two doors: every action a designer clicks is also a named API endpoint. A refusal reaches each
door in its own form: the page (a caller that ran the page's load: `who` is PAGE) gets a toast in the
reader's language and keeps every output as it was, with no error state and the typed text intact; an API caller
gets an error it can catch, in English; any other error is the studio's apology, with a reference (refusals.py).
The reader's language is the page's `lang` state: the browser's on the first visit, then the language switch's
(kept in the browser's storage); API callers read English.
The round endpoints share ONE list of settings (`studio.core.params.ROUND_SETTINGS`); their API parameters are the
settings' own names, each with a default, so `client.predict(session_id, "warmer", api_name="/run_round")` works.
"""
from __future__ import annotations

import functools
import inspect
import json
from types import SimpleNamespace
from typing import Callable

import gradio as gr

from studio.core.params import SETTING_NAMES
from studio.engine import StudioError
from studio.core.messages import language_of
from studio.ui import keys, presenters as show
from studio.ui.handlers import KEPT_SETTINGS, Handlers
from studio.ui.history_panel import connect_history
from studio.ui.compare_wiring import connect_compare
from studio.ui.image_wiring import connect_image_work
from studio.ui.tables import connect_tables
from studio.ui.share_wiring import connect_share
from studio.ui.locales import GRADIO_LOCALES, I18N
from studio.ui.refusals import answer
from studio.ui.review_wiring import connect_review
from studio.ui.search_panel import connect_search
from studio.web.identity import owner_of

PAGE = "page"  # `who` once the page's load ran: the caller is answered as the page (toasts, its language)
GPU = "gpu"  # events that run models share one queue, so a GPU serves one or two rounds at a time

# What each kind of event may change, by component name. The first names keep their places for scripts.
SESSION_VIEW = ["session_id", "chat", "gallery", "details", "shown_round", "scorecard", "rounds", "selected",
                "candidate", "candidate_info", "answer", "send", "checklist", "preferences", "insights", "references",
                "tree"]
ROUND_VIEW = ["chat", "gallery", "status", "details", "shown_round", "message", "sessions", "scorecard", "rounds",
              "selected", "candidate", "candidate_info", "answer", "sessions_data", "start_from", "start_note",
              "start_row", "send", "browser", "checklist", "preferences", "insights", "session_id", "references",
              "tree"]
LIST_VIEW = ["sessions", "sessions_data"]
SETTINGS_VIEW = [*KEPT_SETTINGS, "style_note"]


def endpoint(page: SimpleNamespace, handlers: Handlers, params: list[str], call: Callable, outputs: list[str],
             name: str) -> Callable:
    """A Gradio event function named by `params` (its API parameters), then the browser id, the reader's language
    and the request.

    `call(handlers, owner, *values)` (a `Handlers` method, or a function like one) returns or yields a view, written
    by the handlers for the reader's language; it becomes a dict of components, with the browser's stored session
    and language kept in step. A `StudioError` becomes the refusal form of the caller's door; any other error, the
    studio's apology with a reference (refusals.py).
    """
    keep_browser = "browser" in outputs

    def as_update(view: dict, page_flag: str, lang: str) -> dict:
        update = {getattr(page, name): value for name, value in view.items()}
        if keep_browser and page_flag and "session_id" in view:
            update[page.browser] = {"session": view["session_id"], "lang": view.get("lang", lang)}
        return update

    if inspect.isgeneratorfunction(call):
        def fn(*args):
            *values, page_flag, lang, request = args
            try:
                for view in call(handlers.reading(lang), owner_of(request), *values):
                    yield as_update(view, page_flag, lang)
            except Exception as err:  # the event's boundary: a refusal, or the studio's apology; never a Python error
                yield answer(handlers.studio, name, err, page_flag, lang)
    else:
        def fn(*args):
            *values, page_flag, lang, request = args
            try:
                return as_update(call(handlers.reading(lang), owner_of(request), *values), page_flag, lang)
            except Exception as err:  # the event's boundary: a refusal, or the studio's apology; never a Python error
                return answer(handlers.studio, name, err, page_flag, lang)

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    # After the first, every parameter may be left out: a control's own value is its default in the API (Gradio
    # takes it from the page), and a None default makes the others (typed words) optional too.
    fn.__signature__ = inspect.Signature(
        [inspect.Parameter(name, kind, default=inspect.Parameter.empty if i == 0 else None)
         for i, name in enumerate(params)]
        + [inspect.Parameter("page_flag", kind, default=None), inspect.Parameter("lang", kind, default="en"),
           inspect.Parameter("request", kind, default=None, annotation=gr.Request)])
    fn.__annotations__ = {"request": gr.Request}
    fn.__name__ = fn.__qualname__ = name  # Gradio names an endpoint after its function
    return fn


def connect(page: SimpleNamespace, handlers: Handlers, gpu_concurrency: int) -> None:
    p, H = page, Handlers  # the calls are Handlers' methods: each event's handlers are made for its reader
    gpu = dict(concurrency_id=GPU, concurrency_limit=gpu_concurrency, show_progress="hidden")
    quiet = dict(show_progress="hidden")

    def on(trigger, params: list[str], call: Callable, inputs: list, outputs: list[str], api_name: str | None = None,
           **options):
        """Register `call` on `trigger`: public under `api_name`, or private to the page without one."""
        fn = endpoint(p, handlers, params, call, outputs, api_name or f"page_{getattr(call, '__name__', 'action')}")
        visibility = {"api_name": api_name} if api_name else {"api_visibility": "private"}
        return trigger(fn, [*inputs, p.who, p.lang], [getattr(p, name) for name in outputs], **visibility, **options)

    whole_page = [p.browser, p.who, p.lang, p.language, p.banner,
                  *[getattr(p, n) for n in (*SESSION_VIEW, *LIST_VIEW, *SETTINGS_VIEW, "status")]]
    # The browser's language on the first visit (the locale Gradio chose for the page's labels).
    p.demo.load(page_load(p, handlers), [p.browser, p.page_locale], whole_page, api_visibility="private",
                js="(browser, locale) => [browser, document.documentElement.lang]", **quiet)
    # The switch: Gradio's labels turn at once in the browser, the server's words follow with the views.
    locales = json.dumps(GRADIO_LOCALES)
    p.language.change(None, [p.language], None, js=f"(lang) => window.studioLocale?.({locales}[lang])")
    p.language.input(switch_language(p, handlers), [p.browser, p.language, p.shown_round], whole_page,
                     api_visibility="private", **quiet)
    _rounds(p, H, on, gpu, quiet)
    _settings(p, H, on, quiet)
    _candidates(p, H, on, gpu, quiet)
    connect_tables(p, on, quiet)
    _sessions(p, H, on, quiet)
    keys.connect_keys(p, on, quiet)
    connect_image_work(p, on, gpu, quiet, ROUND_VIEW, SESSION_VIEW, SETTINGS_VIEW)
    connect_review(p, on, quiet)
    connect_compare(p, on, gpu, quiet)
    connect_history(p, on, quiet, SESSION_VIEW)
    connect_share(p, on, quiet, SESSION_VIEW, LIST_VIEW, SETTINGS_VIEW)
    connect_search(p, on, quiet, SESSION_VIEW, LIST_VIEW, SETTINGS_VIEW)


def whole_view(p: SimpleNamespace, h: Handlers, request: gr.Request, browser: dict, round_number=None) -> dict:
    """Everything the page shows, in the handlers' language: on load, and when the language changes."""
    owner = owner_of(request)
    try:
        session = h.studio.open_session(owner, browser["session"]) if owner and browser.get("session") else None
    except StudioError:  # the last session was deleted: start clean
        session, browser["session"] = None, ""
    view = {**h.session_view(owner, session, round_number), **h.sessions_list(owner, session.id if session else None),
            **h.settings_view(session), "language": h.lang, "banner": show.banner(p.notes, h.lang),
            "send": gr.Button(I18N("send.next" if session else "send.start"), interactive=True)}
    return {**{getattr(p, name): v for name, v in view.items()}, p.browser: browser, p.who: PAGE,
            p.lang: h.lang}


def page_load(p: SimpleNamespace, h: Handlers) -> Callable:
    def load(browser_value, page_language, request: gr.Request):
        browser = dict(browser_value or {})
        browser["lang"] = browser.get("lang") or language_of(page_language or request.headers.get("accept-language"))
        return whole_view(p, h.reading(browser["lang"]), request, browser)
    return load


def switch_language(p: SimpleNamespace, h: Handlers) -> Callable:
    def switch(browser_value, lang, round_number, request: gr.Request):
        browser = {"session": "", **(browser_value or {}), "lang": language_of(lang)}
        return whole_view(p, h.reading(browser["lang"]), request, browser, round_number)
    return switch


def _round_call(run: Callable) -> Callable:
    """`run(handlers, owner, session_id, first, settings)` called with the settings' values in ROUND_SETTINGS
    order."""
    def call(h, owner, session_id, first, *values):
        yield from run(h, owner, session_id, first, dict(zip(SETTING_NAMES, values)))
    call.__name__ = run.__name__
    return call


def _rounds(p, H: type[Handlers], on, gpu: dict, quiet: dict) -> None:
    settings, out = p.settings, ROUND_VIEW
    # The composer: Send, or Enter in the message box. Its first send starts the session.
    for trigger in (p.send.click, p.message.submit):
        on(trigger, ["session_id", "text", *SETTING_NAMES], _round_call(H.send), [p.session_id, p.message, *settings],
           [*out, *SETTINGS_VIEW], **gpu)
    on(p.api_run_round.click, ["session_id", "text", *SETTING_NAMES], _round_call(H.run_round),
       [p.session_id, p.message, *settings], out, api_name="run_round", **gpu)
    on(p.auto.click, ["session_id", "rounds", *SETTING_NAMES], _round_call(H.run_auto),
       [p.session_id, p.auto_rounds, *settings], out, api_name="run_auto", **gpu)
    on(p.inspire.click, ["session_id", "directions", *SETTING_NAMES], _round_call(H.inspire),
       [p.session_id, p.direction_count, *settings], out, api_name="inspire", **gpu)
    on(p.stop.click, ["session_id"], H.cancel, [p.session_id], ["status"], api_name="cancel", **quiet)
    on(p.api_start_session.click, ["brief"], H.start_session, [p.message],
       [*SESSION_VIEW, *LIST_VIEW, *SETTINGS_VIEW, "browser", "status"], api_name="start_session", **quiet)
    p.clear_start.click(lambda: ("", gr.Row(visible=False)), None, [p.start_from, p.start_row],
                        api_visibility="private", **quiet)


def _settings(p, H: type[Handlers], on, quiet: dict) -> None:
    """Settings are kept per session as the designer changes them (never when the page restores them)."""
    kept = [getattr(p, name) for name in KEPT_SETTINGS]

    def keep_settings(h, owner, session_id, *values):
        return h.keep_settings(owner, session_id, dict(zip(KEPT_SETTINGS, values)))

    keep = (["session_id", *KEPT_SETTINGS], keep_settings, [p.session_id, *kept], ["style_note"])
    # When a change is finished, not at each keystroke: a slider let go, a field left.
    done = [control.release if isinstance(control, gr.Slider) else control.blur
            for control in kept if control is not p.style]
    on(functools.partial(gr.on, done), *keep, api_name="keep_settings", trigger_mode="always_last", **quiet)
    # A style fills in the settings it suggests, then all are kept together.
    chosen = on(p.style.input, ["style"], lambda h, owner, key: h.choose_style(key), [p.style],
                ["steps", "guidance", "style_note"], **quiet)
    on(chosen.then, *keep, **quiet)


def _feedback(kind: str) -> Callable:
    def give_feedback(h, owner, session_id, round_number, candidate, reason):
        return h.feedback(owner, kind, session_id, round_number, candidate, reason)
    give_feedback.__name__ = kind
    return give_feedback


def _clicked(evt: gr.SelectData) -> int:
    return evt.index + 1


def _candidates(p, H: type[Handlers], on, gpu: dict, quiet: dict) -> None:
    on(p.rounds.input, ["session_id", "round"], H.show_round, [p.session_id, p.rounds],
       ["rounds", "shown_round", "gallery", "selected", "candidate", "candidate_info", "answer", "details",
        "scorecard", "status"], api_name="show_round", **quiet)
    p.gallery.select(_clicked, None, [p.selected], api_visibility="private", **quiet)
    # The chosen number reaches the hidden field the actions read at once, in the browser: a Pick right after a
    # click never acts on the candidate chosen before.
    p.selected.change(None, [p.selected], [p.candidate], js="(number) => number ?? 0", api_visibility="private")
    on(p.selected.change, ["session_id", "round", "candidate"], H.select_candidate,
       [p.session_id, p.shown_round, p.selected], ["candidate_info", "answer"], **quiet)
    for kind, button in (("pick", p.pick), ("reject", p.reject)):
        on(button.click, ["session_id", "round", "candidate", "reason"], _feedback(kind),
           [p.session_id, p.shown_round, p.candidate, p.reason], [*SESSION_VIEW, "status", "reason"],
           api_name=kind, **quiet)
    on(p.ask.click, ["session_id", "round", "candidate", "question"], H.ask,
       [p.session_id, p.shown_round, p.candidate, p.question], ["chat", "question", "status", "answer"],
       api_name="ask", **gpu)
    on(p.start_here.click, ["session_id", "round", "candidate"], H.start_from,
       [p.session_id, p.shown_round, p.candidate], ["start_from", "start_note", "start_row"], **quiet)


def _sessions(p, H: type[Handlers], on, quiet: dict) -> None:
    shown = [*SESSION_VIEW, *LIST_VIEW, *SETTINGS_VIEW, "status", "browser"]
    on(p.sessions.input, ["session_id"], H.open_session, [p.sessions], shown, **quiet)
    on(p.api_open_session.click, ["session_id"], H.open_session, [p.session_id], shown, api_name="open_session",
       **quiet)
    on(p.refresh.click, [], H.sessions_list, [], LIST_VIEW, api_name="list_sessions", **quiet)
    on(p.rename.click, ["session_id", "title"], H.rename, [p.session_id, p.title], [*LIST_VIEW, "title", "status"],
       api_name="rename", **quiet)
    on(p.delete.click, ["session_id"], H.ask_to_delete, [p.session_id], ["confirm_row", "confirm_text"], **quiet)
    p.keep.click(lambda: gr.Group(visible=False), None, [p.confirm_row], api_visibility="private", **quiet)
    on(p.confirm_delete.click, ["session_id"], H.delete, [p.session_id],
       [*SESSION_VIEW, *LIST_VIEW, "confirm_row", "browser", "status"], api_name="delete", **quiet)
    on(p.new.click, [], lambda h, owner: h.new_session(), [],
       [*SESSION_VIEW, "sessions", "start_from", "start_note", "start_row", "status", "browser"], **quiet)
