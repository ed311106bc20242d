"""The Review link tab's actions: share a link (its address shown once), list the session's links, revoke one.
Plain functions over the engine, called as the page calls a `Handlers` method (`call(handlers, owner, *values)`),
each returning a view in the reader's language."""
from __future__ import annotations

import gradio as gr

from studio.core import limits
from studio.core.reviews import ReviewLink
from studio.engine import StudioError
from studio.ui.handlers import Handlers, View
from studio.ui.keys import when
from studio.ui.locales import words
from studio.ui.review_panel import COLUMNS


def create_link(h: Handlers, owner: str, session_id: str, days, branch_only, origin: str | None) -> View:
    """`origin`: the page's own address (the browser's); an API caller gets the link's path, to join to the
    studio's address it called."""
    token, link = h.studio.create_review_link(owner, session_id, limits.REVIEW_DAYS if days is None else days,
                                              branch_only)
    start = origin.rstrip("/") if isinstance(origin, str) and origin.startswith(("http://", "https://")) else ""
    return {"review_url": f"{start}/review/{token}", **list_links(h, owner, session_id),
            "status": words("rlink.created", h.lang, expires=when(link.expires))}


def list_links(h: Handlers, owner: str, session_id: str) -> View:
    if not session_id:  # the tab opened before any session: nothing to list
        return {"review_links": link_table([], h.lang)}
    return {"review_links": link_table(h.studio.list_review_links(owner, session_id), h.lang)}


def revoke_link(h: Handlers, owner: str, session_id: str, link_id) -> View:
    """A link of the session shown: another owner's session is refused as missing, a link of another session too."""
    link_id = link_id.strip() if isinstance(link_id, str) else link_id
    if not any(link.id == link_id for link in h.studio.list_review_links(owner, session_id)):
        raise StudioError("review.missing")
    revoked = h.studio.revoke_review_link(owner, link_id)
    return {**list_links(h, owner, session_id), "review_link_id": "",
            "status": words("rlink.revoked", h.lang, id=revoked.id)}


def link_table(links: list[ReviewLink], lang: str) -> dict:
    """The links as the tab's table shows them: never a token (the store has none)."""
    rows = [[k.id, words("rlink.whole", lang) if k.branch is None else words("rlink.branch", lang, round=k.branch + 1),
             when(k.created), when(k.expires), str(k.notes), when(k.revoked)] for k in links]
    return {"headers": [words(f"rlink.header.{c}", lang) for c in COLUMNS], "data": rows}


def link_chosen(evt: gr.SelectData) -> str:
    """A click on a row of the links table: its id, for the revoke box."""
    return str((evt.row_value or [""])[0])
