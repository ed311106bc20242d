"""Kill the studio mid-round, at every stage of a round, and start it again: nothing is lost.

A studio process runs real rounds with the tiny models and says what it is doing; the test kills
it with SIGKILL a random moment after the stage it wants, then opens the data folder the way a
restarted studio does, and starts a new studio process on it for the next kill. The stages are announced
by the round's own worker as they begin, and past its kill point the round goes no further than its next
announcement or write (tests/forking.py): the kill lands inside the stage however late it comes.
"""
from __future__ import annotations

import contextlib
import random
import sqlite3
from pathlib import Path

from PIL import Image

from forking import ForkingStudios
from studio.engine import Studio
from studio.core.session import RoundStatus
from studio.services.sessions import INTERRUPTED_ERROR, Store

OWNER = "crash"

# The script of the forking process (tests/forking.py): each line it reads is a data folder.
STUDIOS = r'''
import os
import sys
from pathlib import Path

import torch

torch.set_num_threads(1)  # before any model loads: an OpenMP pool does not survive fork()

from pipelines.presets import PRESETS
from pipelines.registry import ModelRegistry
from studio.engine import RoundParams, Studio
from studio.engine.worker import RoundWorker
from studio.services.sessions import Store


def say(*words):
    print(*words, flush=True)


def run_studio(data_dir, moment, round_number):
    torch.set_num_threads(1)  # a forked process must not reuse its parent's thread pool
    aim(moment, round_number)
    store = Store(data_dir)
    store.recover()  # as the studio does at start-up
    write_image, update = store.save_image, store.update_session

    def save_image(session_id, name, image):  # name: r<round>-c<candidate>-<suffix>
        announce(name.split("-")[0][1:], "Writing")  # from the worker thread, just before a file is written
        return write_image(session_id, name, image)

    def update_session(session_id, change):
        gate()
        return update(session_id, change)

    store.save_image, store.update_session = save_image, update_session
    RoundWorker.run = announcing(RoundWorker.run)
    studio = Studio(store, registry)
    ours = studio.list_sessions("crash")
    session_id = ours[0].id if ours else studio.start_session("crash", "a jazz night poster, navy and gold").id
    say("ready", os.getpid())
    while True:
        for _event in studio.run_round("crash", session_id, params=RoundParams(count=2)):
            pass


registry = ModelRegistry(PRESETS["tiny"])
registry.generator(), registry.refiner(), registry.critic()
'''

# The stage to kill in, and the longest wait after the studio announces it: the kill lands at a random
# point of the stage, or at the round's next announcement or write, where it waits (never later). After
# Finished it kills between two rounds (the next one may just have been stored as running).
LONGEST_WAIT_S = {
    "Started": 0.05,  # the round's row says running; no model has run yet
    "Refining": 0.15,  # the refiner is streaming its reply
    "Rendering": 0.02,  # between denoising steps, or decoding
    "Writing": 0.005,  # candidate image files are being written
    "Critiquing": 0.15,  # files and rows are written; the critic is reading the images
    "Finished": 0.05,
}
KILLS_PER_STAGE = 2


class Studios(ForkingStudios):
    def __init__(self, log: Path):
        super().__init__(STUDIOS, log)


def test_killing_the_studio_at_any_stage_of_a_round_loses_nothing(tmp_path, tiny_registry):
    data_dir = tmp_path / "data"
    rng = random.Random(20261123)
    plan = [stage for stage in LONGEST_WAIT_S for _ in range(KILLS_PER_STAGE)]
    rng.shuffle(plan)
    kept: dict[int, object] = {}  # every round seen after the earlier kills: none may change
    with Studios(tmp_path / "studio.log") as studios:
        for stage in plan:
            round_number = rng.choice([1, 2])  # the studio's first round, or its second
            studios.start(data_dir, stage, round_number)
            killed = studios.kill_at_aim(rng.uniform(0, LONGEST_WAIT_S[stage]))

            with Store(data_dir) as store:
                interrupted = store.recover()
                studio = Studio(store, tiny_registry)  # a fresh studio, as after a restart
                (summary,) = studio.list_sessions(OWNER)
                session = studio.open_session(OWNER, summary.id)
                rounds = {r.index: r for r in session.rounds}
                if stage == "Finished":
                    assert rounds[killed].status is RoundStatus.DONE
                    later = [r.status for r in session.rounds if r.index > killed]
                    assert later in ([], [RoundStatus.INTERRUPTED]) and interrupted == len(later)
                else:
                    assert (rounds[killed].status, rounds[killed].error) == \
                        (RoundStatus.INTERRUPTED, INTERRUPTED_ERROR), f"killed during {stage}"
                    assert max(rounds) == killed and interrupted == 1
                for index, before in kept.items():
                    assert rounds[index] == before, f"round {index + 1} changed after a kill during {stage}"
                for r in session.rounds:
                    assert r.status in (RoundStatus.DONE, RoundStatus.INTERRUPTED)
                    if r.status is RoundStatus.DONE:
                        assert len(r.candidates) == 2 and all(c.critique for c in r.candidates)
                with contextlib.closing(sqlite3.connect(data_dir / "studio.db")) as db:
                    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
                    images = [image for (image,) in db.execute("SELECT image FROM candidates")]
                assert len(images) == sum(len(r.candidates) for r in session.rounds)
                for image in images:  # no row points to a missing or torn file
                    with Image.open(store.image_path(image)) as png:
                        png.verify()
                assert list(store.images_dir.rglob(".tmp-*")) == []
                files = {p.relative_to(data_dir).as_posix() for p in store.images_dir.rglob("*") if p.is_file()}
                assert files == set(images)  # ... and no file without a row
                kept = rounds
    assert len(kept) >= len(plan)  # at least one round per kill
