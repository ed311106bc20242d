"""Kill the studio with SIGKILL at 23 random moments of a round, and start it again: nothing is lost.

Issue 7, item 6. A studio process runs real rounds (tiny refiner and generator; a scripted critic that
takes a moment to read, so the test spends its time on kills, not on critiques) and says what it is
doing: each stage of the round, each image file it starts to write, each finished temp file just
before its rename, each database commit. The test kills it a random moment after the one it wants,
then opens the data folder the way a restarted studio does: every session opens, the killed round is
`interrupted`, no row points to a missing file and no file lacks a row, temp files are gone,
`PRAGMA integrity_check` is `ok`.

Like tests/test_crash.py, one process loads the models once and forks a fresh studio for each kill; past its
kill point a round goes no further than its next announcement or write (tests/forking.py), so the kill lands
where it was aimed however late it comes. A kill between a temp file and its rename holds the rename until then.
"""
from __future__ import annotations

import contextlib
import json
import random
import sqlite3
from pathlib import Path

from PIL import Image

from forking import ForkingStudios
from pipelines.presets import PRESETS
from studio.engine import Studio
from studio.core.session import RoundStatus
from studio.services.sessions import INTERRUPTED_ERROR, Store

BRIEF = "a jazz night poster, navy and gold"
OWNERS = ("crash", "other")

# The markers come from wrappers the child puts around the store, its connection and its `os`
# (studio/ itself is not changed).
STUDIOS = r'''
import os
import re
import sys
import time
from pathlib import Path

import torch

torch.set_num_threads(1)  # before any model loads: an OpenMP pool does not survive fork()

import studio.services.images as images_module
from fakes import ScriptedCritic, SwappedModels
from pipelines.presets import PRESETS
from pipelines.registry import ModelRegistry
from studio.engine import RoundParams, Studio
from studio.engine.worker import RoundWorker
from studio.services.sessions import Store

writing = "-"  # the round whose image files are being written
saving = []  # the index and status of the last round in the session this transaction writes


def say(*words):
    print(*words, flush=True)


class ReadingCritic(ScriptedCritic):
    """Scores from a script, after a moment's reading: a kill can land while the critic works."""

    def critique(self, images, request):
        time.sleep(0.1)
        return super().critique(images, request)


class TinyModels(SwappedModels):
    """The tiny refiner and generator; the reading critic instead of the tiny one."""

    def critic(self):
        return critic


class ConnectionAnnouncingCommits:
    """The store's connection, except that a COMMIT that writes a round is announced just before it runs."""

    def __init__(self, connection):
        self.connection = connection

    def __getattr__(self, name):
        return getattr(self.connection, name)

    def execute(self, sql, *args):
        if sql == "COMMIT" and saving:
            round_index, status = saving
            saving.clear()
            announce(round_index, "Committing", status)
        return self.connection.execute(sql, *args)


class OsAnnouncingRenames:
    """The store's `os`, except that the rename of a finished temp file is announced first (aimed at, it waits
    there for the kill)."""

    def __getattr__(self, name):
        return getattr(os, name)

    def replace(self, src, dst):
        announce(writing, "Renaming")
        os.replace(src, dst)


def run_studio(data_dir, owner, session_id, *kill_point):
    aim(*kill_point)
    store = Store(data_dir)
    store.recover()  # as the studio does at start-up
    images_module.os = OsAnnouncingRenames()
    store._conn = ConnectionAnnouncingCommits(store._conn)
    write_image, update = store.save_image, store.update_session

    def save_image(session_id, name, image):
        global writing
        writing = re.match(r"r(\d+)-", name).group(1)
        announce(writing, "Writing")  # from the worker thread, just before a file is written
        return write_image(session_id, name, image)

    def update_session(session_id, change):
        gate()

        def noted(session):  # runs inside the transaction, before its rows are written and committed
            session = change(session)
            if session.rounds:
                saving[:] = [session.rounds[-1].index, session.rounds[-1].status.value]
            return session
        return update(session_id, noted)

    store.save_image, store.update_session = save_image, update_session
    RoundWorker.run = announcing(RoundWorker.run)
    studio = Studio(store, TinyModels(registry))
    say("ready", os.getpid())
    while True:
        for _event in studio.run_round(owner, session_id, params=RoundParams(count=2)):
            pass


registry = ModelRegistry(PRESETS["tiny"])
registry.generator(), registry.refiner(), registry.scorer()  # the scorer embeds each round for search
critic = ReadingCritic(lambda call, count: [50.0 + call] * count)
'''

# The moment to kill at, and the longest wait after the studio announces it: the kill lands at a random point
# after it, or at the round's next announcement or write, where the round waits (never later). After Finished it
# kills between two rounds (the next one may just have been stored as running).
LONGEST_WAIT_S = {
    "Started": 0.05,  # the round's row says running; no model has run yet
    "Refining": 0.15,  # the refiner is streaming its reply
    "Rendering": 0.02,  # between denoising steps, or decoding
    "Writing": 0.005,  # a candidate's PNG is being encoded into its temp file and synced
    "Renaming": 0.04,  # the temp file is complete; its rename waits for the kill
    "Committing": 0.003,  # the running round's rows are written; COMMIT appends them to the WAL and syncs
    "Critiquing": 0.08,  # files and rows are written; the critic reads for 0.1 s
    "Finished": 0.05,
}
KILLS = {"Started": 2, "Refining": 3, "Rendering": 3, "Writing": 3, "Renaming": 3, "Committing": 5, "Critiquing": 2,
         "Finished": 2}
# A round commits as running when it is stored, after the refiner and with its candidates (and with the
# checklist in a session's first round): a kill at a commit lands after the first, second or third.
RUNNING_COMMITS = 3


class Studios(ForkingStudios):
    def __init__(self, log: Path):
        super().__init__(STUDIOS, log)


class NoModels:
    """A restarted studio that only opens sessions needs no models."""

    preset = PRESETS["tiny"]


def assert_whole(store: Store, data_dir: Path) -> None:
    """No row points to a missing or torn file; the database is whole; no temp file is left."""
    with contextlib.closing(sqlite3.connect(data_dir / "studio.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        images = [image for (image,) in db.execute("SELECT image FROM candidates")]
        rounds = [json.loads(data) for (data,) in db.execute("SELECT data FROM rounds")]
    images += [c["image"] for r in rounds for c in r["candidates"]]  # rounds.data is what loading reads
    for image in images:
        with Image.open(store.image_path(image)) as png:
            png.verify()
    assert list(store.images_dir.rglob(".tmp-*")) == []
    files = {p.relative_to(data_dir).as_posix() for p in store.images_dir.rglob("*") if p.is_file()}
    assert files == set(images)  # ... and no file without a row


def test_killing_the_studio_at_any_moment_of_a_round_loses_nothing(tmp_path):
    data_dir = tmp_path / "data"
    rng = random.Random(20261124)
    with Store(data_dir) as store:
        studio = Studio(store, NoModels())
        sessions = {owner: studio.start_session(owner, BRIEF).id for owner in OWNERS}
    plan = [moment for moment, kills in KILLS.items() for _ in range(kills)]
    rng.shuffle(plan)
    kept = {owner: {} for owner in OWNERS}  # every round seen after the earlier kills: none may change
    unstored = 0  # kills that landed before a round's first commit
    with Studios(tmp_path / "studio.log") as studios:
        for moment in plan:
            owner = rng.choice(OWNERS)
            round_number = rng.choice([1, 1, 2])  # the studio's first round, or its second
            occurrence = rng.randint(1, RUNNING_COMMITS) if moment == "Committing" else 1
            hold = "hold" if moment == "Renaming" else "go-on"  # a kill between a temp file and its rename
            studios.start(data_dir, owner, sessions[owner], moment, round_number, occurrence, hold)
            killed = studios.kill_at_aim(rng.uniform(0, LONGEST_WAIT_S[moment]))
            what = f"killed at {moment} #{occurrence} of round {killed + 1} of {owner}'s session"
            if moment == "Renaming":  # the kill landed between a temp file and its rename
                assert list((data_dir / "images").rglob(".tmp-*")), what

            with Store(data_dir) as store:
                interrupted = store.recover()
                studio = Studio(store, NoModels())  # a fresh studio, as after a restart
                opened = {who: studio.open_session(who, sid) for who, sid in sessions.items()}  # every session opens
                rounds = {who: {r.index: r for r in session.rounds} for who, session in opened.items()}
                ours = rounds[owner]
                if moment == "Finished":
                    assert ours[killed].status is RoundStatus.DONE, what
                    later = [r.status for i, r in ours.items() if i > killed]
                    assert later in ([], [RoundStatus.INTERRUPTED]) and interrupted == len(later), what
                elif killed not in ours:  # the commit that would have stored the round never happened
                    assert (moment, occurrence) == ("Committing", 1) and interrupted == 0, what
                    assert max(ours, default=-1) == killed - 1, what
                    unstored += 1
                else:
                    assert ours[killed].status is RoundStatus.INTERRUPTED, what
                    assert ours[killed].error == INTERRUPTED_ERROR, what
                    assert max(ours) == killed and interrupted == 1, what
                for who in OWNERS:
                    for index, before in kept[who].items():
                        assert rounds[who][index] == before, f"{who}'s round {index + 1} changed; {what}"
                    for r in rounds[who].values():
                        assert r.status in (RoundStatus.DONE, RoundStatus.INTERRUPTED), what
                        if r.status is RoundStatus.DONE:
                            assert len(r.candidates) == 2 and all(c.critique for c in r.candidates), what
                assert_whole(store, data_dir)
                kept = rounds
    assert len(plan) >= 20
    assert sum(len(r) for r in kept.values()) >= len(plan) - unstored  # at least one round per kill
