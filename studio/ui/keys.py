"""The API keys panel's actions: make a key (its text shown once), list the designer's keys, revoke one.

Plain functions over the engine, called as the page calls a `Handlers` method (`call(handlers, owner, *values)`),
each returning a view in the reader's language. They are the page's alone: wiring gives them no API name, and
`page_only` turns away a request that names one by its index while carrying a key, so a script holding a key can
neither make more keys nor revoke any.
"""
from __future__ import annotations

import functools
import time
from typing import Callable

import gradio as gr

from studio.core.keys import ApiKey
from studio.core.messages import say
from studio.engine import StudioError
from studio.ui.handlers import Handlers, View
from studio.ui.locales import words

COLUMNS = ("key_id", "key_label", "key_prefix", "created", "last_used", "revoked")  # header.<column>


def list_keys(h: Handlers, owner: str) -> View:
    return {"keys": key_table(h.studio.list_api_keys(owner), h.lang)}


def create_key(h: Handlers, owner: str, label: str) -> View:
    key, made = h.studio.create_api_key(owner, label)
    return {"new_key": key, "new_key_row": gr.Group(visible=True), "key_label": "", **list_keys(h, owner),
            "status": words("key_created", h.lang, prefix=made.prefix)}


def revoke_key(h: Handlers, owner: str, key_id: str) -> View:
    key_id = key_id.strip() if isinstance(key_id, str) else key_id  # a pasted id may bring spaces along
    if not key_id:
        raise StudioError("key.choose_first")
    revoked = h.studio.revoke_api_key(owner, key_id)
    return {**list_keys(h, owner), "key_id": "", "status": words("key_revoked", h.lang, prefix=revoked.prefix)}


def key_table(keys: list[ApiKey], lang: str) -> dict:
    """The keys as the panel's table shows them: never a key's text, only its first characters."""
    never = words("key_never", lang)
    rows = [[k.id, k.label, f"{k.prefix}…", when(k.created), when(k.last_used) or never, when(k.revoked)]
            for k in keys]
    return {"headers": [words(f"header.{c}", lang) for c in COLUMNS], "data": rows}


def when(moment: float | None) -> str:
    """A stored time as the table shows it, in UTC (the server's clock, wherever the reader is); "" for none."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment)) if moment is not None else ""


def key_chosen(evt: gr.SelectData) -> str:
    """A click on a row of the keys table: its key id, for the revoke box."""
    return str((evt.row_value or [""])[0])


def page_only(listener: Callable) -> Callable:
    """`listener` (an event listener, such as `button.click`) whose function turns away a request that sends an API
    key. A private event is only left out of the API: a request may still name it by its index."""
    def listen(fn: Callable, *args, **options):
        @functools.wraps(fn)  # the same signature: Gradio still hands it the request
        def from_the_page(*values):
            request = next((v for v in values if isinstance(v, gr.Request)), None)
            sent = (getattr(request, "headers", None) or {}).get("authorization", "")
            if sent[:7].lower() == "bearer ":
                raise gr.Error(say("key.page_only"))
            return fn(*values)
        return listener(from_the_page, *args, **options)
    return listen


def connect_keys(p, on, quiet: dict) -> None:
    """The page's own doors (no API name; a request naming one with a key is turned away, `page_only`), so a key
    that leaks cannot make more keys."""
    on(page_only(p.keys_panel.expand), [], list_keys, [], ["keys"], **quiet)
    for trigger in (p.create_key.click, p.key_label.submit):
        on(page_only(trigger), ["label"], create_key, [p.key_label],
           ["new_key", "new_key_row", "key_label", "keys", "status"], **quiet)
    p.keys.select(key_chosen, None, [p.key_id], api_visibility="private", **quiet)
    on(page_only(p.revoke_key.click), ["key_id"], revoke_key, [p.key_id], ["keys", "key_id", "status"], **quiet)
