"""The history's page actions: a switch to a round's branch, undo and redo. Plain functions over the engine (like
handlers.py), testable without a page; the tree they show is history_presenters.py's."""
from __future__ import annotations

from studio.core import history
from studio.core.messages import Message
from studio.ui.handlers import Handlers, View, counted

def switch_branch(h: Handlers, owner: str, session_id: str, round_number) -> View:
    index = counted("round", round_number)
    session = h.studio.switch_branch(owner, session_id, index)
    return {**h.session_view(owner, session), "status": Message("history.switched", {"round": index + 1}).text(h.lang)}


def undo(h: Handlers, owner: str, session_id: str) -> View:
    left = history.head_index(h.studio.open_session(owner, session_id))
    session = h.studio.undo(owner, session_id)
    back = history.head_index(session)
    said = Message("history.undone", {"round": left + 1, "back": back + 1}) if back is not None else \
        Message("history.undone_all", {"round": left + 1})
    return {**h.session_view(owner, session), "status": said.text(h.lang)}


def redo(h: Handlers, owner: str, session_id: str) -> View:
    session = h.studio.redo(owner, session_id)
    return {**h.session_view(owner, session),
            "status": Message("history.redone", {"round": history.head_index(session) + 1}).text(h.lang)}
