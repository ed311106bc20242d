"""A designer reproduces a candidate from its stored recipe: a plain round, a round started from an image, a region
edit and an upscale give the same pixels again on this CPU with the tiny preset, and the report says what rendered
it then and now. A reproduction is a check: nothing is stored.

Tiny models prove plumbing, never quality: these tests compare pixels, not what they show.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
from PIL import Image

from reliability.kit import digest
from studio.core.messages import Message
from studio.core.reproduction import ENVIRONMENT_FIELDS, EnvironmentChange
from studio.core.session import RoundKind, RoundStatus, with_round
from studio.engine import RoundParams, Studio, StudioError
from studio.engine.events import Finished
from studio.services.sessions import Store

BRIEF = "a jazz night poster, navy and gold, with a saxophone"
QUICK = RoundParams(count=2, steps=2, seed=11)


def done(events):
    events = list(events)
    assert isinstance(events[-1], Finished), events[-1]
    assert events[-1].round.status is RoundStatus.DONE, events[-1].round.error
    return events[-1].round


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_registry):
    """One studio for the module: its rounds cost seconds on a shared CPU. Tests that change a stored round put it
    back (`stored_as`)."""
    with Store(tmp_path_factory.mktemp("reproduce") / "data") as store:
        yield Studio(store, tiny_registry)


@pytest.fixture(scope="module")
def first(studio):
    """Alice's session with a done first round of two candidates."""
    session = studio.start_session("alice", BRIEF)
    return session.id, done(studio.run_round("alice", session.id, "", QUICK))


@pytest.fixture
def stored_as(studio, first):
    """`stored_as(round)`: the first round stored as another machine (or an older studio) left it, until the test
    ends."""
    sid, r1 = first

    def store(round_) -> None:
        studio.store.update_session(sid, lambda s: with_round(s, round_))

    yield store
    store(r1)


def reproduced_identically(studio, sid: str, round_index: int, candidate: int):
    before = digest(studio.store.data_dir)
    again = studio.reproduce("alice", sid, round_index, candidate)
    assert digest(studio.store.data_dir) == before  # a check: nothing stored, nothing changed
    assert again.report.identical, again.report
    assert (again.report.differing_pixels, again.report.largest_difference) == (0, 0)
    assert list(again.image.getdata()) == list(again.original.getdata())
    assert again.report.changes == () and [m.code for m in again.messages][-1] == "reproduce.same_environment"
    return again


def test_a_round_records_what_rendered_it(studio, first, tiny_registry):
    _sid, r1 = first
    environment = r1.params.environment

    assert tuple(environment) == ENVIRONMENT_FIELDS
    assert environment["preset"] == "tiny" and environment["dtype"] == "float32"  # tiny keeps fp32 everywhere
    assert environment["device"] == tiny_registry.placement.device  # "cpu" here; "cuda" where there is a GPU
    assert environment["torch"].startswith("2.") and environment["diffusers"] and environment["transformers"]
    assert r1.params.scheduler == "EulerDiscreteScheduler"


def test_a_plain_rounds_candidate_comes_back_pixel_for_pixel_rendered_with_its_batch(studio, first):
    sid, _r1 = first

    again = reproduced_identically(studio, sid, 0, 1)

    assert again.report.rendered == 2 and again.report.pixels == 64 * 64
    assert [m.code for m in again.messages] == ["reproduce.identical", "reproduce.batch", "reproduce.same_environment"]
    assert "Identical: all 4096 pixels" in again.messages[0].text() and "完全一致" in again.messages[0].text("zh")


def test_a_round_started_from_a_candidate_and_a_region_edit_come_back_pixel_for_pixel(studio, first, tmp_path):
    sid, _r1 = first
    started = done(studio.run_round("alice", sid, "warmer", replace(QUICK, from_candidate=(0, 1), strength=0.6)))
    assert started.params.reference and started.params.strength == 0.6  # image-to-image from a stored start
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 32, 64))
    mask.save(tmp_path / "left.png")  # uploads are read from the temp folder, where tmp_path is
    edit = done(studio.edit_region("alice", sid, 0, 0, "a golden moon", str(tmp_path / "left.png"), None, QUICK))
    assert edit.kind is RoundKind.EDIT and edit.params.mask and edit.params.feather

    reproduced_identically(studio, sid, started.index, 1)
    reproduced_identically(studio, sid, edit.index, 1)


def test_a_directions_candidate_comes_back_pixel_for_pixel_from_its_own_prompt(studio, first):
    sid, _r1 = first
    inspired = done(studio.run_round("alice", sid, "", replace(QUICK, directions=2)))
    assert all(c.prompt for c in inspired.candidates)  # one prompt per candidate, rendered in one batch

    reproduced_identically(studio, sid, inspired.index, 1)


def test_an_upscaled_candidate_comes_back_pixel_for_pixel_alone(studio, first):
    sid, _r1 = first
    upscaled = done(studio.upscale("alice", sid, 0, [1], 2, QUICK))

    again = reproduced_identically(studio, sid, upscaled.index, 0)

    assert again.image.size == (128, 128) and again.report.rendered == 1


def recorded(round_, environment: dict):
    return replace(round_, params=replace(round_.params, environment=environment))


def test_a_changed_device_and_torch_version_are_reported_field_by_field(studio, first, stored_as):
    sid, r1 = first
    now = r1.params.environment
    stored_as(recorded(r1, {**now, "device": "mps", "torch": "2.9.1"}))

    again = studio.reproduce("alice", sid, 0, 0)

    assert again.report.identical  # the pixels do not know what the row says; the report does
    assert again.report.changes == (EnvironmentChange("device", "mps", now["device"]),
                                    EnvironmentChange("torch", "2.9.1", now["torch"]))
    said = [m.text() for m in again.messages if m.code == "reproduce.changed"]
    assert said == [f"The device differs: mps then, {now['device']} now.",
                    f"The torch version differs: 2.9.1 then, {now['torch']} now."]
    assert f"设备不同：当时为 mps，现在为 {now['device']}。" in [m.text("zh") for m in again.messages]


def test_a_round_from_before_schema_5_says_its_environment_was_not_recorded(studio, first, stored_as):
    sid, r1 = first
    stored_as(recorded(r1, {}))  # what migration json_schema_5 leaves on an old row

    again = studio.reproduce("alice", sid, 0, 1)

    assert [c.field for c in again.report.changes] == ["device", "dtype", "torch", "diffusers", "transformers"]
    assert all(c.then is None for c in again.report.changes)  # the preset was always recorded: it is the same
    device = r1.params.environment["device"]
    assert again.messages[2] == Message("reproduce.not_recorded", {"what": Message("reproduce.field.device"),
                                                                   "now": device})
    assert again.messages[2].text() == f"The device was not recorded for this round (it is older than that record); " \
                                       f"now {device}."


@pytest.mark.parametrize("round_index, candidate, refusal", [
    (5, 0, "There is no round 6"), (0, 7, "candidate"), ("one", 0, "whole number"), (0, None, "whole number")])
def test_a_candidate_that_is_not_there_is_refused_with_nothing_changed(studio, first, round_index, candidate,
                                                                        refusal):
    sid, _r1 = first
    before = digest(studio.store.data_dir)

    with pytest.raises(StudioError, match=refusal):
        studio.reproduce("alice", sid, round_index, candidate)

    assert digest(studio.store.data_dir) == before


def test_a_withheld_candidate_is_refused_there_is_nothing_to_compare_with(studio, first, stored_as):
    sid, r1 = first
    stored_as(replace(r1, candidates=(replace(r1.candidates[0], withheld="flagged"), r1.candidates[1])))
    before = digest(studio.store.data_dir)

    with pytest.raises(StudioError, match="withheld by the safety check"):
        studio.reproduce("alice", sid, 0, 0)

    assert digest(studio.store.data_dir) == before
