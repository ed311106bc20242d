"""Items 7, 8 and 9: the disk fills or turns read-only, the GPU runs out of memory, two designers
press Stop. Each fault ends one round cleanly, with a message that says what to change; the
session stays readable and the next round works.

The tiny generator renders; the refiner and critic are scripted (tests/reliability/kit.py).
"""
from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fakes import Delegate, PausingGenerator
from images import same_up_to_rounding
from kit import BRIEF, CHECKLIST, FastModels
from pipelines.inprocess import LocalGenerator
from studio.engine.validation import StudioError
from studio.engine import RoundParams, Studio
from studio.core.session import Round, RoundStatus
from studio.core.messages import Message
from studio.services.sessions import Store

SEED = 40
DISK_FULL = "The disk is full: free space in the data folder, then try again. Your earlier rounds are safe."


def run(studio: Studio, owner: str, sid: str, **params) -> Round:
    *_, finished = studio.run_round(owner, sid, "", RoundParams(**{"count": 2, "steps": 1, "seed": SEED, **params}))
    return finished.round


def new_session(studio: Studio, owner: str = "alice", brief: str = BRIEF) -> str:
    sid = studio.start_session(owner, brief).id
    studio.set_checklist(owner, sid, CHECKLIST)
    return sid


def pixels(store: Store, relative: str) -> np.ndarray:
    with Image.open(store.image_path(relative)) as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture
def designer(store, tiny_registry):
    """Alice's session with one finished round, on a studio whose models are counted."""
    models = FastModels(tiny_registry)
    studio = Studio(store, models)
    sid = new_session(studio)
    first = run(studio, "alice", sid)
    assert first.status is RoundStatus.DONE
    return studio, models, sid, first


# ---------------------------------------------------------------- 7. disk full, read-only data folder
def assert_failed_cleanly(studio: Studio, sid: str, failed: Round, first: Round, said: str) -> None:
    store = studio.store
    assert (failed.index, failed.status, failed.candidates) == (1, RoundStatus.FAILED, ())
    assert failed.error == Message(said)
    # The session still reads, in this studio and in a fresh one over the same folder.
    session = studio.open_session("alice", sid)
    assert session.rounds == (first, failed)
    with Store(store.data_dir) as reopened:
        assert reopened.recover() == 0
        assert reopened.load_session(sid) == session
    # No half-written file, no row for the failed round's candidates, no row pointing at nothing.
    assert [p for p in store.data_dir.rglob("*") if p.name.startswith(".tmp-")] == []
    with contextlib.closing(sqlite3.connect(store.db_path)) as db:
        assert db.execute("SELECT COUNT(*) FROM candidates WHERE session_id = ? AND round_idx = 1",
                          (sid,)).fetchone() == (0,)
        images = [row[0] for row in db.execute("SELECT image FROM candidates")]
    assert images and all(store.image_path(image).is_file() for image in images)
    # ... and no file without a row: candidates already written when a later one failed are removed.
    assert sorted(p.relative_to(store.data_dir).as_posix() for p in (store.images_dir / sid).iterdir()) == \
        sorted(c.image for c in first.candidates)
    for path in (store.images_dir / sid).iterdir():  # every file there is a whole image
        with Image.open(path) as image:
            image.load()


def no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_fails_the_round_and_keeps_the_session(designer, monkeypatch):
    studio, _models, sid, first = designer
    monkeypatch.setattr(Store, "save_image", no_space)

    failed = run(studio, "alice", sid)

    assert_failed_cleanly(studio, sid, failed, first, "disk.full")
    monkeypatch.undo()
    again = run(studio, "alice", sid)
    assert (again.index, again.status, len(again.candidates)) == (2, RoundStatus.DONE, 2)


def test_disk_full_in_the_middle_of_a_png_leaves_no_partial_file(designer, monkeypatch):
    """The second candidate's PNG runs out of space half written: its temp file is removed."""
    studio, _models, sid, first = designer
    real_save, written = Image.Image.save, []

    def save_until_full(image, fp, *args, **kwargs):
        if len(written) == 1:
            fp.write(b"\x89PNG\r\n\x1a\n half a png")
            no_space()
        written.append(fp)
        return real_save(image, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", save_until_full)

    failed = run(studio, "alice", sid)

    monkeypatch.undo()
    assert len(written) == 1
    assert_failed_cleanly(studio, sid, failed, first, "disk.full")


def test_a_read_only_file_system_fails_the_round_and_keeps_the_session(designer, monkeypatch):
    studio, _models, sid, first = designer
    real_mkstemp, images_dir = tempfile.mkstemp, studio.store.images_dir

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).is_relative_to(images_dir):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)

    failed = run(studio, "alice", sid)

    assert_failed_cleanly(studio, sid, failed, first, "disk.read_only")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a folder whatever its mode: chmod 0o500 proves "
                                               "nothing as root (the EROFS test above covers this case)")
def test_a_data_folder_without_write_permission_fails_the_round_and_keeps_the_session(designer):
    studio, _models, sid, first = designer
    folders = [studio.store.images_dir, studio.store.images_dir / sid]
    for folder in folders:
        folder.chmod(0o500)
    try:
        failed = run(studio, "alice", sid)
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert_failed_cleanly(studio, sid, failed, first, "disk.read_only")


def test_disk_full_while_keeping_the_start_image_is_a_clear_refusal(designer, monkeypatch, tmp_path):
    studio, _models, sid, first = designer
    reference = tmp_path / "moodboard.png"
    Image.new("RGB", (64, 64), "gold").save(reference)
    monkeypatch.setattr(Store, "save_image", no_space)

    try:
        failed = run(studio, "alice", sid, reference=str(reference))
    except StudioError as refused:
        assert str(refused) == DISK_FULL
    else:
        assert failed.status is RoundStatus.FAILED and str(failed.error) == DISK_FULL
    assert studio.open_session("alice", sid).rounds[0] == first


# ---------------------------------------------------------------- 8. the GPU runs out of memory
class OutOfMemory(Delegate):
    """The real generator, except that the calls numbered in `failing` raise torch.OutOfMemoryError."""

    def __init__(self, inner, failing: set[int] | None = None):
        super().__init__(inner)
        self.failing = failing  # None: every call
        self.calls: list[tuple[int, ...]] = []  # the seeds of each call

    def render(self, request, on_step=None):
        self.calls.append(request.seeds)
        if self.failing is None or len(self.calls) in self.failing:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.inner.render(request, on_step)


def out_of_memory_models(registry, oom: OutOfMemory) -> FastModels:
    """The fast models with `oom` as the in-process generator, under the in-process backend's out-of-memory policy
    (`freed` counts its calls to free memory)."""
    models = FastModels(registry)
    models.wrap_generator = lambda _real: LocalGenerator(oom, registry.device_lock, models.free_memory)
    return models


@pytest.mark.parametrize("count, halves", [(4, [2, 2]), (3, [2, 1])])
def test_out_of_memory_once_frees_memory_and_renders_in_two_halves(designer, tiny_registry, count, halves):
    studio, reference_models, sid, first = designer
    oom = OutOfMemory(tiny_registry.generator().inner, failing={1})
    models = out_of_memory_models(tiny_registry, oom)
    retrying = Studio(studio.store, models)

    done = run(retrying, "alice", sid, count=count)

    assert done.status is RoundStatus.DONE, done.error
    seeds = tuple(range(SEED, SEED + count))
    assert [len(call) for call in oom.calls] == [count, *halves]
    assert oom.calls[0] == seeds and oom.calls[1] + oom.calls[2] == seeds
    assert models.freed == 1
    assert tuple(c.seed for c in done.candidates) == seeds and [c.index for c in done.candidates] == list(range(count))
    # The halves are the same pictures, in the same places, as one batch would have been.
    whole = run(studio, "alice", new_session(studio), count=count)
    assert all(same_up_to_rounding(pixels(studio.store, half.image), pixels(studio.store, batch.image))
               for half, batch in zip(done.candidates, whole.candidates, strict=True))
    assert reference_models.freed == 0


def test_out_of_memory_twice_fails_with_what_to_change_and_the_next_round_works(designer, tiny_registry):
    studio, _models, sid, first = designer
    oom = OutOfMemory(tiny_registry.generator().inner)
    models = out_of_memory_models(tiny_registry, oom)

    failed = run(Studio(studio.store, models), "alice", sid, count=4)

    assert (failed.status, failed.candidates) == (RoundStatus.FAILED, ())
    assert "ran out of memory" in str(failed.error)
    assert "Render fewer candidates or a smaller size, or pick a lighter preset" in str(failed.error)
    assert [len(call) for call in oom.calls] == [4, 2]  # one retry, in halves; the second half never tried
    assert models.freed == 1
    again = run(studio, "alice", sid, count=4)
    assert (again.index, again.status, len(again.candidates)) == (2, RoundStatus.DONE, 4)
    assert studio.open_session("alice", sid).rounds[0] == first


def test_out_of_memory_on_one_candidate_says_what_happened(designer, tiny_registry):
    studio, _models, sid, _first = designer
    oom = OutOfMemory(tiny_registry.generator().inner)
    models = out_of_memory_models(tiny_registry, oom)

    failed = run(Studio(studio.store, models), "alice", sid, count=1)

    assert failed.status is RoundStatus.FAILED and len(oom.calls) == 1
    assert "ran out of memory" in str(failed.error) and "smaller batches" not in str(failed.error)
    assert models.freed == 1


# ---------------------------------------------------------------- 9. Stop is per owner and per round
def wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def paused_studio(store, tiny_registry):
    """A studio whose renders wait after step 1 until `go_on`: a round in it holds still for the test."""
    paused, go_on = threading.Event(), threading.Event()
    pausing = PausingGenerator(tiny_registry.generator(), paused, go_on)
    studio = Studio(store, FastModels(tiny_registry, wrap_generator=lambda _real: pausing))
    yield studio, paused, go_on
    go_on.set()


def in_background(studio: Studio, owner: str, sid: str, results: dict) -> threading.Thread:
    thread = threading.Thread(target=lambda: results.__setitem__(owner, run(studio, owner, sid, steps=2)))
    thread.start()
    return thread


def running(studio: Studio, owner: str, sid: str) -> bool:
    rounds = studio.open_session(owner, sid).rounds
    return bool(rounds) and rounds[-1].status is RoundStatus.RUNNING


def test_alices_stop_never_stops_bobs_round(paused_studio):
    studio, paused, go_on = paused_studio
    alice, bob = new_session(studio, "alice"), new_session(studio, "bob", "a bakery logo")
    results: dict[str, Round] = {}
    threads = [in_background(studio, "alice", alice, results)]
    assert paused.wait(10)  # alice's round is rendering, and holds there
    threads.append(in_background(studio, "bob", bob, results))
    wait_until(lambda: running(studio, "bob", bob))  # both rounds are in flight

    assert studio.cancel("alice", alice) is True
    with pytest.raises(StudioError, match="No such session"):
        studio.cancel("alice", bob)
    go_on.set()
    for thread in threads:
        thread.join(30)

    assert (results["alice"].status, results["alice"].error) == (RoundStatus.INTERRUPTED, Message("round.stopped"))
    assert (results["bob"].status, results["bob"].error, len(results["bob"].candidates)) == (RoundStatus.DONE, None, 2)
    # Stop ended that round only: alice's next round runs to the end.
    assert run(studio, "alice", alice).status is RoundStatus.DONE


def test_bobs_stop_on_alices_session_is_refused_and_her_round_runs_on(paused_studio):
    studio, paused, go_on = paused_studio
    alice, bob = new_session(studio, "alice"), new_session(studio, "bob", "a bakery logo")
    results: dict[str, Round] = {}
    thread = in_background(studio, "alice", alice, results)
    assert paused.wait(10)

    with pytest.raises(StudioError, match="No such session"):
        studio.cancel("bob", alice)
    assert studio.cancel("bob", bob) is False  # his own session: nothing runs there
    go_on.set()
    thread.join(30)

    assert (results["alice"].status, len(results["alice"].candidates)) == (RoundStatus.DONE, 2)
