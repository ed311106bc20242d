"""Issue 15, item 6: the disk fills (or fails) in the middle of a round, or under the database.

The round ends `failed` with what to do ("The disk is full: free space in the data folder, then try again"), in the
database or, when even that write is refused, in memory: the session stays usable (picks, rejects and the next
round are not refused as 'still running'), its next write stores the failed round, and a restart before that marks
it. No person ever reads a bare 'database or disk is full' or 'disk I/O error'. `recover()` removes image files no
row points to.

The database fails the way SQLite does (its own error, with its result code) through a wrapper around the store's
connection; the image files fail with the OSError the kernel gives.
"""
from __future__ import annotations

import contextlib
import errno
import os
import sqlite3

import pytest

from kit import BRIEF, CHECKLIST, FastModels, digest
from studio.core.messages import Message
from studio.core.session import Candidate, RenderParams, Round, RoundStatus, Session
from studio.engine import RoundParams, Studio, StudioError
from studio.services.sessions import INTERRUPTED_ERROR, Store

FULL = ("database or disk is full", sqlite3.SQLITE_FULL, "disk.full")
FAILING = ("disk I/O error", sqlite3.SQLITE_IOERR | (4 << 8), "disk.failing")  # SQLITE_IOERR_WRITE, as SQLite gives it
RAW = ("database or disk is full", "disk I/O error", "OperationalError", "Errno", "/tmp", "studio.db")


class Disk:
    """The store's connection on a disk that can fill or fail: while `failing`, the COMMIT of a transaction that
    wrote (its pages reaching the disk) fails with SQLite's own error, and nothing of it is kept. Reads still work."""

    def __init__(self, connection: sqlite3.Connection, error: tuple):
        self.connection, (self.words, self.code, _) = connection, error
        self.failing = self.wrote = False

    def __getattr__(self, name):
        return getattr(self.connection, name)

    def execute(self, sql, *args):
        self.wrote = self.wrote or sql.startswith(("INSERT", "UPDATE", "DELETE"))
        if sql == "COMMIT" and self.failing and self.wrote:
            refused = sqlite3.OperationalError(self.words)
            refused.sqlite_errorcode = self.code
            raise refused
        if sql.startswith(("COMMIT", "ROLLBACK")):
            self.wrote = False
        return self.connection.execute(sql, *args)

    def executemany(self, sql, *args):
        self.wrote = True
        return self.connection.executemany(sql, *args)


def on_a_disk_that_fills(store: Store, error: tuple) -> Disk:
    disk = store._conn = Disk(store._conn, error)
    return disk


def failing_once_the_candidates_are_written(store: Store, disk: Disk) -> None:
    """The disk fills just as the round's candidate files are written: their rows cannot be."""
    write = store.save_images

    def save_images(*args):
        written = write(*args)
        disk.failing, store.save_images = True, write
        return written

    store.save_images = save_images


def run(studio: Studio, sid: str) -> Round:
    *_, finished = studio.run_round("alice", sid, "", RoundParams(count=2, steps=1, seed=40))
    return finished.round


def rows(store: Store, sql: str, *args) -> list[tuple]:
    """What the database holds, read as another process would."""
    with contextlib.closing(sqlite3.connect(store.db_path)) as db:
        return db.execute(sql, args).fetchall()


def files(store: Store) -> set[str]:
    return {p.relative_to(store.data_dir).as_posix() for p in store.images_dir.rglob("*") if p.is_file()}


@pytest.fixture
def alice(store, tiny_registry):
    """Alice's session with one finished round."""
    studio = Studio(store, FastModels(tiny_registry))
    sid = studio.start_session("alice", BRIEF).id
    studio.set_checklist("alice", sid, CHECKLIST)
    first = run(studio, sid)
    assert first.status is RoundStatus.DONE
    return studio, sid, first


@pytest.mark.parametrize("error", [FULL, FAILING], ids=["full", "failing"])
def test_a_disk_that_fills_mid_round_fails_the_round_and_the_session_stays_usable(alice, error):
    studio, sid, first = alice
    store = studio.store
    disk = on_a_disk_that_fills(store, error)
    failing_once_the_candidates_are_written(store, disk)

    failed = run(studio, sid)

    # The round ended failed, saying what to do; the database could not be told, the session still knows.
    assert (failed.index, failed.status, failed.error) == (1, RoundStatus.FAILED, Message(error[2]))
    assert "then try again" in str(failed.error) and not any(raw in str(failed.error) for raw in RAW)
    assert rows(store, "SELECT status FROM rounds WHERE session_id = ? AND idx = 1", sid) == [("running",)]
    assert studio.open_session("alice", sid).rounds == (first, failed)
    # While the disk is full, a pick is refused because of the disk (not as 'still running'), and changes nothing.
    before = digest(store.data_dir)
    with pytest.raises(StudioError) as refused:
        studio.give_feedback("alice", sid, 1, "pick", 0)
    assert refused.value.message == Message(error[2]) and not any(raw in str(refused.value) for raw in RAW)
    assert digest(store.data_dir) == before

    disk.failing = False  # the designer's host frees space
    studio.give_feedback("alice", sid, 1, "reject", 1, "too busy")
    assert rows(store, "SELECT status FROM rounds WHERE session_id = ? AND idx = 1", sid) == [("failed",)]
    again = run(studio, sid)
    assert (again.index, again.status, len(again.candidates)) == (2, RoundStatus.DONE, 2)
    with Store(store.data_dir) as restarted:
        assert restarted.recover() == 0
        assert restarted.load_session(sid) == studio.open_session("alice", sid)
    assert files(store) == {c.image for r in (first, failed, again) for c in r.candidates}


def test_a_restart_before_the_disk_is_freed_marks_the_round_and_removes_its_files(alice):
    studio, sid, first = alice
    store = studio.store
    failing_once_the_candidates_are_written(store, on_a_disk_that_fills(store, FULL))

    assert run(studio, sid).status is RoundStatus.FAILED
    assert len(files(store)) == 4  # the failed round's two images have no rows
    store.close()  # the studio stops; the disk is freed; it starts again

    with Store(store.data_dir) as restarted:
        assert restarted.recover() == 1
        session = restarted.load_session(sid)
        assert session.rounds[0] == first
        assert (session.rounds[1].status, session.rounds[1].error) == (RoundStatus.INTERRUPTED, INTERRUPTED_ERROR)
        assert files(restarted) == {c.image for c in first.candidates}  # no file without a row
        assert restarted.recover() == 0


def test_a_disk_that_fills_while_the_prompt_is_stored_fails_the_round_before_any_file(alice):
    studio, sid, first = alice
    store = studio.store
    disk = on_a_disk_that_fills(store, FULL)
    update = store.update_session

    def update_session(session_id, change):  # the second write of the round: the refiner's prompt
        disk.failing = disk.failing or store.load_session(session_id).rounds[-1].status is RoundStatus.RUNNING
        return update(session_id, change)

    store.update_session = update_session
    failed = run(studio, sid)

    assert (failed.status, failed.error, failed.candidates) == (RoundStatus.FAILED, Message("disk.full"), ())
    assert failed.prompt  # what the round had done is kept with it
    assert files(store) == {c.image for c in first.candidates}


@pytest.mark.parametrize("error", [FULL, FAILING], ids=["full", "failing"])
def test_every_action_that_meets_a_failing_disk_is_refused_with_what_to_do(alice, error):
    studio, sid, _first = alice
    disk = on_a_disk_that_fills(studio.store, error)
    disk.failing = True
    before = digest(studio.store.data_dir)
    actions = {
        "start_session": lambda: studio.start_session("alice", "a bakery logo"),
        "rename": lambda: studio.rename("alice", sid, "Jazz night"),
        "give_feedback": lambda: studio.give_feedback("alice", sid, 0, "pick", 1),
        "set_checklist": lambda: studio.set_checklist("alice", sid, [["gold", "visual", True]]),
        "edit_brief": lambda: studio.edit_brief("alice", sid, "a jazz night flyer"),
        "set_preferences": lambda: studio.set_preferences("alice", sid, [["bold type", "like"]]),
        "keep_settings": lambda: studio.keep_settings("alice", sid, {"count": 3}),
        "delete": lambda: studio.delete("alice", sid),
        "run_round": lambda: list(studio.run_round("alice", sid, "warmer", RoundParams(count=1, steps=1))),
    }
    for name, action in actions.items():
        with pytest.raises(StudioError) as refused:
            action()
        assert refused.value.message == Message(error[2]), name
        assert not any(raw in str(refused.value) for raw in RAW), name
        assert digest(studio.store.data_dir) == before, name


def test_image_files_on_a_full_or_read_only_disk_say_the_same(alice, monkeypatch):
    studio, sid, _first = alice
    for number, code in ((errno.ENOSPC, "disk.full"), (errno.EROFS, "disk.read_only"), (errno.EIO, "disk.failing")):
        def refused(*_args, number=number):
            raise OSError(number, os.strerror(number), str(studio.store.images_dir / sid))

        monkeypatch.setattr(Store, "save_image", refused)
        failed = run(studio, sid)
        assert (failed.status, failed.error) == (RoundStatus.FAILED, Message(code))
        assert str(studio.store.data_dir) not in str(failed.error)


def test_recover_removes_files_no_row_points_to_and_keeps_every_file_a_row_points_to(store):
    from PIL import Image

    def image(sid: str, name: str) -> str:
        return store.save_image(sid, name, Image.new("RGB", (8, 8), "navy"))

    params = RenderParams("tiny", {}, 1, 0.0, 64, 64, (1,), "", reference=image("kept", "r0-start"),
                          mask=image("kept", "r0-mask"))
    rounds = (Round(0, "a poster", RoundStatus.DONE, params=params,
                    candidates=(Candidate(0, image("kept", "r0-c0"), 1),)),
              Round(1, "warmer", RoundStatus.FAILED, candidates=(Candidate(0, image("kept", "r1-c0"), 2),)))
    store.save_session(Session("kept", "alice", "t", "a poster", "tiny", 1.0, 1.0, rounds=rounds))
    referenced = files(store)
    leftovers = {image("kept", "r2-c0-1a2b3c4d"), image("gone", "r0-c0")}  # a crash's, a deleted session's
    (store.images_dir / "empty").mkdir()  # an empty folder of a deleted session

    assert store.recover() == 0

    assert files(store) == referenced and not leftovers & files(store)
    assert sorted(p.name for p in store.images_dir.iterdir()) == ["kept"]
