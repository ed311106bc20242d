"""Search on the page, declared, and its events: a search box in the sidebar (words, or images matching the words)
with its results as a small gallery, where a pick opens that session at that round; "More like this" in the selected
candidate's panel. Actions: search_handlers.py. Every action is also an endpoint: /search_text, /search_images,
/search_similar, /open_result.
"""
from __future__ import annotations

import gradio as gr

from studio.core import limits
from studio.ui import search_handlers as find
from studio.ui.components import OwnedGallery, WholeSetting
from studio.ui.locales import I18N as t

SEARCH_VIEW = ["search_results", "search_data", "status"]


def search_box(p) -> None:
    """In the sidebar, below the sessions."""
    with gr.Group(elem_id="search"):
        p.search_query = gr.Textbox(label=t("search.query"), placeholder=t("search.hint"),
                                    max_length=limits.MAX_SEARCH_CHARS, elem_id="search-query")
        p.search_mode = gr.Radio([(t(f"search.mode.{mode}"), mode) for mode in find.MODES], value="words",
                                 label=t("search.mode_label"), elem_id="search-mode")
        p.search_go = gr.Button(t("search.go"), size="sm", elem_id="search-go")
        p.search_results = OwnedGallery(label=t("search.results"), columns=2, height="auto", format="png",
                                        object_fit="contain", allow_preview=False, elem_id="search-results")
    with gr.Group(visible=False):  # what scripts read and send: the hits, and a result to open
        p.search_data = gr.JSON(label="hits")
        p.search_limit = WholeSetting(value=limits.SEARCH_RESULTS, precision=0, label="limit")
        p.result_session = gr.Textbox(label="session_id")
        p.result_round, p.result_candidate = (WholeSetting(value=0, precision=0, label=n) for n in ("round", "candidate"))
        p.api_search_text, p.api_search_images, p.api_open_result = (gr.Button(visible=False) for _ in range(3))


def more_like_this(p) -> None:
    """In the selected candidate's panel."""
    p.more_like_this = gr.Button(t("search.more_like_this"), size="sm", elem_id="more-like-this")


def connect_search(p, on, quiet: dict, session_view: list[str], list_view: list[str],
                   settings_view: list[str]) -> None:
    for trigger in (p.search_go.click, p.search_query.submit):
        on(trigger, ["query", "mode"], find.search, [p.search_query, p.search_mode], SEARCH_VIEW, **quiet)
    on(p.api_search_text.click, ["query", "limit"], find.search_text, [p.search_query, p.search_limit], SEARCH_VIEW,
       api_name="search_text", **quiet)
    on(p.api_search_images.click, ["text", "limit"], find.search_images, [p.search_query, p.search_limit],
       SEARCH_VIEW, api_name="search_images", **quiet)
    on(p.more_like_this.click, ["session_id", "round", "candidate", "limit"], find.search_similar,
       [p.session_id, p.shown_round, p.candidate, p.search_limit], SEARCH_VIEW, api_name="search_similar", **quiet)
    # A pick in the results: which hit (in the browser's data), then open it as /open_result does.
    opened = [*session_view, *list_view, *settings_view, "status", "browser"]
    picked = p.search_results.select(find.chosen_hit, [p.search_data],
                                     [p.result_session, p.result_round, p.result_candidate], api_visibility="private")
    where = ["session_id", "round", "candidate"]
    on(picked.then, where, find.open_result, [p.result_session, p.result_round, p.result_candidate], opened, **quiet)
    on(p.api_open_result.click, where, find.open_result, [p.result_session, p.result_round, p.result_candidate],
       opened, api_name="open_result", **quiet)
