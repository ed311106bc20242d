"""A designer works on images through the engine: redraws a region, fixes a failed checklist item, asks for
variations, upscales, and starts from a photo. Each is a round with its kind and parent candidate recorded.

Tiny models prove plumbing, never quality: these tests check which pixels change, not what they show.
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fakes import FixedSegmenter, RecordingGenerator, RecordingRefiner, ScriptedCritic, SwappedModels
from pipelines.masks import feather_for
from studio.core.session import RoundKind, RoundStatus
from studio.engine import RoundParams, Studio, StudioError
from studio.engine.events import Finished
from studio.engine.references import QUESTIONS
from studio.services.sessions import Store
from reliability.kit import digest

BRIEF = "a jazz night poster, navy and gold, with a saxophone"
QUICK = RoundParams(count=2, steps=1, seed=11)


def done(events) -> object:
    events = list(events)
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1].round


def pixels(store: Store, relative: str) -> np.ndarray:
    with Image.open(store.image_path(relative)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


@pytest.fixture
def first(studio):
    """Alice's session with a done first round of two candidates."""
    session = studio.start_session("alice", BRIEF)
    return session, done(studio.run_round("alice", session.id, "", QUICK))


def left_half(tmp_path, size=(64, 64), name="mask.png") -> str:
    mask = Image.new("L", size, 0)
    mask.paste(255, (0, 0, size[0] // 2, size[1]))
    mask.save(tmp_path / name)
    return str(tmp_path / name)


# ---------------------------------------------------------------- region edit
def test_a_region_edit_redraws_inside_the_mask_and_keeps_every_pixel_outside_it(studio, store, first, tmp_path):
    session, r1 = first  # uploads are read from the temp folder, where tmp_path is

    edit = done(studio.edit_region("alice", session.id, 0, 1, "a golden moon", left_half(tmp_path), None, QUICK))

    assert edit.status is RoundStatus.DONE and edit.kind is RoundKind.EDIT and edit.message == "a golden moon"
    assert edit.parent == 0 and edit.params.start_from == (0, 1) and edit.params.mask
    assert [c.source for c in edit.candidates] == [(0, 1), (0, 1)]
    assert "a golden moon" in edit.prompt and all(c.critique for c in edit.candidates)  # the critic re-checked
    original = pixels(store, r1.candidates[1].image)
    feather = feather_for(64, 64)
    assert edit.params.feather == feather
    for candidate in edit.candidates:
        result = pixels(store, candidate.image)
        # Tolerance: the edge is blended over `feather` px each side of it; beyond, the original byte for byte.
        assert np.array_equal(result[:, 32 + feather:], original[:, 32 + feather:])
        assert np.abs(result[:, :32 - feather] - original[:, :32 - feather]).mean() > 5  # the region was redrawn


def test_a_mask_of_another_size_is_resized_with_a_note_and_bad_masks_are_refused_with_nothing_changed(
        studio, store, first, tmp_path):
    session, _ = first
    resized = done(studio.edit_region("alice", session.id, 0, 0, "a red sun", left_half(tmp_path, (128, 96)),
                                      0.8, QUICK))
    assert resized.status is RoundStatus.DONE and resized.params.strength == 0.8
    assert [n.code for n in resized.notes] == ["mask.resized"] and "64x64" in resized.notes[0].text()
    with Image.open(store.image_path(resized.params.mask)) as stored:
        assert stored.size == (64, 64) and set(stored.getdata()) == {0, 255}

    Image.new("L", (64, 64), 0).save(tmp_path / "black.png")
    (tmp_path / "notes.png").write_text("not an image")
    before = digest(store.data_dir)
    for mask, said in [(None, "Paint the region"), (str(tmp_path / "black.png"), "The mask is empty"),
                       (str(tmp_path / "notes.png"), "not an image we can read"),
                       ("/etc/passwd", "must be a file you uploaded"), ("http://x/m.png", "not a link")]:
        with pytest.raises(StudioError, match=said):
            studio.edit_region("alice", session.id, 0, 0, "a red sun", mask, None, QUICK)
    with pytest.raises(StudioError, match="is empty"):
        studio.edit_region("alice", session.id, 0, 0, "  ", left_half(tmp_path), None, QUICK)
    with pytest.raises(StudioError, match="between 0.05 and 1"):
        studio.edit_region("alice", session.id, 0, 0, "a red sun", left_half(tmp_path), 3, QUICK)
    with pytest.raises(StudioError, match="Round 1 has 2 candidates"):
        studio.edit_region("alice", session.id, 0, 5, "a red sun", left_half(tmp_path), None, QUICK)
    assert digest(store.data_dir) == before


# ---------------------------------------------------------------- fix a failed item
def test_a_fix_of_a_failed_item_takes_the_segmenters_mask_and_its_round_names_the_item(store, tiny_registry):
    studio = Studio(store, SwappedModels(tiny_registry, wrap_critic=lambda _m: ScriptedCritic(
        lambda _call, count: [40.0] * count, verdict="fail")))  # every item ✗, as the scorecard shows it
    session = studio.start_session("alice", BRIEF)
    r1 = done(studio.run_round("alice", session.id, "", QUICK))
    failed = [k.item for k in r1.candidates[0].critique.checks if k.verdict == "fail"]
    assert "a saxophone" in failed

    proposed, item = studio.propose_fix_mask("alice", session.id, 0, 0, "A SAXOPHONE")  # as the scorecard names it
    assert item == "a saxophone" and proposed.found and proposed.mask.size == (64, 64)
    fix = done(studio.fix_item("alice", session.id, 0, 0, "a saxophone", None, QUICK))

    assert fix.status is RoundStatus.DONE and fix.kind is RoundKind.FIX and fix.message == "a saxophone"
    assert fix.prompt.startswith("a saxophone") and [c.source for c in fix.candidates] == [(0, 0), (0, 0)]
    with Image.open(store.image_path(fix.params.mask)) as stored:
        assert stored.convert("L").tobytes() == proposed.mask.tobytes()  # the segmenter's own mask


def test_where_the_segmenter_finds_nothing_the_designers_mask_is_needed(store, tiny_registry, tmp_path):
    asked = []
    studio = Studio(store, SwappedModels(tiny_registry, wrap_segmenter=lambda _m: FixedSegmenter(None, asked)),
                    upload_roots=(tmp_path,))
    session = studio.start_session("alice", "a bakery logo, no people, says \"CRUMB\"")
    done(studio.run_round("alice", session.id, "", QUICK))
    before = digest(store.data_dir)

    with pytest.raises(StudioError, match="could not find where \"people\" is: paint the region"):
        studio.fix_item("alice", session.id, 0, 0, "people", None, QUICK)
    with pytest.raises(StudioError, match="is not an item of this session's checklist"):
        studio.fix_item("alice", session.id, 0, 0, "a unicorn", None, QUICK)
    assert digest(store.data_dir) == before and asked == [["people"]]

    # An avoid item is redrawn as the rest of the image, the item in the negative prompt.
    fix = done(studio.fix_item("alice", session.id, 0, 0, "people", left_half(tmp_path), QUICK))
    assert fix.status is RoundStatus.DONE and "people" in fix.negative_prompt


# ---------------------------------------------------------------- variations
def test_subtle_and_strong_variations_keep_their_parent_and_differ_from_it_and_from_each_other(studio, store, first):
    session, r1 = first
    subtle = done(studio.vary("alice", session.id, 0, 1, "subtle", QUICK))
    strong = done(studio.vary("alice", session.id, 0, 1, "strong", QUICK))

    parent = pixels(store, r1.candidates[1].image)
    for r, strength in ((subtle, 0.5), (strong, 0.85)):
        assert r.kind is RoundKind.VARY and r.params.variation in ("subtle", "strong")
        assert r.params.strength == strength and r.params.start_from == (0, 1) and r.parent == 0
        assert [c.source for c in r.candidates] == [(0, 1), (0, 1)] and r.prompt == r1.prompt
        assert r.params.seeds != r1.params.seeds or r.params.seeds == (11, 12)  # new seeds unless the designer fixed them
        for c in r.candidates:
            assert not np.array_equal(pixels(store, c.image), parent)
    assert not np.array_equal(pixels(store, subtle.candidates[0].image), pixels(store, strong.candidates[0].image))
    with pytest.raises(StudioError, match='"subtle" or "strong"'):
        studio.vary("alice", session.id, 0, 1, "wild", QUICK)


# ---------------------------------------------------------------- upscale
def test_an_upscale_doubles_width_and_height_of_several_candidates_and_records_its_recipe(studio, store, first):
    session, r1 = first
    up = done(studio.upscale("alice", session.id, 0, [0, 1], 2, RoundParams(seed=5)))

    assert up.status is RoundStatus.DONE and up.kind is RoundKind.UPSCALE
    assert [c.source for c in up.candidates] == [(0, 0), (0, 1)] and up.params.seeds == (5, 6)
    for c in up.candidates:
        with Image.open(store.image_path(c.image)) as image:
            assert image.size == (128, 128)
        assert c.critique is not None
    p = up.params
    assert (p.upscale, p.width, p.height, p.strength) == (2, 128, 128, 0.3)
    assert p.method.startswith("Lanczos ×2, then image-to-image with tiny/sd at strength 0.3")
    four = done(studio.upscale("alice", session.id, 0, [1], 4, RoundParams(seed=5)))  # the tiny preset allows 4
    with Image.open(store.image_path(four.candidates[0].image)) as image:
        assert image.size == (256, 256)
    with pytest.raises(StudioError, match="between 2 and 4"):
        studio.upscale("alice", session.id, 0, [0], 8, QUICK)
    with pytest.raises(StudioError, match="between 1 and 8 candidates"):
        studio.upscale("alice", session.id, 0, [], 2, QUICK)


# ---------------------------------------------------------------- images brought
def photo(tmp_path, name="photo.jpg", **kw):
    """A JPEG as a phone writes it: EXIF says 'turn me 90°', and it carries a camera's metadata."""
    image = Image.new("RGB", (80, 40), "red")
    image.paste((0, 0, 255), (0, 0, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    exif[0x010F] = "PhoneMaker"
    image.save(tmp_path / name, exif=exif, **kw)
    return str(tmp_path / name)


def test_a_photo_alone_gets_a_caption_and_answers_and_becomes_a_brief_and_a_checklist(store, tiny_registry, tmp_path):
    asked: list = []
    studio = Studio(store, SwappedModels(tiny_registry, wrap_refiner=lambda m: RecordingRefiner(m, asked)),
                    upload_roots=(tmp_path,))
    session = studio.start_from_images("alice", [photo(tmp_path)], "make a poster from it")

    assert session.brief.startswith("make a poster from it, based on a reference showing")  # tiny: composed
    assert session.checklist and session.owner == "alice"
    (ref,) = session.references
    assert ref.caption and [q for q, _ in ref.answers] == [q for _, q in QUESTIONS] and ref.use == "context"
    with Image.open(store.image_path(ref.image)) as kept:
        assert kept.size == (40, 80)  # turned upright
        assert not kept.getexif() and "exif" not in kept.info  # no metadata kept
    done(studio.run_round("alice", session.id, "", QUICK))
    assert ref.caption in asked[-1].memory.references[0]  # what the image shows reaches the refiner, as data
    store.recover()  # a restart keeps the reference: a row points to it
    assert store.image_path(ref.image).is_file()


def test_images_added_to_a_session_are_read_kept_and_refused_cleanly(studio, store, first, tmp_path):
    session, _ = first
    rgba = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    rgba.save(tmp_path / "logo.png")
    Image.new("P", (32, 32)).save(tmp_path / "palette.png")
    added = studio.add_references("alice", session.id, [str(tmp_path / "logo.png"), str(tmp_path / "palette.png")])
    assert len(added.references) == 2
    with Image.open(store.image_path(added.references[0].image)) as kept:
        assert kept.mode == "RGB" and kept.getpixel((0, 0)) == (255, 255, 255)  # transparency laid over white

    (tmp_path / "notes.png").write_text("not an image")
    before = digest(store.data_dir)
    for files, said in [([], "at least one image"), ([str(tmp_path / "notes.png")], "not an image we can read"),
                        ([str(tmp_path / "logo.png")] * 5, "at most 4 images at a time")]:
        with pytest.raises(StudioError, match=said):
            studio.add_references("alice", session.id, files)
    with pytest.raises(StudioError, match='"context"'):
        studio.add_references("alice", session.id, [str(tmp_path / "logo.png")], "mood")
    with pytest.raises(StudioError, match="no reference 3"):
        studio.set_reference_use("alice", session.id, 3, "style")
    assert digest(store.data_dir) == before


def test_a_style_reference_steers_every_later_round_through_the_ip_adapter(store, tiny_registry, first, tmp_path):
    requests: list = []
    studio = Studio(store, SwappedModels(tiny_registry, wrap_generator=lambda m: RecordingGenerator(m, requests)),
                    upload_roots=(tmp_path,))
    session, _ = first
    Image.new("RGB", (48, 48), "navy").save(tmp_path / "mood.png")
    styled = studio.add_references("alice", session.id, [str(tmp_path / "mood.png")], "style", 0.7)
    assert studio.follows_style() and styled.references[0].use == "style"

    r2 = done(studio.run_round("alice", session.id, "", QUICK))
    assert r2.params.style_reference == styled.references[0].image and r2.params.style_strength == 0.7
    assert requests[-1].style_image is not None and requests[-1].style_strength == 0.7

    studio.set_reference_use("alice", session.id, 1, "context")
    r3 = done(studio.run_round("alice", session.id, "", QUICK))
    assert r3.params.style_reference is None and requests[-1].style_image is None


class TranslatingRefiner:
    """The tiny refiner, which puts a region's request in English as a real one would (its own text is gibberish)."""

    def __init__(self, inner, said: list):
        self.inner, self.said = inner, said

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def complete(self, system: str, user: str, max_new_tokens: int, on_token=None) -> str:
        from pipelines.prompting import REGION_SYSTEM

        if system != REGION_SYSTEM.format(language="English"):
            return self.inner.complete(system, user, max_new_tokens, on_token)
        self.said.append(user)
        return "a golden full moon\n"


def test_a_region_request_in_chinese_reaches_the_english_reading_generator_in_english(store, tiny_registry, tmp_path):
    said: list = []
    studio = Studio(store, SwappedModels(tiny_registry, wrap_refiner=lambda m: TranslatingRefiner(m, said)))
    session = studio.start_session("alice", BRIEF)
    done(studio.run_round("alice", session.id, "", QUICK))

    zh = done(studio.edit_region("alice", session.id, 0, 0, "金色的满月", left_half(tmp_path), None, QUICK))
    assert zh.message == "金色的满月" and zh.prompt.startswith("a golden full moon, ")  # the designer's words stay theirs
    assert said == ["<data>金色的满月</data>"]  # asked as data, never as an instruction
    en = done(studio.edit_region("alice", session.id, 0, 0, "a red sun", left_half(tmp_path), None, QUICK))
    assert en.prompt.startswith("a red sun, ") and len(said) == 1  # English is already the generator's language


def test_a_segmenter_or_captioner_that_cannot_load_refuses_the_action_with_what_to_do(store, tiny_registry, tmp_path):
    from fakes import refuse_to_load
    from pipelines.base import ModelLoadError

    broken = ModelLoadError("Could not load CIDAS/clipseg-rd64-refined (segmenter): no weights here.")
    studio = Studio(store, SwappedModels(tiny_registry, wrap_segmenter=refuse_to_load(broken),
                                         wrap_captioner=refuse_to_load(broken)))
    session = studio.start_session("alice", BRIEF)
    done(studio.run_round("alice", session.id, "", QUICK))
    Image.new("RGB", (32, 32), "navy").save(tmp_path / "mood.png")
    before = digest(store.data_dir)

    for action in (lambda: studio.fix_item("alice", session.id, 0, 0, "a saxophone", None, QUICK),
                   lambda: studio.propose_fix_mask("alice", session.id, 0, 0, "a saxophone"),
                   lambda: studio.add_references("alice", session.id, [str(tmp_path / "mood.png")]),
                   lambda: studio.start_from_images("alice", [str(tmp_path / "mood.png")])):
        with pytest.raises(StudioError, match="no weights here"):
            action()
    assert digest(store.data_dir) == before
