"""Search's page actions: words, images matching words, more like a candidate, and opening a result at its round
(switching to that round's branch when the designer is on another). Plain functions over the engine (like
handlers.py), testable without a page.

A search's view: the results as a small gallery (the hits that have an image), every hit as data for scripts and for
the page's selection (`search_data`: rounds and candidates counted from 1, as the page counts them), and a line.
"""
from __future__ import annotations

from dataclasses import asdict

import gradio as gr

from studio.core import history
from studio.core.search import SearchHit, SearchResults
from studio.ui.components import owned
from studio.ui.handlers import Handlers, View, counted
from studio.ui.locales import words

MODES = ("words", "images")


def search(h: Handlers, owner: str, query: str, mode: str) -> View:
    """The sidebar's search: the words themselves, or the images that match them."""
    if mode == "images":
        return search_images(h, owner, query)
    return search_text(h, owner, query)


def search_text(h: Handlers, owner: str, query: str, limit=None) -> View:
    return _results(h, owner, h.studio.search_text(owner, query, *_limit(limit)), "search.found", query=query)


def search_images(h: Handlers, owner: str, text: str, limit=None) -> View:
    return _results(h, owner, h.studio.search_images(owner, text, *_limit(limit)), "search.found", query=text)


def search_similar(h: Handlers, owner: str, session_id: str, round_number, candidate, limit=None) -> View:
    index, chosen = counted("round", round_number), counted("candidate", candidate)
    results = h.studio.search_similar(owner, session_id, index, chosen, *_limit(limit))
    return _results(h, owner, results, "search.found_similar", round=index + 1, candidate=chosen + 1)


def _limit(limit) -> tuple:
    return () if limit is None else (limit,)


def _results(h: Handlers, owner: str, results: SearchResults, code: str, **said) -> View:
    shown = [hit for hit in results.hits if hit.image]
    line = words(code if results.hits else "search.none", h.lang, count=len(results.hits), **said)
    if results.unindexed:
        line += words("search.unindexed", h.lang, count=results.unindexed)
    return {"search_results": [(owned(h.studio.image(owner, hit.session_id, hit.image),
                                      h.shown_to(owner, hit.session_id)), caption(hit, h.lang)) for hit in shown],
            "search_data": [counted_from_one(hit) for hit in results.hits], "status": line}


def caption(hit: SearchHit, lang: str) -> str:
    """"Jazz poster · round 2 · 3", and what matched: "caption: …a saxophone on navy…"."""
    place = [hit.title or "…"]
    if hit.round is not None:
        place.append(words("search.round", lang, round=hit.round + 1))
    if hit.candidate is not None:
        place.append(str(hit.candidate + 1))
    matched = words(f"search.field.{hit.field}", lang) + (f": {hit.snippet}" if hit.snippet else "")
    return " · ".join(place) + "\n" + matched


def counted_from_one(hit: SearchHit) -> dict:
    """A hit as scripts read it: rounds and candidates counted from 1 (None where it is the session's own)."""
    return {**asdict(hit), "round": None if hit.round is None else hit.round + 1,
            "candidate": None if hit.candidate is None else hit.candidate + 1}


def chosen_hit(data: list | None, evt: gr.SelectData) -> tuple[str, int, int]:
    """The page's pick in the results gallery -> (session id, round, candidate) for `open_result`; 0: none. The
    gallery shows the hits that have an image, in order."""
    hits = [hit for hit in data or () if isinstance(hit, dict) and hit.get("image")]
    hit = hits[evt.index] if 0 <= evt.index < len(hits) else {}
    return hit.get("session_id", ""), hit.get("round") or 0, hit.get("candidate") or 0


def open_result(h: Handlers, owner: str, session_id: str, round_number=0, candidate=0) -> View:
    """Open a result's session at its round (0: the session as it is), on that round's branch, its candidate
    selected."""
    session = h.studio.open_session(owner, session_id)
    if not round_number:
        view = h.open_session(owner, session.id)
        return {**view, "status": words("search.opened_session", h.lang, title=session.title)}
    index = counted("round", round_number)
    if index not in {r.index for r in history.branch_rounds(session)}:
        session = h.studio.switch_branch(owner, session.id, index)
    view = {**h.session_view(owner, session, index + 1), **h.sessions_list(owner, session.id),
            **h.settings_view(session), "status": words("search.opened", h.lang, title=session.title, round=index + 1)}
    r = h.round_shown(session, index + 1)
    if candidate and r is not None and any(c.index == counted("candidate", candidate) for c in r.candidates):
        chosen = next(c for c in r.candidates if c.index == counted("candidate", candidate))
        view |= {"selected": gr.Radio(choices=[(str(c.index + 1), c.index + 1) for c in r.candidates],
                                      value=chosen.index + 1), "candidate": chosen.index + 1,
                 **h.candidate_view(session, r, chosen)}
    return view
