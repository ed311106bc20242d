"""The critic looks at a round's candidates against the brief: one critique per candidate, built
from one captioning call, one batched VQA call and one scoring call."""
from __future__ import annotations

from typing import Sequence

import pytest

from pipelines.base import ChecklistItem, CritiqueRequest
from pipelines.checklist import MAX_ITEMS, checklist_from_brief
from pipelines.critic import ModelCritic, verdict

BRIEF = "an art deco poster for a jazz night with a saxophone, navy and gold"
CHECKLIST = ("a saxophone", "navy and gold", "the word JAZZ")


class RecordingCaptioner:
    """The real captioner behind the same interface, noting every call the critic makes."""

    def __init__(self, inner):
        self.inner = inner
        self.model_id = inner.model_id
        self.caption_calls: list[list] = []
        self.answer_calls: list[tuple[list, list[str]]] = []

    def caption(self, images: Sequence) -> list[str]:
        self.caption_calls.append(list(images))
        return self.inner.caption(images)

    def answer(self, images: Sequence, questions: Sequence[str]) -> list[str]:
        self.answer_calls.append((list(images), list(questions)))
        return self.inner.answer(images, questions)


class ScriptedCaptioner:
    """Answers each question from a script keyed by checklist item: a VQA model we can predict."""

    model_id = "scripted"

    def __init__(self, answers: dict[str, str]):
        self.answers = answers

    def caption(self, images: Sequence) -> list[str]:
        return ["a navy poster"] * len(images)

    def answer(self, images: Sequence, questions: Sequence[str]) -> list[str]:
        return [next(a for item, a in self.answers.items() if item in q) for q in questions]


class FixedScorer:
    model_id = "fixed"

    def __init__(self, cosine: float):
        self.cosine = cosine

    def similarity(self, images: Sequence, text: str) -> list[float]:
        return [self.cosine] * len(images)

    def embed_images(self, images: Sequence) -> list[list[float]]:
        return [[1.0, 0.0]] * len(images)

    def embed_texts(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0]] * len(texts)


# ---------------------------------------------------------------- with the tiny models
def test_one_critique_per_candidate_in_order(tiny_registry, photos):
    critic = ModelCritic(tiny_registry.captioner(), tiny_registry.scorer())  # the refiner's notes: see below

    critiques = critic.critique(photos, CritiqueRequest(BRIEF, "jazz poster", CHECKLIST))

    assert len(critiques) == len(photos)
    captions = tiny_registry.captioner().caption(photos)
    similarities = tiny_registry.scorer().similarity(photos, BRIEF)
    for critique, caption, similarity in zip(critiques, captions, similarities):
        assert critique.caption == caption
        assert critique.similarity == pytest.approx(similarity, abs=1e-5)
        assert 0.0 <= critique.score <= 100.0
        assert set(critique.matches) <= set(CHECKLIST)
        assert set(critique.missing) <= set(CHECKLIST)
        assert not set(critique.matches) & set(critique.missing)
        assert isinstance(critique.summary, str) and critique.summary


def test_every_checklist_item_is_asked_about_every_image_in_one_batched_call(tiny_registry, photos):
    captioner = RecordingCaptioner(tiny_registry.captioner())
    critic = ModelCritic(captioner, tiny_registry.scorer())

    critic.critique(photos, CritiqueRequest(BRIEF, "jazz poster", CHECKLIST))

    assert len(captioner.caption_calls) == 1 and len(captioner.caption_calls[0]) == len(photos)
    assert len(captioner.answer_calls) == 1, "VQA must be one batched call per round"
    images, questions = captioner.answer_calls[0]
    assert len(images) == len(questions) == len(photos) * len(CHECKLIST)
    for photo in photos:
        asked = [q for image, q in zip(images, questions) if image is photo]
        assert len(asked) == len(CHECKLIST)
        assert [sum(item in q for q in asked) for item in CHECKLIST] == [1] * len(CHECKLIST)


def test_without_a_checklist_the_questions_come_from_the_brief(tiny_registry, photos):
    captioner = RecordingCaptioner(tiny_registry.captioner())

    ModelCritic(captioner, tiny_registry.scorer()).critique(photos[:1], CritiqueRequest(BRIEF, "jazz poster"))

    _, questions = captioner.answer_calls[0]
    items = checklist_from_brief(BRIEF)
    assert len(questions) == len(items)
    assert all(item.text in question for item, question in zip(items, questions))


def test_nothing_to_critique_calls_no_model(tiny_registry):
    captioner = RecordingCaptioner(tiny_registry.captioner())

    assert ModelCritic(captioner, tiny_registry.scorer()).critique([], CritiqueRequest(BRIEF, "")) == []
    assert captioner.caption_calls == [] and captioner.answer_calls == []


# ---------------------------------------------------------------- with predictable fakes
def test_yes_items_match_no_items_are_missing_and_unsure_items_are_neither(photos):
    captioner = ScriptedCaptioner({"a saxophone": "yes", "navy and gold": "no", "the word JAZZ": "unsure"})

    [critique] = ModelCritic(captioner, FixedScorer(0.3)).critique(photos[:1], CritiqueRequest(BRIEF, "", CHECKLIST))

    assert critique.matches == ("a saxophone",)
    assert critique.missing == ("navy and gold",)
    assert "Missing or wrong: navy and gold" in critique.summary
    assert [c.verdict for c in critique.checks] == ["pass", "fail", "unsure"]


def test_more_items_passing_scores_higher(photos):
    request = CritiqueRequest(BRIEF, "", CHECKLIST)
    one_passes = ScriptedCaptioner({"a saxophone": "yes", "navy and gold": "no", "the word JAZZ": "no"})
    all_pass = ScriptedCaptioner({item: "yes" for item in CHECKLIST})

    [low] = ModelCritic(one_passes, FixedScorer(0.2)).critique(photos[:1], request)
    [high] = ModelCritic(all_pass, FixedScorer(0.2)).critique(photos[:1], request)
    [closer] = ModelCritic(all_pass, FixedScorer(0.3)).critique(photos[:1], request)

    assert low.score < high.score < closer.score <= 100.0


class ScriptedRefiner:
    """A refiner whose critic notes are known in advance; it records what it was shown."""

    model_id = "scripted"

    def __init__(self, *notes: str):
        self.notes = notes
        self.calls: list[tuple[str, list[str]]] = []

    def complete_each(self, system: str, users, max_new_tokens: int) -> list[str]:
        self.calls.append((system, list(users)))
        return list(self.notes[:len(users)])

    def complete(self, system: str, user: str, max_new_tokens: int, on_token=None) -> str:
        raise AssertionError("the critic asks for its notes in one batch")

    def refine(self, request, on_token=None):
        raise AssertionError("the critic never asks for a prompt")


def test_the_refiners_notes_become_the_summaries_when_they_read_as_language(photos):
    refiner = ScriptedRefiner("strong contrast but the saxophone is missing\nand a second line", "@@## 12 !!")
    captioner = ScriptedCaptioner({item: "yes" for item in CHECKLIST})
    critic = ModelCritic(captioner, FixedScorer(0.3), refiner)

    first, second = critic.critique(photos[:2], CritiqueRequest(BRIEF, "", CHECKLIST))

    assert first.summary == "strong contrast but the saxophone is missing"  # its first line
    assert second.summary.startswith("Shows: a navy poster.")  # garbage note: the composed summary instead
    [(_, shown)] = refiner.calls  # one batched call for the whole round, one conversation per candidate
    assert len(shown) == 2
    assert all(f"<data>{BRIEF}</data>" in user and user.count("<data>a navy poster</data>") == 1 for user in shown)


# ---------------------------------------------------------------- the checklist and the verdicts
def test_a_brief_splits_into_its_clauses():
    brief = "a jazz night poster with a saxophone, navy and gold; the word JAZZ. art deco"

    assert [item.text for item in checklist_from_brief(brief)] == [
        "a jazz night poster", "a saxophone", "navy and gold", "the word JAZZ", "art deco"]


def test_the_checklist_drops_scraps_and_repeats_and_stays_short():
    brief = ", ".join(["a poster", "-", "a poster", "ok"] + [f"item number {i}" for i in range(12)])

    items = [item.text for item in checklist_from_brief(brief)]

    assert items[0] == "a poster" and items.count("a poster") == 1
    assert "-" not in items and "ok" not in items
    assert len(items) == MAX_ITEMS


@pytest.mark.parametrize("answer, expected", [
    ("yes", True), ("Yes", True), ("  yes  ", True), ("yes it is", True),
    ("no", False), ("NO", False), ("no there is not", False),
    ("maybe", None), ("", None), ("2", None), ("yesterday", None), ("nothing", None),
    ("Yes.", True),
    ("no, it does not", False),
])
def test_a_vqa_answer_reads_as_pass_fail_or_unsure(answer, expected):
    assert verdict(answer) is expected


# ---------------------------------------------------------------- avoid items, words in the image, preferences
class FakeReader:
    """OCR with known readings, one tuple of lines per image."""

    def __init__(self, readings):
        self.readings = readings
        self.calls = 0

    def read(self, images):
        self.calls += 1
        return [self.readings[i % len(self.readings)] for i in range(len(images))]


def test_an_avoid_item_fails_when_the_image_shows_it(photos):
    checklist = (ChecklistItem("people", "avoid"), ChecklistItem("a saxophone"))
    captioner = ScriptedCaptioner({"people": "yes", "a saxophone": "yes"})

    [critique] = ModelCritic(captioner, FixedScorer(0.3)).critique(photos[:1], CritiqueRequest(BRIEF, "", checklist))

    assert [(c.item, c.verdict) for c in critique.checks] == [("people", "fail"), ("a saxophone", "pass")]


def test_words_the_poster_must_show_are_read_not_asked(photos):
    checklist = (ChecklistItem('says "JAZZ NIGHT"', "text", quote="JAZZ NIGHT"), ChecklistItem("a saxophone"))
    captioner = RecordingCaptioner(ScriptedCaptioner({"a saxophone": "yes"}))
    reader = FakeReader([("JAZZ NIGHT",), ("JAZZ NIGT", "friday"), ()])

    critiques = ModelCritic(captioner, FixedScorer(0.3), reader=reader).critique(
        photos[:3], CritiqueRequest(BRIEF, "", checklist))

    assert reader.calls == 1, "one OCR pass for the whole round"
    assert all("JAZZ" not in q for q in captioner.answer_calls[0][1]), "text items never go to VQA"
    text_checks = [c.checks[0] for c in critiques]
    assert [c.verdict for c in text_checks] == ["pass", "fail", "fail"]
    # What OCR read and its verdict, as data: the page says them in the reader's language.
    assert [(c.reading, c.evidence) for c in text_checks] == [
        ("exact", "JAZZ NIGHT"), ("near", "JAZZ NIGT"), ("missing", "")]


def test_designer_preferences_shape_the_ranking(photos):
    request = CritiqueRequest(BRIEF, "", CHECKLIST, prefer=("bold type",), avoid=("too busy",))
    plain = ScriptedCaptioner({**{item: "yes" for item in CHECKLIST}, "bold type": "no", "too busy": "no"})
    busy = ScriptedCaptioner({**{item: "yes" for item in CHECKLIST}, "bold type": "no", "too busy": "yes"})
    bold = ScriptedCaptioner({**{item: "yes" for item in CHECKLIST}, "bold type": "yes", "too busy": "no"})

    [neutral] = ModelCritic(plain, FixedScorer(0.2)).critique(photos[:1], request)
    [penalised] = ModelCritic(busy, FixedScorer(0.2)).critique(photos[:1], request)
    [favoured] = ModelCritic(bold, FixedScorer(0.2)).critique(photos[:1], request)

    assert penalised.score < neutral.score < favoured.score
    assert penalised.preference_hits == ("- too busy",) and favoured.preference_hits == ("+ bold type",)
