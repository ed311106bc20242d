"""What a person reads when an event cannot do what they asked, at each door.

A refusal (`StudioError`) says what and what to do: the page (a caller that ran the page's load) gets a toast in the
reader's language and keeps every output as it was; an API caller gets an error it can catch, in English. Any other
error is a fault of the studio's: it is logged with its traceback under a short reference, and the person reads,
in the same two forms, that something went wrong on the studio's side, with that reference, never a Python error.
Both are told to the studio's observers (engine/observing.py: the host's metrics).
"""
from __future__ import annotations

import logging
import secrets

import gradio as gr

from studio.engine import Studio, StudioError
from studio.engine.observing import EventFailed, Refused
from studio.ui.locales import words

log = logging.getLogger(__name__)


def answer(studio: Studio, event: str, err: Exception, page_flag: str, lang: str):
    """`err`, raised by the event function `event`, as its caller's door takes it: a toast on the page (the outputs
    stay as they were: `gr.skip()`), a `gr.Error` raised for an API caller. A `gr.Error` passes as it is."""
    if isinstance(err, gr.Error):
        raise err
    if isinstance(err, StudioError):
        return refused(studio, err, page_flag, lang)
    return failed(studio, event, err, page_flag, lang)


def refused(studio: Studio, err: StudioError, page_flag: str, lang: str):
    studio.observers.report(Refused(err.message.code))
    if not page_flag:
        raise gr.Error(str(err)) from err
    gr.Warning(err.message.text(lang))
    return gr.skip()


def failed(studio: Studio, event: str, err: Exception, page_flag: str, lang: str):
    """Not a refusal: a bug, or a failing disk. Logged with its traceback under the reference the person is given."""
    ref = secrets.token_hex(3).upper()
    log.error("event %s failed (ref %s)", event, ref, exc_info=err)
    studio.observers.report(EventFailed(event, ref))
    if not page_flag:
        raise gr.Error(words("went_wrong", "en", ref=ref)) from None  # the traceback is in the log, not the reply
    gr.Warning(words("went_wrong", lang, ref=ref))
    return gr.skip()
