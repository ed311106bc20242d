"""The engine's doors for the history: move to another branch, undo the last round, redo it. Part of `Studio`
(studio.py): each method checks who is asking; the tree itself is pure (studio/core/history.py). Nothing is ever
deleted here: every move only changes which round the designer is on.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from studio.core import history
from studio.core.session import Session, find_round
from studio.engine import validation as checks
from studio.engine.store_failures import refusing_store_failures
from studio.engine.validation import StudioError


class HistoryActions:
    """Mixed into `Studio`, which provides `open_session`, `store`, `clock` and `_runner`."""

    @refusing_store_failures
    def switch_branch(self, owner: str, session_id: str, round_index) -> Session:
        """Go to round `round_index`'s branch: its conversation, checklist and tastes come back, the refiner reads
        that branch only, and the next round continues from that round."""
        session = self.open_session(owner, session_id)
        index = checks.whole("round", round_index, 0, 10**6)
        if find_round(session, index) is None:
            raise StudioError("round.missing", round=index + 1)
        return self._move(session, lambda s: history.switched(s, index))

    @refusing_store_failures
    def undo(self, owner: str, session_id: str) -> Session:
        """Step back from the round the designer is on to the one before it on its branch. Nothing is deleted."""
        session = self.open_session(owner, session_id)
        if history.head_index(session) is None:
            raise StudioError("history.nothing_to_undo")
        return self._move(session, history.undone)

    @refusing_store_failures
    def redo(self, owner: str, session_id: str) -> Session:
        """Take the last undo back."""
        session = self.open_session(owner, session_id)
        if history.redone(session) is None:
            raise StudioError("history.nothing_to_redo")
        return self._move(session, history.redone)

    def _move(self, session: Session, move: Callable[[Session], Session | None]) -> Session:
        if self._runner.is_running(session.id):  # the running round's place in the tree is already fixed
            raise StudioError("history.running")

        def moved(s: Session) -> Session:
            return replace(move(s) or s, updated=self.clock())  # None: a concurrent move already made this one
        return self.store.update_session(session.id, moved)
