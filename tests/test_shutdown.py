"""Issue 15, item 7: a stop signal is a stop, not a kill.

The engine's part (`Studio.shut_down`): new rounds are refused with what to do, a running round gets the grace to
finish, one still running when the grace ends is stopped and stored `interrupted` (the studio was shut down), and
the store is closed with no round left `running`. tests/test_sigterm.py sends SIGTERM to a real `python app.py`.

Each moment is taken from the studio's own events (a paused model, the engine's log lines), never from a clock.
"""
from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading

import pytest

from fakes import PausingGenerator, SwappedModels
from studio.core.messages import Message
from studio.core.session import RoundStatus
from studio.engine import RoundParams, Studio, StudioError
from studio.engine.events import Finished
from studio.services.sessions import Store

BRIEF = "A poster for a jazz night, art deco, navy and gold"
SHUTTING_DOWN = "The studio is shutting down: try again in a minute."


class Heard(logging.Handler):
    """Set once the engine logs a line with `words` in it."""

    def __init__(self, words: str):
        super().__init__(logging.INFO)
        self.words, self.event = words, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.event.set()


@contextlib.contextmanager
def hearing(words: str):
    logger = logging.getLogger("studio.engine.running")
    heard, level = Heard(words), logger.level
    logger.addHandler(heard)
    logger.setLevel(logging.INFO)
    try:
        yield heard.event
    finally:
        logger.removeHandler(heard)
        logger.setLevel(level)


@pytest.fixture
def paused(store, tiny_registry):
    """Alice's round renders 2 steps and holds after the first until `go_on`."""
    paused, go_on = threading.Event(), threading.Event()
    generator = PausingGenerator(tiny_registry.generator(), paused, go_on)
    studio = Studio(store, SwappedModels(tiny_registry, wrap_generator=lambda _real: generator))
    sid = studio.start_session("alice", BRIEF).id
    bob = studio.start_session("bob", "a bakery logo").id
    rounds: list = []
    running = threading.Thread(target=lambda: rounds.extend(
        studio.run_round("alice", sid, "", RoundParams(count=1, steps=2, seed=3))))
    running.start()
    assert paused.wait(60)
    yield studio, sid, bob, go_on, rounds, running
    go_on.set()
    running.join(60)


def shutting_down(studio: Studio, grace_s: float) -> tuple[threading.Thread, list]:
    reports: list = []
    thread = threading.Thread(target=lambda: reports.append(studio.shut_down(grace_s)))
    thread.start()
    return thread, reports


def rows(store: Store) -> list[str]:
    with contextlib.closing(sqlite3.connect(store.db_path)) as db:
        return [status for (status,) in db.execute("SELECT status FROM rounds ORDER BY session_id, idx")]


def test_a_round_running_at_shutdown_finishes_within_the_grace_and_new_ones_are_refused(paused):
    studio, sid, bob, go_on, rounds, running = paused
    with hearing("new rounds are refused") as draining:
        stopping, reports = shutting_down(studio, 60)
        assert draining.wait(30)

    with pytest.raises(StudioError, match=SHUTTING_DOWN):  # refused before its first event
        next(iter(studio.run_round("bob", bob, "", RoundParams(count=1, steps=1))))
    with pytest.raises(StudioError, match=SHUTTING_DOWN):
        next(iter(studio.run_auto("bob", bob, 2, RoundParams(count=1, steps=1))))
    assert studio.open_session("bob", bob).rounds == ()  # nothing was stored for the refused rounds
    go_on.set()
    running.join(60), stopping.join(60)

    assert isinstance(rounds[-1], Finished) and rounds[-1].round.status is RoundStatus.DONE
    assert (reports[0].finished, reports[0].stopped, reports[0].left_running) == (1, 0, 0)
    assert studio.store.closed
    with pytest.raises(StudioError, match=SHUTTING_DOWN):  # the store is closed: every action says so
        studio.open_session("alice", sid)
    with Store(studio.store.data_dir) as restarted:
        assert restarted.recover() == 0 and rows(restarted) == ["done"]


def test_a_round_still_running_when_the_grace_ends_is_stopped_and_stored_interrupted(paused):
    studio, sid, _bob, go_on, rounds, running = paused
    with hearing("the grace is over") as stopped:
        stopping, reports = shutting_down(studio, 0)
        assert stopped.wait(30)  # its Stop flag is set; the paused render sees it at its next step
    go_on.set()
    running.join(60), stopping.join(60)

    ended = rounds[-1].round
    assert (ended.status, ended.error) == (RoundStatus.INTERRUPTED, Message("round.shut_down"))
    assert str(ended.error) == "interrupted: the studio was shut down while this round ran; run it again"
    assert (reports[0].finished, reports[0].stopped, reports[0].left_running) == (0, 1, 0)
    with Store(studio.store.data_dir) as restarted:
        assert restarted.recover() == 0 and rows(restarted) == ["interrupted"]
        assert restarted.load_session(sid).rounds[0] == ended


def test_a_shutdown_with_nothing_running_closes_the_store_at_once(studio):
    report = studio.shut_down(30)

    assert (report.finished, report.stopped, report.left_running) == (0, 0, 0) and studio.store.closed
