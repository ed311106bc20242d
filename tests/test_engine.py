"""A designer drives the studio through the engine: rounds, feedback, starting images, Stop,
refusals of bad input, and models that fail. Tiny models prove plumbing, never quality.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from PIL import Image

from fakes import (CriticFindingMissing, FailingGenerator, PausingCritic, PausingGenerator, PausingRefiner,
                   RecordingRefiner, SwappedModels, refuse_to_load)
from pipelines.base import ModelLoadError, Reaction
from pipelines.presets import PRESETS
from pipelines.registry import ModelRegistry
from studio.core import limits
from studio.engine.validation import StudioError
from studio.engine import RoundParams, Studio
from studio.engine.events import Critiquing, Finished, Loading, Planning, Refining, Rendering, RoundEvent, Started
from studio.core.session import Mark, Round, RoundStatus
from studio.core.session_json import session_to_dict
from studio.core.messages import Message
from studio.services.sessions import Store

BRIEF = "a jazz night poster, navy and gold, with a saxophone"
TINY = PRESETS["tiny"]


# ---------------------------------------------------------------- helpers
def run(studio: Studio, owner: str, session_id: str, message: str = "", **params) -> list[RoundEvent]:
    """Run one round to its end; every event it streamed."""
    return list(studio.run_round(owner, session_id, message, RoundParams(**params)))


def finished(events: list[RoundEvent]) -> Round:
    assert isinstance(events[-1], Finished), events[-1]
    assert sum(isinstance(e, Finished) for e in events) == 1
    return events[-1].round


def pixels(store: Store, relative: str) -> tuple[tuple[int, int], bytes]:
    with Image.open(store.image_path(relative)) as image:
        return image.size, image.convert("RGB").tobytes()


def stored_round(studio: Studio, owner: str, session_id: str, index: int) -> Round:
    return next(r for r in studio.open_session(owner, session_id).rounds if r.index == index)


def status_once_its_worker_ends(studio: Studio, owner: str, session_id: str, index: int) -> RoundStatus:
    """The round's stored status once its worker thread has ended: the worker's own end, not a clock."""
    for thread in threading.enumerate():
        if thread.name == f"round-{session_id[:8]}-{index}":
            thread.join()
    return stored_round(studio, owner, session_id, index).status


def write_png(path: Path, size=(80, 64), mode="RGB") -> Path:
    image = Image.linear_gradient("L").resize(size)
    image.convert(mode).save(path, format="PNG")
    return path


def digest(store: Store, owners=("alice", "bob")) -> str:
    """Everything a refused action must leave alone: every row, every session, every image file."""
    h = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(store.db_path)) as db:
        for table in ("sessions", "rounds", "candidates"):
            h.update(repr(db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()).encode())
    for owner in owners:
        for summary in store.list_sessions(owner):
            h.update(json.dumps(session_to_dict(store.load_session(summary.id)), sort_keys=True).encode())
    for path in sorted(store.images_dir.rglob("*")):
        h.update(path.relative_to(store.data_dir).as_posix().encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


# ---------------------------------------------------------------- a session, round by round
def test_three_rounds_with_feedback_reach_the_refiner_and_are_stored(store):
    requests = []
    registry = ModelRegistry(TINY)  # its own registry: the first round shows the models loading
    models = SwappedModels(registry, wrap_refiner=lambda m: RecordingRefiner(m, requests),
                           wrap_critic=lambda m: CriticFindingMissing(m, "a saxophone"))
    studio = Studio(store, models)
    session = studio.start_session("alice", BRIEF)
    assert session.title == BRIEF and studio.list_sessions("alice")[0].id == session.id

    # Round 1: every stage reports, in order.
    events = run(studio, "alice", session.id, seed=100)
    kinds = [type(e).__name__ for e in events]
    assert [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1]] == \
        ["Started", "Loading", "Planning", "Refining", "Rendering", "Critiquing", "Finished"]
    assert all((e.session_id, e.round_index) == (session.id, 0) for e in events)
    assert events[0].round.status is RoundStatus.RUNNING
    loading = [(e.role, e.done) for e in events if isinstance(e, Loading)]
    assert {role for role, _ in loading} == {"generator", "refiner", "captioner", "scorer"}
    assert all((role, True) in loading[loading.index((role, False)):] for role, _ in loading)
    texts = [e.text for e in events if isinstance(e, Refining)]
    assert len(texts) > 1 and texts[-1]  # streamed piece by piece ...
    assert all(later.startswith(earlier) for earlier, later in zip(texts, texts[1:]))  # ... and growing
    rendering = [e for e in events if isinstance(e, Rendering)]
    assert [(e.step, e.total) for e in rendering] == [(k, TINY.steps) for k in range(1, TINY.steps + 1)]
    assert all(len(e.previews) == 4 and all(isinstance(p, Image.Image) for p in e.previews) for e in rendering)
    assert [e.count for e in events if isinstance(e, Critiquing)] == [4]
    round1 = finished(events)
    assert round1.status is RoundStatus.DONE and round1.error is None
    assert round1 == stored_round(studio, "alice", session.id, 0)  # Finished carries what the store holds

    # The designer reacts.
    studio.give_feedback("alice", session.id, 0, "reject", candidate=1, text="too busy")
    studio.give_feedback("alice", session.id, 0, "pick", candidate=0, text="strong contrast")
    studio.give_feedback("alice", session.id, 0, "correction", text="warmer palette")
    marks = [(c.mark, c.mark_reason) for c in stored_round(studio, "alice", session.id, 0).candidates]
    assert marks[:2] == [(Mark.PICKED, "strong contrast"), (Mark.REJECTED, "too busy")]

    events2 = run(studio, "alice", session.id)
    assert not any(isinstance(e, Loading) for e in events2)  # models load once per process
    run(studio, "alice", session.id, "make the title bigger")

    # The refiner was told everything the designer and the critic said.
    assert len(requests) == 3
    memory = requests[1].memory
    assert memory.brief == BRIEF
    assert Reaction(round=1, candidate=2, reason="too busy") in memory.rejections
    assert Reaction(round=1, candidate=1, reason="strong contrast") in memory.picks
    assert "warmer palette" in memory.corrections
    assert "a saxophone" in memory.failures
    assert memory.image_reports == tuple(dict.fromkeys(c.caption for c in round1.candidates))
    assert memory.previous_prompts == (round1.prompt,)
    memory3 = requests[2].memory
    assert memory3.corrections[-1] == "make the title bigger" and "warmer palette" in memory3.corrections
    assert Reaction(round=1, candidate=2, reason="too busy") in memory3.rejections and len(memory3.previous_prompts) == 2

    # Everything is stored.
    stored = studio.open_session("alice", session.id)
    assert [(r.index, r.status, r.parent) for r in stored.rounds] == \
        [(0, RoundStatus.DONE, None), (1, RoundStatus.DONE, 0), (2, RoundStatus.DONE, 1)]
    assert stored.rounds[0].message == BRIEF and stored.rounds[2].message == "make the title bigger"
    assert round1.params.seeds == (100, 101, 102, 103)
    for r in stored.rounds:
        p = r.params
        assert (p.preset, p.steps, p.width, p.height) == ("tiny", TINY.steps, TINY.size, TINY.size)
        assert p.model_ids == {role: spec.model_id for role, spec in TINY.models.items()}
        assert p.scheduler and p.negative_prompt == r.negative_prompt and r.prompt
        assert {"refine", "render", "critique"} <= set(r.timings)
        assert [c.index for c in r.candidates] == [0, 1, 2, 3]
        assert tuple(c.seed for c in r.candidates) == p.seeds and len(set(p.seeds)) == 4
        for c in r.candidates:
            assert c.image.startswith(f"images/{session.id}/")
            assert pixels(store, c.image)[0] == (p.width, p.height)
            assert isinstance(c.caption, str) and c.caption and c.critique.caption == c.caption
            assert 0 <= c.score <= 100
    # Tiny models write gibberish, so the prompt is composed and the rejection becomes a negative.
    round2 = stored.rounds[1]
    assert round2.fallback and "too busy" in round2.negative_prompt


def test_the_same_seed_and_settings_give_the_same_pixels_in_another_session(studio, store):
    images = []
    for _ in range(2):
        session = studio.start_session("alice", BRIEF)
        round_ = finished(run(studio, "alice", session.id, seed=11, count=2))
        assert round_.status is RoundStatus.DONE
        images.append([pixels(store, c.image) for c in round_.candidates])
    assert images[0][0] == images[1][0]
    assert images[0][0] != images[0][1]  # the next seed is another image


# ---------------------------------------------------------------- starting from an image
def test_a_round_can_start_from_a_candidate_an_upload_or_a_masked_region(studio, store, tmp_path):
    session = studio.start_session("alice", BRIEF)
    first = finished(run(studio, "alice", session.id, count=2))

    from_candidate = finished(run(studio, "alice", session.id, "keep this layout", count=2, from_candidate=(0, 1)))
    assert from_candidate.status is RoundStatus.DONE and len(from_candidate.candidates) == 2
    assert from_candidate.params.reference.startswith(f"images/{session.id}/")
    assert pixels(store, from_candidate.params.reference) == pixels(store, first.candidates[1].image)
    assert from_candidate.params.strength == 0.6 and from_candidate.params.mask is None

    upload = write_png(tmp_path / "moodboard.png")
    from_upload = finished(run(studio, "alice", session.id, count=2, reference=str(upload), strength=0.8))
    assert from_upload.status is RoundStatus.DONE and len(from_upload.candidates) == 2
    with Image.open(upload) as original:
        assert pixels(store, from_upload.params.reference) == (original.size, original.convert("RGB").tobytes())
    assert from_upload.params.strength == 0.8

    mask = write_png(tmp_path / "mask.png", mode="L")
    inpainted = finished(run(studio, "alice", session.id, count=2, reference=str(upload), mask=str(mask)))
    assert inpainted.status is RoundStatus.DONE and len(inpainted.candidates) == 2
    with Image.open(store.image_path(inpainted.params.mask)) as stored_mask, Image.open(mask) as original:
        # kept as the region it marks: white where the upload is light, black elsewhere
        assert stored_mask.convert("L").tobytes() == original.convert("L").point(lambda v: 255 * (v >= 128)).tobytes()
    assert all(store.image_path(c.image).is_file() for c in inpainted.candidates)


# ---------------------------------------------------------------- Stop
@pytest.mark.parametrize("stage", ["refining", "rendering"])
def test_stop_mid_round_interrupts_it_and_keeps_the_session_working(store, tiny_registry, stage):
    studio = Studio(store, tiny_registry)
    session = studio.start_session("alice", BRIEF)
    before = finished(run(studio, "alice", session.id, count=2))
    paused, go_on = threading.Event(), threading.Event()
    pausing = {"refining": dict(wrap_refiner=lambda m: PausingRefiner(m, paused, go_on)),
               "rendering": dict(wrap_generator=lambda m: PausingGenerator(m, paused, go_on))}[stage]
    stoppable = Studio(store, SwappedModels(tiny_registry, **pausing))
    watched = Refining if stage == "refining" else Rendering

    events = []
    for event in stoppable.run_round("alice", session.id, params=RoundParams(count=2)):
        events.append(event)
        if isinstance(event, watched) and not go_on.is_set():
            assert paused.wait(10)
            assert stoppable.cancel("alice", session.id) is True
            go_on.set()
    stopped = finished(events)
    assert (stopped.index, stopped.status, stopped.error) == (1, RoundStatus.INTERRUPTED, Message("round.stopped"))
    assert not any(isinstance(e, Critiquing) for e in events) and stopped.candidates == ()
    assert stored_round(studio, "alice", session.id, 1) == stopped
    assert stored_round(studio, "alice", session.id, 0) == before
    assert stoppable.cancel("alice", session.id) is False  # nothing runs now

    again = finished(run(studio, "alice", session.id, count=2))
    assert (again.index, again.status, again.parent) == (2, RoundStatus.DONE, 0)


def test_leaving_the_page_mid_round_stops_the_worker_and_the_session_runs_on(studio, tiny_registry):
    session = studio.start_session("alice", BRIEF)
    paused, go_on = threading.Event(), threading.Event()
    pausing = SwappedModels(tiny_registry, wrap_refiner=lambda m: PausingRefiner(m, paused, go_on))
    leaving = Studio(studio.store, pausing)
    events = leaving.run_round("alice", session.id, params=RoundParams(count=2))
    assert isinstance(next(events), Started)
    assert isinstance(next(e for e in events if not isinstance(e, (Loading, Planning))), Refining)
    assert paused.wait(10)
    events.close()  # the page went away while the refiner was writing
    go_on.set()
    assert status_once_its_worker_ends(studio, "alice", session.id, 0) is RoundStatus.INTERRUPTED
    again = finished(run(studio, "alice", session.id, count=2))
    assert (again.index, again.status) == (1, RoundStatus.DONE)


def test_leaving_the_page_right_after_the_round_started_interrupts_it(studio):
    session = studio.start_session("alice", BRIEF)
    events = studio.run_round("alice", session.id, params=RoundParams(count=2))
    assert isinstance(next(events), Started)
    events.close()
    assert status_once_its_worker_ends(studio, "alice", session.id, 0) is RoundStatus.INTERRUPTED


def test_only_the_owner_can_stop_a_round(studio):
    session = studio.start_session("alice", BRIEF)
    events = []
    for event in studio.run_round("alice", session.id, params=RoundParams(count=2)):
        events.append(event)
        if isinstance(event, Started):
            with pytest.raises(StudioError, match="No such session"):
                studio.cancel("bob", session.id)
            with pytest.raises(StudioError, match="already running"):
                next(studio.run_round("alice", session.id))
    assert finished(events).status is RoundStatus.DONE


# ---------------------------------------------------------------- bad input changes nothing
@dataclass
class Workshop:
    """Alice's session with one finished round, Bob's empty one, and files a designer might upload."""

    studio: Studio
    store: Store
    alice: str
    bob: str
    files: Path


@pytest.fixture(scope="module")
def workshop(tmp_path_factory, tiny_registry) -> Workshop:
    folder = tmp_path_factory.mktemp("workshop")
    with Store(folder / "data") as store:
        studio = Studio(store, tiny_registry)
        alice = studio.start_session("alice", BRIEF)
        assert finished(run(studio, "alice", alice.id, count=2)).status is RoundStatus.DONE
        bob = studio.start_session("bob", "a bakery logo")
        files = folder / "uploads"
        files.mkdir()
        write_png(files / "reference.png")
        write_png(files / "mask.png", mode="L")
        (files / "notes.png").write_text("not an image at all")
        yield Workshop(studio, store, alice.id, bob.id, files)


def round_with(w: Workshop, owner: str = "alice", session: str | None = None, message: str = "", **params):
    return list(w.studio.run_round(owner, session or w.alice, message, RoundParams(**params)))


BAD_INPUTS = {
    # the brief
    "empty brief": (lambda w: w.studio.start_session("alice", ""), "The brief is empty"),
    "blank brief": (lambda w: w.studio.start_session("alice", "  \n\t "), "The brief is empty"),
    "control-character brief": (lambda w: w.studio.start_session("alice", "\x00\x07"), "The brief is empty"),
    "huge brief": (lambda w: w.studio.start_session("alice", "jazz " * limits.MAX_BRIEF_CHARS),
                   "keep it under 2,000"),
    "number brief": (lambda w: w.studio.start_session("alice", 42), "The brief must be text"),
    "no brief": (lambda w: w.studio.start_session("alice", None), "The brief is empty"),
    "list brief": (lambda w: w.studio.start_session("alice", ["a", "poster"]), "The brief must be text"),
    "huge title": (lambda w: w.studio.start_session("alice", BRIEF, "t" * 500), "The title is 500"),
    # session ids
    "unknown session": (lambda w: w.studio.open_session("alice", uuid.uuid4().hex), "No such session"),
    "unknown session round": (lambda w: round_with(w, session=uuid.uuid4().hex), "No such session"),
    "path as session id": (lambda w: w.studio.open_session("alice", "../../etc"), "not a session id"),
    "path session delete": (lambda w: w.studio.delete("alice", "../../etc"), "not a session id"),
    "number as session id": (lambda w: w.studio.open_session("alice", 7), "not a session id"),
    # another owner's session looks missing, whatever the action
    "bob opens": (lambda w: w.studio.open_session("bob", w.alice), "No such session"),
    "bob renames": (lambda w: w.studio.rename("bob", w.alice, "mine now"), "No such session"),
    "bob deletes": (lambda w: w.studio.delete("bob", w.alice), "No such session"),
    "bob picks": (lambda w: w.studio.give_feedback("bob", w.alice, 0, "pick", 0, "ok"), "No such session"),
    "bob runs": (lambda w: round_with(w, owner="bob"), "No such session"),
    "bob stops": (lambda w: w.studio.cancel("bob", w.alice), "No such session"),
    "bob starts from alice's candidate": (lambda w: round_with(w, owner="bob", session=w.bob, from_candidate=(0, 0)),
                                          "no candidate 1 in round 1"),
    # round settings
    "0 steps": (lambda w: round_with(w, steps=0), "Steps must be between 1 and 50"),
    "51 steps": (lambda w: round_with(w, steps=51), "Steps must be between 1 and 50"),
    "2.5 steps": (lambda w: round_with(w, steps=2.5), "Steps must be a whole number"),
    "True steps": (lambda w: round_with(w, steps=True), "Steps must be a whole number"),
    "width 32": (lambda w: round_with(w, width=32), "Width must be between 64 and 256"),
    "width 4096": (lambda w: round_with(w, width=4096), "Width must be between 64 and 256"),
    "width 100": (lambda w: round_with(w, width=100), "Width must be a multiple of 64"),
    "height 96": (lambda w: round_with(w, height=96), "Height must be a multiple of 64"),
    "height text": (lambda w: round_with(w, height="128"), "Height must be a whole number"),
    "0 candidates": (lambda w: round_with(w, count=0), "number of candidates must be between 1 and 8"),
    "9 candidates": (lambda w: round_with(w, count=9), "number of candidates must be between 1 and 8"),
    "text count": (lambda w: round_with(w, count="4"), "number of candidates must be a whole number"),
    "guidance -1": (lambda w: round_with(w, guidance=-1), "Guidance must be between 0 and 20"),
    "guidance nan": (lambda w: round_with(w, guidance=math.nan), "Guidance must be a number"),
    "guidance inf": (lambda w: round_with(w, guidance=math.inf), "Guidance must be a number"),
    "seed -1": (lambda w: round_with(w, seed=-1), "The seed must be between 0"),
    "seed 2**32": (lambda w: round_with(w, seed=2**32), "The seed must be between 0"),
    "strength 0": (lambda w: round_with(w, strength=0), "Strength must be between 0.05 and 1"),
    "strength 2": (lambda w: round_with(w, strength=2), "Strength must be between 0.05 and 1"),
    "huge message": (lambda w: round_with(w, message="x" * 5000), "Your message is 5,000 characters"),
    "huge negative": (lambda w: round_with(w, negative="x" * 5000), "negative prompt is 5,000 characters"),
    "settings as a dict": (lambda w: list(w.studio.run_round("alice", w.alice, "", {"count": 4})),
                           "must be a RoundParams"),
    # feedback
    "missing round": (lambda w: w.studio.give_feedback("alice", w.alice, 5, "pick", 0, "ok"), "no round 6"),
    "negative round": (lambda w: w.studio.give_feedback("alice", w.alice, -1, "pick", 0), "round must be between"),
    "missing candidate": (lambda w: w.studio.give_feedback("alice", w.alice, 0, "pick", 9),
                          "Round 1 has 2 candidates: choose 1 to 2"),
    "text candidate": (lambda w: w.studio.give_feedback("alice", w.alice, 0, "pick", "1"), "whole number"),
    "reject without candidate": (lambda w: w.studio.give_feedback("alice", w.alice, 0, "reject", text="too busy"),
                                 "Say which candidate to reject"),
    "empty correction": (lambda w: w.studio.give_feedback("alice", w.alice, 0, "correction", text="  "),
                         "Your note is empty"),
    "unknown feedback": (lambda w: w.studio.give_feedback("alice", w.alice, 0, "love", 0), "pick, reject or"),
    "huge reason": (lambda w: w.studio.give_feedback("alice", w.alice, 0, "pick", 0, "y" * 5000), "5,000 char"),
    # starting images
    "mask alone": (lambda w: round_with(w, mask=str(w.files / "mask.png")), "choose a candidate or upload"),
    "reference URL": (lambda w: round_with(w, reference="http://169.254.169.254/x"), "not a link"),
    "mask URL": (lambda w: round_with(w, from_candidate=(0, 0), mask="file:///etc/passwd"), "not a link"),
    "text file as png": (lambda w: round_with(w, reference=str(w.files / "notes.png")), "not an image we can read"),
    "folder as reference": (lambda w: round_with(w, reference=str(w.files)), "not an image we can read"),
    "missing reference": (lambda w: round_with(w, reference=str(w.files / "gone.png")), "not found"),
    "candidate and reference": (
        lambda w: round_with(w, from_candidate=(0, 1), reference=str(w.files / "reference.png")), "not both"),
    "missing start candidate": (lambda w: round_with(w, from_candidate=(0, 9)), "no candidate 10 in round 1"),
    "start candidate as text": (lambda w: round_with(w, from_candidate="0,1"), "as \\(round, candidate\\)"),
    # renaming
    "empty title": (lambda w: w.studio.rename("alice", w.alice, " "), "The title is empty"),
    "title as number": (lambda w: w.studio.rename("alice", w.alice, 12), "The title must be text"),
}


@pytest.mark.parametrize("action, message", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(workshop, action, message):
    before = digest(workshop.store)
    with pytest.raises(StudioError, match=message):
        action(workshop)
    assert digest(workshop.store) == before


def test_the_digest_sees_a_change(workshop):
    """The check above can fail: an accepted action moves the digest."""
    before = digest(workshop.store)
    workshop.studio.rename("alice", workshop.alice, "Jazz night")
    assert digest(workshop.store) != before


def test_a_brief_right_at_the_limit_is_taken_whole(studio):
    brief = ("jazz " * limits.MAX_BRIEF_CHARS)[:limits.MAX_BRIEF_CHARS - 1] + "!"
    assert studio.start_session("alice", brief).brief == brief


# ---------------------------------------------------------------- owners
def test_each_owner_sees_only_their_own_sessions(studio):
    alice = studio.start_session("alice", BRIEF)
    bob = studio.start_session("bob", "a bakery logo")
    assert [s.id for s in studio.list_sessions("alice")] == [alice.id]
    assert [s.id for s in studio.list_sessions("bob")] == [bob.id]
    assert studio.list_sessions("carol") == []


@pytest.mark.parametrize("owner", ["", "a b", "x" * 500, None, 7, "../alice", "alice/bob"])
def test_a_malformed_owner_id_is_refused(studio, store, owner):
    before = digest(store)
    with pytest.raises(StudioError, match="Unknown user"):
        studio.start_session(owner, BRIEF)
    with pytest.raises(StudioError, match="Unknown user"):
        studio.list_sessions(owner)
    assert digest(store) == before


def test_an_owner_id_with_a_trailing_newline_is_refused(studio):
    with pytest.raises(StudioError, match="Unknown user"):
        studio.start_session("alice\n", BRIEF)


# ---------------------------------------------------------------- models that fail
FAILURES = {
    "render raises": (dict(wrap_generator=lambda m: FailingGenerator(m, RuntimeError("boom"))),
                      r"^The round failed on the studio's side \(ref [0-9A-F]{6}\)\. Your earlier rounds are safe"),
    "generator cannot load": (
        dict(wrap_generator=refuse_to_load(ModelLoadError("Could not load X (generator): no weights here."))),
        r"^Could not load X \(generator\): no weights here\.$"),
    "GPU out of memory": (
        dict(wrap_generator=lambda m: FailingGenerator(m, torch.OutOfMemoryError("CUDA out of memory."))),
        r"^The GPU ran out of memory, even rendering in two smaller batches\. .*your earlier rounds are safe"),
}


@pytest.mark.parametrize("swap, error", FAILURES.values(), ids=FAILURES.keys())
def test_a_model_failure_ends_the_round_failed_and_keeps_earlier_rounds(store, tiny_registry, swap, error):
    studio = Studio(store, tiny_registry)
    session = studio.start_session("alice", BRIEF)
    before = finished(run(studio, "alice", session.id, count=2))

    broken = Studio(store, SwappedModels(tiny_registry, **swap))
    events = run(broken, "alice", session.id, "warmer palette", count=2)
    failed = finished(events)
    assert (failed.index, failed.status, failed.candidates) == (1, RoundStatus.FAILED, ())
    assert re.search(error, str(failed.error)), failed.error
    assert "boom" not in str(failed.error) and "Error:" not in str(failed.error)  # never the Python error itself
    assert events[-1].message.startswith("Round 2 failed: ")
    assert stored_round(studio, "alice", session.id, 1) == failed
    assert stored_round(studio, "alice", session.id, 0) == before

    again = finished(run(studio, "alice", session.id, count=2))  # the real models still work
    assert (again.index, again.status, again.parent) == (2, RoundStatus.DONE, 0)


# ---------------------------------------------------------------- rename and delete
def test_rename_changes_the_title(studio):
    session = studio.start_session("alice", BRIEF)
    renamed = studio.rename("alice", session.id, "  Jazz night, v2  ")
    assert renamed.title == "Jazz night, v2"
    assert studio.open_session("alice", session.id).title == "Jazz night, v2"
    assert [s.title for s in studio.list_sessions("alice")] == ["Jazz night, v2"]


def test_delete_removes_the_session_and_its_images_but_not_while_a_round_runs(studio, store):
    session = studio.start_session("alice", BRIEF)
    other = studio.start_session("alice", "a bakery logo")
    events = []
    for event in studio.run_round("alice", session.id, params=RoundParams(count=1)):
        events.append(event)
        if isinstance(event, Started):
            with pytest.raises(StudioError, match="A round is running"):
                studio.delete("alice", session.id)
    assert finished(events).status is RoundStatus.DONE
    folder = store.images_dir / session.id
    assert any(folder.iterdir())

    studio.delete("alice", session.id)
    assert not folder.exists()
    with pytest.raises(StudioError, match="No such session"):
        studio.open_session("alice", session.id)
    assert [s.id for s in studio.list_sessions("alice")] == [other.id]
    with contextlib.closing(sqlite3.connect(store.db_path)) as db:
        for table, column in (("rounds", "session_id"), ("candidates", "session_id")):
            assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (session.id,)).fetchone() == (0,)


# ---------------------------------------------------------------- concurrent writers
def test_a_pick_made_while_the_round_is_critiqued_is_kept_or_refused(store, tiny_registry):
    go_on = threading.Event()
    studio = Studio(store, SwappedModels(tiny_registry, wrap_critic=lambda m: PausingCritic(m, go_on)))
    session = studio.start_session("alice", BRIEF)
    refused = False
    for event in studio.run_round("alice", session.id, params=RoundParams(count=2)):
        if isinstance(event, Critiquing):
            try:
                studio.give_feedback("alice", session.id, 0, "pick", candidate=0, text="strong contrast")
            except StudioError:
                refused = True
            go_on.set()
    candidate = stored_round(studio, "alice", session.id, 0).candidates[0]
    assert refused or (candidate.mark, candidate.mark_reason) == (Mark.PICKED, "strong contrast")


def test_two_rounds_prepared_together_and_run_one_after_the_other_are_both_kept(studio):
    session = studio.start_session("alice", BRIEF)
    first = studio.run_round("alice", session.id, "first idea", RoundParams(count=1))
    second = studio.run_round("alice", session.id, "second idea", RoundParams(count=1))
    list(first)
    list(second)
    rounds = studio.open_session("alice", session.id).rounds
    assert [(r.index, r.message) for r in rounds] == [(0, "first idea"), (1, "second idea")]
