"""Issue 13, the engine side: a designer stops a round during its critique, changes their mind about a
pick, starts from a candidate, keeps their round settings with the session, and the page reads a round's
images through the engine. Tiny models (random weights) prove plumbing, never quality."""
from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading

import pytest
from PIL import Image

from fakes import PausingCritic, ScriptedCritic, SwappedModels
from studio.core.params import RANDOM_SEED
from studio.core.session import RoundStatus
from studio.core.session_json import session_to_dict
from studio.engine import RoundParams, Studio, StudioError
from studio.core.messages import Message
from studio.engine.events import Critiquing, Finished

BRIEF = "a jazz night poster, navy and gold, with a saxophone"


def scored(call: int, count: int) -> list[float]:
    return [10.0 * (k + 1) for k in range(count)]  # the last candidate is the critic's favourite


@pytest.fixture
def studio(store, tiny_registry) -> Studio:
    return Studio(store, SwappedModels(tiny_registry, wrap_critic=lambda _m: ScriptedCritic(scored)))


def done(studio: Studio, session_id: str, message: str = "", **params):
    events = list(studio.run_round("alice", session_id, message, RoundParams(steps=1, **params)))
    assert isinstance(events[-1], Finished) and events[-1].round.status is RoundStatus.DONE, events[-1]
    return events[-1].round


def digest(studio: Studio) -> str:
    h = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(studio.store.db_path)) as db:
        for table in ("sessions", "rounds", "candidates"):
            h.update(repr(db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()).encode())
    for summary in studio.store.list_sessions("alice"):
        h.update(json.dumps(session_to_dict(studio.store.load_session(summary.id)), sort_keys=True).encode())
    return h.hexdigest()


# ---------------------------------------------------------------- a. Stop during the critique
def test_stop_pressed_while_the_critic_reads_ends_the_round_interrupted_with_its_candidates(store, tiny_registry):
    go_on = threading.Event()
    studio = Studio(store, SwappedModels(tiny_registry, wrap_critic=lambda m: PausingCritic(ScriptedCritic(scored),
                                                                                              go_on)))
    session = studio.start_session("alice", BRIEF)
    events = []
    for event in studio.run_round("alice", session.id, params=RoundParams(count=2, steps=1)):
        events.append(event)
        if isinstance(event, Critiquing):
            assert studio.cancel("alice", session.id) is True
            go_on.set()

    stopped = events[-1].round
    assert (stopped.status, stopped.error) == (RoundStatus.INTERRUPTED, Message("round.stopped"))
    assert len(stopped.candidates) == 2 and all(c.critique is None for c in stopped.candidates)
    assert studio.open_session("alice", session.id).rounds[0] == stopped


# ---------------------------------------------------------------- b. agreement counts the latest mark
def test_a_candidate_picked_twice_then_rejected_is_no_pick_in_the_agreement(studio):
    session = studio.start_session("alice", BRIEF)
    done(studio, session.id, count=2)
    studio.give_feedback("alice", session.id, 0, "pick", 1, "bold")
    studio.give_feedback("alice", session.id, 0, "pick", 1)
    assert studio.agreement("alice", session.id).line == "The critic ranked your pick first 1 of 1 times."

    studio.give_feedback("alice", session.id, 0, "reject", 1, "too busy after all")

    found = studio.agreement("alice", session.id)
    assert (found.agreed, found.total) == (0, 0) and found.line.startswith("No picks yet")


# ---------------------------------------------------------------- c. where a round started from
def test_a_round_started_from_a_candidate_records_it_and_continues_that_candidates_round(studio, tmp_path):
    session = studio.start_session("alice", BRIEF)
    done(studio, session.id, count=2)
    done(studio, session.id, "warmer", count=2)

    branched = done(studio, session.id, "keep this layout", count=2, from_candidate=(0, 1))

    assert branched.parent == 0  # the candidate's round, not the last round
    assert branched.params.start_from == (0, 1) and branched.params.reference.startswith(f"images/{session.id}/")
    upload = tmp_path / "moodboard.png"
    Image.new("RGB", (64, 64), "navy").save(upload)
    uploaded = next(e for e in studio.run_round("alice", session.id, "", studio.round_params(
        {"reference": str(upload), "steps": 1, "count": 1})) if isinstance(e, Finished)).round
    assert uploaded.params.start_from is None and uploaded.params.reference.startswith(f"images/{session.id}/")
    assert uploaded.parent == branched.index
    stored = studio.open_session("alice", session.id).rounds
    assert (stored[2].params.start_from, stored[2].parent) == ((0, 1), 0)


# ---------------------------------------------------------------- d. settings kept with the session
def test_the_designers_settings_are_kept_with_the_session_and_bad_ones_change_nothing(studio):
    session = studio.start_session("alice", BRIEF)

    kept = studio.keep_settings("alice", session.id, {"count": 2, "size": 128, "seed": 7, "style": "swiss",
                                                      "reference": "/tmp/x.png", "start_from": "1.2"})

    assert kept.settings == {"count": 2, "steps": studio.preset.steps, "size": 128,
                             "guidance": studio.preset.guidance, "seed": 7, "style": "swiss", "negative": "",
                             "strength": 0.6}
    assert studio.open_session("alice", session.id).settings == kept.settings
    assert studio.keep_settings("alice", session.id, {"negative": "blurry"}).settings == {
        **kept.settings, "negative": "blurry"}  # the rest stay as kept
    before = digest(studio)
    for bad, message in (({"colour": "red"}, "no round setting 'colour'"), ({"size": 100}, "Size \\(px\\)"),
                         ({"count": 0}, "Candidates must be between 1 and 8"), ({"seed": -2}, "Seed must be"),
                         ({"style": "vaporwave"}, "no style 'vaporwave'"), ("count=2", "must be a mapping")):
        with pytest.raises(StudioError, match=message):
            studio.keep_settings("alice", session.id, bad)
    with pytest.raises(StudioError, match="No such session"):
        studio.keep_settings("bob", session.id, {"count": 3})
    assert digest(studio) == before


def test_a_round_keeps_the_settings_it_ran_with(studio):
    session = studio.start_session("alice", BRIEF)
    studio.keep_settings("alice", session.id, {"count": 3, "negative": "blurry"})

    done(studio, session.id, count=1, width=128, height=128, seed=5, strength=0.8)

    assert studio.open_session("alice", session.id).settings == {
        "count": 1, "steps": 1, "size": 128, "guidance": studio.preset.guidance, "seed": 5, "style": "",
        "negative": "", "strength": 0.8}


# ---------------------------------------------------------------- e. the page's settings as RoundParams
def test_the_pages_settings_become_round_params(studio):
    params = studio.round_params({"count": 2, "steps": 3, "size": 128, "guidance": 1.5, "seed": RANDOM_SEED,
                                  "style": "", "negative": " blurry ", "strength": 0.7, "reference": None,
                                  "start_from": "2.3"})

    assert params == RoundParams(count=2, steps=3, guidance=1.5, width=128, height=128, seed=None, negative="blurry",
                                 strength=0.7, reference=None, from_candidate=(1, 2))
    assert studio.round_params({"seed": 7, "start_from": ""}) == RoundParams(seed=7)


@pytest.mark.parametrize("settings, message", [
    ({"start_from": "2"}, "Start from must name a candidate as 'round.candidate', e.g. '2.3', not '2'"),
    ({"start_from": "0.1"}, "Start from must name a candidate"),
    ({"start_from": 2.3}, "Start from must name a candidate"),
    ({"size": 96}, "Size \\(px\\) must be a multiple of 64"),
    ({"steps": 0}, "Steps must be between 1 and 50"),
    ({"seed": 2**32}, "Seed must be between -1 and"),
    ({"strength": "strong"}, "Strength must be a number"),
    ({"reference": 5}, "Reference image must be an uploaded image file"),
    ({"rounds": 2}, "There is no round setting 'rounds'"),
    ({"directions": 9}, "Directions must be between 0 and"),
])
def test_a_bad_page_setting_is_refused_naming_it_as_the_page_does(studio, settings, message):
    with pytest.raises(StudioError, match=message):
        studio.round_params(settings)


# ---------------------------------------------------------------- f. a round's images, through the engine
def test_the_page_gets_a_rounds_images_and_only_its_own_sessions_files(studio, store):
    session = studio.start_session("alice", BRIEF)
    first = done(studio, session.id, count=2)
    other = studio.start_session("alice", "a bakery logo")
    theirs = done(studio, other.id, count=1)

    shown = studio.round_images("alice", session.id, 0)

    assert [c for _, c in shown] == list(first.candidates)
    with Image.open(store.image_path(first.candidates[1].image)) as stored:
        assert shown[1][0].tobytes() == stored.tobytes()
    assert studio.image("alice", session.id, first.candidates[0].image).size == shown[0][0].size
    for path in (theirs.candidates[0].image, "studio.db", "../studio.db", None):
        with pytest.raises(StudioError, match="no such image in this session"):
            studio.image("alice", session.id, path)
    with pytest.raises(StudioError, match="No such session"):
        studio.round_images("bob", session.id, 0)
    with pytest.raises(StudioError, match="There is no round 3"):
        studio.round_images("alice", session.id, 2)


# ---------------------------------------------------------------- g. a candidate outside the round
@pytest.mark.parametrize("act", [
    lambda s, sid: s.give_feedback("alice", sid, 0, "pick", 4, "love it"),
    lambda s, sid: s.give_feedback("alice", sid, 0, "reject", -1, "too busy"),
    lambda s, sid: s.ask("alice", sid, 0, 2, "is it blue?"),
], ids=["pick", "reject", "ask"])
def test_a_candidate_the_round_does_not_have_is_refused_with_the_rounds_count(studio, act):
    session = studio.start_session("alice", BRIEF)
    done(studio, session.id, count=2)
    before = digest(studio)

    with pytest.raises(StudioError, match="^Round 1 has 2 candidates: choose 1 to 2.$"):
        act(studio, session.id)

    assert digest(studio) == before
