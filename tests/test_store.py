"""The store keeps every session and image, refuses unsafe paths, and survives being killed."""
from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from studio.core.critique import ItemCheck
from studio.core.messages import Message
from studio.core.session import SCHEMA_VERSION, Candidate, Round, RoundStatus, Session
from studio.core.session_json import session_to_dict
import studio.services.sessions as sessions_module
from studio.services.keys import ApiKeys, hash_of
from studio.services.sessions import INTERRUPTED_ERROR, MIGRATIONS, Store, StoreError, default_data_dir
from test_session import make_session

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "data") as s:
        yield s


def swatch(colour: str = "red") -> Image.Image:
    return Image.new("RGB", (16, 16), colour)


def session_with_images(store: Store, session_id: str = "s1", owner: str = "ana", updated: float = 200.0,
                        status: RoundStatus = RoundStatus.DONE, n: int = 2) -> Session:
    """A session whose one round has `n` candidates with real files on disk."""
    candidates = tuple(Candidate(index=i, image=store.save_image(session_id, f"r0-c{i}", swatch()), seed=i)
                       for i in range(n))
    round0 = Round(index=0, message="a poster", status=status, candidates=candidates)
    return Session(id=session_id, owner=owner, title=f"title {session_id}", brief="a poster", preset="tiny",
                   created=100.0, updated=updated, rounds=(round0,))


def query(store: Store, sql: str) -> list[tuple]:
    """Look at the rows the way another process would: through a connection of its own."""
    with sqlite3.connect(store.db_path) as db:
        return db.execute(sql).fetchall()


def tmp_files(data_dir: Path) -> list[Path]:
    return list((data_dir / "images").rglob(".tmp-*"))


# ---------------------------------------------------------------- schema
def test_a_new_database_is_migrated_to_the_latest_version(tmp_path):
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "studio.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sessions", "rounds", "candidates"} <= tables
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_a_database_keeps_its_sessions(tmp_path):
    with Store(tmp_path) as store:
        store.save_session(make_session())
    with Store(tmp_path) as store:
        assert store.load_session("s1") == make_session()


def test_a_database_from_a_newer_studio_is_refused(tmp_path):
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "studio.db")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer"):
        Store(tmp_path)


def test_an_unusable_data_folder_says_what_to_do(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="DC_DATA_DIR"):
        Store(blocker / "data")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_a_read_only_data_folder_is_named(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StoreError, match=str(tmp_path)):
            Store(tmp_path)
    finally:
        tmp_path.chmod(0o700)


def test_the_data_folder_comes_from_DC_DATA_DIR(tmp_path, monkeypatch):
    monkeypatch.setenv("DC_DATA_DIR", str(tmp_path / "mine"))
    assert default_data_dir() == tmp_path / "mine"
    monkeypatch.delenv("DC_DATA_DIR")
    monkeypatch.setattr("studio.services.sessions.SPACE_DATA_DIR", tmp_path / "no-such-space")
    monkeypatch.chdir(tmp_path)
    assert default_data_dir() == tmp_path / "data"
    monkeypatch.setattr("studio.services.sessions.SPACE_DATA_DIR", tmp_path)
    assert default_data_dir() == tmp_path / "design-collaborator"


# What the studio of schema 1 (before the JSON said its version) wrote for a round and a session's design.
V1_ROUND = (
    '{"index": 1, "message": "keep this layout", "status": "done", "parent": 0, "prompt": "jazz poster", '
    '"negative_prompt": "", "rationale": "", "fallback": false, "style": "", "auto": false, "params": {"preset": '
    '"tiny", "model_ids": {"generator": "tiny/sd"}, "steps": 4, "guidance": 0.0, "width": 64, "height": 64, '
    '"seeds": [11, 12], "scheduler": "euler", "negative_prompt": "blurry", "strength": 0.6, "reference": '
    '"images/s1/r1-start.png", "mask": null}, "candidates": [{"index": 0, "image": "images/s1/r1-c0.png", "seed": '
    '11, "caption": "a red poster", "score": 61.5, "critique": {"caption": "a red poster", "score": 61.5, '
    '"similarity": 0.27, "matches": ["red"], "missing": ["a saxophone"], "summary": "close", "checks": [{"item": '
    '"a saxophone", "kind": "visual", "verdict": "fail", "evidence": "no"}], "preference_hits": ["+ bold type"]}, '
    '"mark": "picked", "mark_reason": "bold", "label": "", "prompt": "", "withheld": ""}], "timings": {"render": '
    '1.5}, "error": "", "created": 100.0}')
V1_DESIGN = (
    '{"checklist": [{"text": "a saxophone", "kind": "visual", "pinned": true, "quote": ""}], "checklist_fallback": '
    'false, "checklist_stale": false, "preferences": [{"text": "bold", "polarity": "like", "source": '
    '"round 2, candidate 1"}], "questions": []}')


def schema_1_database(folder: Path) -> Path:
    """A database as the studio of schema 1 left it: its SQL migrations applied, its JSON without a version."""
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(folder / "studio.db")) as db:
        for script in MIGRATIONS[:2]:
            db.executescript(script)
        db.execute("PRAGMA user_version = 2")
        db.execute("INSERT INTO sessions (id, owner, title, brief, preset, created, updated, feedback, design)"
                   " VALUES ('s1', 'ana', 'Jazz', 'a jazz poster', 'tiny', 1.0, 2.0, '[]', ?)", (V1_DESIGN,))
        db.execute("INSERT INTO rounds (session_id, idx, status, data) VALUES ('s1', 1, 'done', ?)", (V1_ROUND,))
        db.execute("INSERT INTO candidates (session_id, round_idx, idx, image, seed, caption, score, mark)"
                   " VALUES ('s1', 1, 0, 'images/s1/r1-c0.png', 11, 'a red poster', 61.5, 'picked')")
        db.commit()
    return folder


def test_a_database_written_before_the_json_had_a_version_migrates_and_loads_losslessly(tmp_path):
    data = schema_1_database(tmp_path / "data")

    with Store(data) as store:
        session = store.load_session("s1")

    assert query_at(data, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    stored_round = json.loads(query_at(data, "SELECT data FROM rounds")[0][0])
    stored_design = json.loads(query_at(data, "SELECT design FROM sessions")[0][0])
    assert stored_round["schema"] == stored_design["schema"] == SCHEMA_VERSION == 5
    # Every value the old JSON held is in the loaded session, and the old JSON is what it writes back, plus the new.
    again = session_to_dict(session)
    round_dict = again["rounds"][0]
    old = json.loads(V1_ROUND)
    for candidate in old["candidates"]:  # fields added since, with their defaults
        candidate["source"] = None
        for check in candidate["critique"]["checks"]:
            check["reading"] = ""
    assert round_dict == {**old, "schema": 5, "error": None, "left_out": [], "kind": "round", "notes": [],
                          "state": None,
                          "params": {**old["params"], "start_from": None, "feather": None, "style_reference": None,
                                     "style_strength": None, "upscale": None, "method": "", "variation": "",
                                     "environment": {}}}
    assert {k: again[k] for k in json.loads(V1_DESIGN)} == json.loads(V1_DESIGN)
    assert session.settings == {} and session.checklist[0].pinned
    assert isinstance(session.rounds[0].candidates[0].critique.checks[0], ItemCheck)


def schema_2_database(folder: Path, errors: list[str]) -> Path:
    """A database as the studio of schema 2 left it: one round per error, its error in English prose, and a
    candidate the safety check withheld."""
    folder = schema_1_database(folder)
    candidate = {**json.loads(V1_ROUND)["candidates"][0], "caption": "withheld by the safety check",
                 "withheld": "exposed anus", "critique": None}
    with contextlib.closing(sqlite3.connect(folder / "studio.db")) as db:
        MIGRATIONS[2](db)  # the session's JSON as schema 2 wrote it
        db.execute("DELETE FROM rounds")
        for index, error in enumerate(errors):
            r = {**json.loads(V1_ROUND), "index": index, "error": error, "schema": 2, "candidates": [candidate],
                 "params": {**json.loads(V1_ROUND)["params"], "start_from": None}}
            db.execute("INSERT INTO rounds (session_id, idx, status, data) VALUES ('s1', ?, 'failed', ?)",
                       (index, json.dumps(r)))
        db.execute("PRAGMA user_version = 3")
        db.commit()
    return folder


def test_a_schema_2_database_keeps_its_round_errors_as_codes_a_reader_sees_in_their_language(tmp_path):
    recorded = "Could not load tiny/sd (generator): gone."
    data = schema_2_database(tmp_path / "data", ["", "stopped by the designer",
                                                 "interrupted: the studio stopped while this round ran", recorded])

    with Store(data) as store:
        rounds = store.load_session("s1").rounds

    assert [r.error for r in rounds] == [None, Message("round.stopped"), INTERRUPTED_ERROR,
                                         Message("round.recorded", {"text": recorded})]
    assert [r.error.text("zh") for r in rounds[1:3]] == ["设计师已停止", "已中断：这一轮进行时工作室停止了"]
    assert str(rounds[3].error) == recorded  # words the studio no longer knows stay as they were written
    stored = [json.loads(data) for (data,) in query_at(data, "SELECT data FROM rounds ORDER BY idx")]
    assert stored[1]["error"] == {"code": "round.stopped", "args": {}} and stored[0]["error"] is None
    # A withheld candidate's caption is no English sentence: its `withheld` says why.
    assert {(c.caption, c.withheld) for r in rounds for c in r.candidates} == {("", "exposed anus")}


def test_a_database_from_before_api_keys_gains_their_table_and_keeps_every_row(tmp_path, monkeypatch):
    data = schema_1_database(tmp_path / "data")
    monkeypatch.setattr(sessions_module, "MIGRATIONS", MIGRATIONS[:5])  # the steps up to the api keys' own
    with contextlib.closing(sqlite3.connect(data / "studio.db")) as db:
        for step in MIGRATIONS[2:4]:  # as the studio of schema version 4 left it
            step(db)
        db.execute("PRAGMA user_version = 4")
        db.commit()
    before = query_at(data, "SELECT * FROM sessions") + query_at(data, "SELECT * FROM rounds")

    with Store(data) as store:
        session = store.load_session("s1")
        key, _made = ApiKeys(store).create("ana", "render script", 3.0, most=1)

    assert query_at(data, "PRAGMA user_version") == [(5,)]
    assert query_at(data, "SELECT * FROM sessions") + query_at(data, "SELECT * FROM rounds") == before
    assert (session.owner, session.title) == ("ana", "Jazz")
    assert [row[1] for row in query_at(data, "PRAGMA table_info(api_keys)")] == [
        "id", "owner", "label", "prefix", "hash", "created", "last_used", "revoked"]
    assert query_at(data, "SELECT owner, label, hash FROM api_keys") == [("ana", "render script", hash_of(key))]


def test_a_python_migration_step_that_fails_changes_nothing(tmp_path, monkeypatch):
    data = schema_1_database(tmp_path / "data")
    before = query_at(data, "SELECT data FROM rounds")

    def breaks_halfway(db):
        db.execute("UPDATE rounds SET data = '{}'")
        raise ValueError("a row it cannot read")

    monkeypatch.setattr(sessions_module, "MIGRATIONS", [*MIGRATIONS[:2], breaks_halfway])
    with pytest.raises(StoreError, match="schema version 3: ValueError: a row it cannot read"):
        Store(data)

    assert query_at(data, "PRAGMA user_version") == [(2,)]
    assert query_at(data, "SELECT data FROM rounds") == before


def query_at(data: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(data / "studio.db")) as db:
        return db.execute(sql).fetchall()


# ---------------------------------------------------------------- sessions
def test_a_saved_session_loads_back_equal(store):
    session = make_session()
    store.save_session(session)
    assert store.load_session("s1") == session
    assert store.load_session("nobody") is None


def test_saving_again_replaces_rounds_and_candidates(store):
    session = make_session()
    store.save_session(session)
    shorter = replace(session, rounds=session.rounds[:1], title="renamed")
    store.save_session(shorter)
    assert store.load_session("s1") == shorter
    rows = query(store, "SELECT round_idx, idx, image FROM candidates ORDER BY round_idx, idx")
    assert rows == [(0, 0, "images/s1/r0-c0.png"), (0, 1, "images/s1/r0-c1.png")]


def test_a_designer_sees_only_their_sessions_newest_first(store):
    store.save_session(replace(make_session(), id="old", updated=10.0))
    store.save_session(replace(make_session(), id="new", updated=30.0))
    store.save_session(replace(make_session(), id="theirs", owner="ben", updated=20.0))
    summaries = store.list_sessions("ana")
    assert [s.id for s in summaries] == ["new", "old"]
    assert summaries[0].rounds == 2 and summaries[0].title == "Jazz poster"
    assert [s.id for s in store.list_sessions("ben")] == ["theirs"]
    assert store.list_sessions("carl") == []


def test_deleting_a_session_removes_its_rows_and_images(store):
    session = session_with_images(store)
    store.save_session(session)
    store.save_session(session_with_images(store, "s2"))
    store.delete_session("s1")
    assert store.load_session("s1") is None
    assert not (store.images_dir / "s1").exists()
    for table in ("rounds", "candidates"):
        assert query(store, f"SELECT COUNT(*) FROM {table} WHERE session_id = 's1'") == [(0,)]
    assert store.load_session("s2") is not None and (store.images_dir / "s2").is_dir()


def test_the_server_may_save_from_many_threads_at_once(store):
    def save(n: int) -> None:
        for k in range(10):
            store.save_session(replace(make_session(), id=f"t{n}", updated=float(k)))
            assert store.load_session(f"t{n}").updated == float(k)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(save, range(8)))  # re-raises any thread's failure here
    assert sorted(s.id for s in store.list_sessions("ana")) == [f"t{n}" for n in range(8)]


def test_a_failed_save_changes_nothing(store):
    session = session_with_images(store)
    store.save_session(session)
    twin = session.rounds[0]
    with pytest.raises(sqlite3.IntegrityError):  # two rounds with the same index
        store.save_session(replace(session, title="broken", rounds=(twin, twin)))
    assert store.load_session("s1") == session


# ---------------------------------------------------------------- images
def test_an_image_is_written_whole_and_opens(store):
    relative = store.save_image("s1", "r0-c0", swatch("blue"))
    assert relative == "images/s1/r0-c0.png"
    with Image.open(store.image_path(relative)) as image:
        assert image.format == "PNG" and image.getpixel((0, 0)) == (0, 0, 255)
    store.save_image("s1", "r0-c0", swatch("green"))  # overwriting is atomic too
    with Image.open(store.image_path(relative)) as image:
        assert image.getpixel((0, 0)) == (0, 128, 0)
    assert tmp_files(store.data_dir) == []


@pytest.mark.parametrize("session_id, name", [
    ("../up", "x"), ("s1", "../../etc/passwd"), ("s1", "a/b"), ("", "x"), ("s1", "x" * 65),
    ("s1", ".tmp-x"), ("s 1", "x"), ("s1", "é"),
])
def test_unsafe_names_are_refused(store, session_id, name):
    with pytest.raises(ValueError, match="not allowed"):
        store.save_image(session_id, name, swatch())


def test_paths_outside_the_images_folder_are_refused(store):
    for relative in ("../../etc/passwd", "/etc/passwd", "images/../studio.db", "images/s1/../../../x"):
        with pytest.raises(ValueError, match="outside"):
            store.image_path(relative)
    assert store.image_path("images/s1/a.png") == (store.images_dir / "s1" / "a.png").resolve()


def test_an_unsafe_session_id_is_never_deleted_from_disk(store):
    with pytest.raises(ValueError):
        store.delete_session("..")
    assert store.images_dir.is_dir()


# ---------------------------------------------------------------- recovery
def test_recover_marks_running_rounds_interrupted_and_drops_missing_images(store):
    running = session_with_images(store, "s1", status=RoundStatus.RUNNING, n=3)
    done = session_with_images(store, "s2", status=RoundStatus.DONE, n=2)
    store.save_session(running)
    store.save_session(done)
    store.image_path(running.rounds[0].candidates[1].image).unlink()  # the crash lost this file
    store.image_path(done.rounds[0].candidates[0].image).unlink()
    (store.images_dir / "s1" / ".tmp-half.png").write_bytes(b"\x89PNG half")

    assert store.recover() == 1
    r = store.load_session("s1").rounds[0]
    assert (r.status, r.error) == (RoundStatus.INTERRUPTED, INTERRUPTED_ERROR)
    assert [c.index for c in r.candidates] == [0, 2]
    d = store.load_session("s2").rounds[0]
    assert d.status is RoundStatus.DONE and [c.index for c in d.candidates] == [1]
    assert query(store, "SELECT status FROM rounds WHERE session_id = 's1'") == [("interrupted",)]
    assert query(store, "SELECT COUNT(*) FROM candidates") == [(3,)]
    assert tmp_files(store.data_dir) == []
    assert store.recover() == 0  # nothing left to repair


CRASHING_STUDIO = """
import sys, time
from dataclasses import replace
from pathlib import Path
from PIL import Image
from studio.core.session import Candidate, Round, RoundStatus, Session, with_round
from studio.services.sessions import Store

data_dir, run = Path(sys.argv[1]), int(sys.argv[2])
store = Store(data_dir)
store.recover()  # as the studio does at start-up
round_ = Round(index=0, message="a poster", status=RoundStatus.RUNNING)
session = Session(id=f"run{run}", owner="crash", title="t", brief="a poster", preset="tiny",
                  created=time.time(), rounds=(round_,))
store.save_session(session)
print("ready", flush=True)
noise = Image.effect_noise((96, 96), 64).convert("RGB")
for step in range(100_000):
    if len(round_.candidates) == 4:  # the round is done, the next one starts running
        session = with_round(session, replace(round_, status=RoundStatus.DONE))
        store.save_session(session)
        round_ = Round(index=round_.index + 1, message="more contrast", status=RoundStatus.RUNNING)
    # As the engine does: the image file first, then the rows that point to it.
    image = store.save_image(session.id, f"r{round_.index}-c{len(round_.candidates)}", noise.rotate(step))
    candidate = Candidate(index=len(round_.candidates), image=image, seed=step)
    round_ = replace(round_, candidates=round_.candidates + (candidate,))
    session = with_round(session, round_)
    store.save_session(session)
"""


def test_killing_the_studio_at_random_moments_loses_nothing(tmp_path):
    script = tmp_path / "crashing_studio.py"
    script.write_text(textwrap.dedent(CRASHING_STUDIO))
    data_dir = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    rng = random.Random(1234)
    started = 0
    for run in range(8):
        child = subprocess.Popen([sys.executable, str(script), str(data_dir), str(run)], cwd=REPO, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if rng.random() < 0.25:  # sometimes mid start-up: migration or recovery
            time.sleep(rng.uniform(0.0, 0.3))
        else:
            line = child.stdout.readline()
            assert line == "ready\n", child.communicate()[1]
            started += 1
            time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL, child.stderr.read()  # killed, not crashed by itself

        with Store(data_dir) as store:
            store.recover()
            summaries = store.list_sessions("crash")
            assert len(summaries) >= started
            for summary in summaries:
                session = store.load_session(summary.id)
                for round_ in session.rounds:
                    assert round_.status in (RoundStatus.DONE, RoundStatus.INTERRUPTED)
                    for candidate in round_.candidates:
                        with Image.open(store.image_path(candidate.image)) as image:
                            image.verify()  # whole PNG, never a torn write
            assert tmp_files(data_dir) == []
        db = sqlite3.connect(data_dir / "studio.db")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.close()
    assert started >= 4  # most kills landed while rounds were being written
