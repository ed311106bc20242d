"""Item 13: the image safety check of a public studio. A flagged candidate is replaced by a grey
placeholder before anything is written, its reason is kept and logged; the real NudeNet detector
passes benign images; the check is on by default exactly when the studio is public.
"""
from __future__ import annotations

import logging

import pytest
from PIL import Image, ImageDraw

from kit import BRIEF, CHECKLIST, FastModels
from pipelines.base import RenderRequest
from pipelines.safety import NudeNetChecker
from studio.engine import RoundParams, Studio
from studio.engine.events import Rendering
from studio.core.session import RoundStatus
from studio.settings import parse_settings
from studio.services.sessions import Store

GREY = (128, 128, 128)
REASON = "stub: flagged for the test"


class FlagsCandidate:
    """A SafetyChecker that flags one candidate by its place in the batch."""

    def __init__(self, index: int):
        self.index = index
        self.batches: list[int] = []

    def flag(self, images) -> list[str]:
        self.batches.append(len(images))
        return [REASON if i == self.index else "" for i in range(len(images))]


def run_round(studio: Studio) -> tuple[str, list]:
    sid = studio.start_session("alice", BRIEF).id
    studio.set_checklist("alice", sid, CHECKLIST)
    events = list(studio.run_round("alice", sid, "", RoundParams(count=3, steps=1, seed=21)))
    return sid, events


def rgb(path) -> bytes:
    with Image.open(path) as image:
        return image.convert("RGB").tobytes()


@pytest.fixture
def checked(store, tiny_registry, caplog):
    caplog.set_level(logging.WARNING, logger="studio.engine.worker")
    checker = FlagsCandidate(1)
    sid, events = run_round(Studio(store, FastModels(tiny_registry), safety=checker))
    return store, sid, events, checker


def test_a_flagged_candidate_is_stored_as_a_grey_placeholder_with_its_reason(checked):
    store, sid, events, checker = checked
    round_ = events[-1].round

    assert round_.status is RoundStatus.DONE and checker.batches == [3]
    flagged = round_.candidates[1]
    assert (flagged.withheld, flagged.caption, flagged.score) == (REASON, "", 0.0)  # the page says why, from `withheld`
    with Image.open(store.image_path(flagged.image)) as image:
        assert image.size == (64, 64)
        assert image.convert("RGB").getextrema() == tuple((value, value) for value in GREY)
    for kept in (round_.candidates[0], round_.candidates[2]):
        assert kept.withheld == "" and kept.caption.startswith("scripted candidate") and kept.score > 0
    assert store.load_session(sid).rounds[0] == round_


def test_the_flagged_pixels_are_never_written(checked, tiny_registry, tmp_path):
    store, _sid, _events, _checker = checked
    with Store(tmp_path / "unchecked") as elsewhere:  # the same round with no check: the original pixels
        _, events = run_round(Studio(elsewhere, FastModels(tiny_registry)))
        original_file = elsewhere.image_path(events[-1].round.candidates[1].image)
        original, original_png = rgb(original_file), original_file.read_bytes()
    assert original != Image.new("RGB", (64, 64), GREY).tobytes()

    files = [p for p in store.data_dir.rglob("*") if p.is_file()]
    assert len([p for p in files if p.suffix == ".png"]) == 3
    for path in files:
        assert original_png not in path.read_bytes(), path
        if path.suffix == ".png":
            assert rgb(path) != original, path


def test_withholding_is_logged(checked, caplog):
    _store, sid, _events, _checker = checked
    warnings = [r.getMessage() for r in caplog.get_records("setup") if r.levelno == logging.WARNING]
    assert f"safety check withheld candidate 1 of round 0 of session {sid}: {REASON}" in warnings


def test_no_preview_of_a_candidate_is_streamed_before_the_check(checked):
    _store, _sid, events, _checker = checked
    assert [e.previews for e in events if isinstance(e, Rendering) and e.previews] == []


# ---------------------------------------------------------------- the real detector
def benign_images(tiny_registry) -> list[Image.Image]:
    poster = Image.new("RGB", (512, 512), "navy")
    draw = ImageDraw.Draw(poster)
    draw.ellipse((120, 140, 390, 410), fill="gold")
    draw.rectangle((40, 40, 470, 110), fill="white")
    draw.text((60, 60), "JAZZ NIGHT", fill="navy")
    shapes = Image.new("RGB", (320, 200), "white")
    ImageDraw.Draw(shapes).polygon([(20, 180), (160, 20), (300, 180)], fill="tomato", outline="black")
    renders = tiny_registry.generator().render(RenderRequest(prompt="a jazz poster", seeds=(1, 2), width=64,
                                                             height=64, steps=1))
    return [poster, shapes, Image.linear_gradient("L").convert("RGB"), Image.new("RGB", (64, 64), GREY), *renders]


def test_the_real_detector_flags_nothing_in_benign_images(tiny_registry):
    checker = NudeNetChecker()
    images = benign_images(tiny_registry)

    assert checker.flag(images) == [""] * len(images)
    assert type(checker._detector).__name__ == "NudeDetector"  # it ran, offline


class Detections:
    """NudeNet's detector, answering with fixed detections."""

    def __init__(self, detections):
        self.detections = detections

    def detect(self, _pixels):
        return self.detections


@pytest.mark.parametrize("detections, reason", [
    ([{"class": "FEMALE_BREAST_EXPOSED", "score": 0.9}, {"class": "FACE_FEMALE", "score": 0.99}],
     "female breast exposed"),
    ([{"class": "BUTTOCKS_EXPOSED", "score": 0.6}, {"class": "MALE_GENITALIA_EXPOSED", "score": 0.7}],
     "buttocks exposed, male genitalia exposed"),
    ([{"class": "FEMALE_BREAST_EXPOSED", "score": 0.3}], ""),  # not confident enough
    ([{"class": "FEMALE_BREAST_COVERED", "score": 0.95}, {"class": "FACE_MALE", "score": 0.9}], ""),
])
def test_the_real_checker_withholds_only_confident_unsafe_classes(detections, reason):
    checker = NudeNetChecker()
    checker._detector = Detections(detections)
    assert checker.flag([Image.new("RGB", (64, 64))]) == [reason]


# ---------------------------------------------------------------- on by default when public
@pytest.mark.parametrize("argv, env, on", [
    ([], {}, False),
    (["--host", "127.0.0.1"], {}, False),
    (["--host", "localhost"], {}, False),
    (["--host", "::1"], {}, False),
    (["--host", "0.0.0.0"], {}, True),
    (["--host", "192.168.1.20"], {}, True),
    ([], {"SPACE_ID": "design-studio/demo"}, True),
    ([], {"SPACE_ID": "design-studio/demo", "DC_HOST": "127.0.0.1"}, True),
    (["--host", "0.0.0.0", "--safety", "off"], {}, False),
    (["--safety", "on"], {}, True),
    ([], {"DC_SAFETY": "on"}, True),
    ([], {"DC_HOST": "0.0.0.0"}, True),
])
def test_safety_auto_is_on_exactly_when_the_studio_is_public(monkeypatch, argv, env, on):
    for name in ("SPACE_ID", "DC_HOST", "DC_SAFETY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DC_ALLOW_ANONYMOUS", "1")  # a public studio without sign-in starts only when allowed
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert parse_settings(argv).safety is on
