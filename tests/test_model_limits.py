"""Every text a person may type reaches a model within that model's own limits (issue 14, first part): the tiny
models have small limits (BLIP's text encoder 64 positions, CLIP's 77), so long words show the cut at work.
Tiny preset: answers and captions are gibberish; these tests check that rounds end `done`, not what they say.
"""
from __future__ import annotations

import pytest

from pipelines.language import boundaries, fit_words
from studio.core.params import RoundParams
from studio.core.session import RoundStatus
from studio.engine.events import Finished

# One clause (no comma, 'with' or 'but' to split it): it becomes a checklist item, then a VQA question of ~90 tiny
# tokens; the reason becomes a preference, then a question too.
LONG_ITEM = ("a saxophone player standing under a neon sign in the rain of a late autumn evening in front of "
             "the old theatre downtown near the river and the bridge and the trains")
LONG_REASON = "supercalifragilistic expialidocious " * 5
BRIEF = f"A poster for a jazz night, {LONG_ITEM}, art deco, navy and gold"
CHINESE_BRIEF = "爵士之夜的海报，装饰艺术风格，海军蓝和金色，" * 20


def round_of(studio, session_id: str, text: str = ""):
    events = studio.run_round("alice", session_id, text, RoundParams(count=2, steps=1, width=64, height=64, seed=1))
    return next(e.round for e in events if isinstance(e, Finished))


def test_a_long_checklist_item_and_a_long_reason_never_fail_a_round(studio):
    session = studio.start_session("alice", BRIEF)
    assert round_of(studio, session.id).status is RoundStatus.DONE
    studio.give_feedback("alice", session.id, 0, "reject", 0, LONG_REASON)

    second = round_of(studio, session.id, "warmer")

    assert (second.status, second.error) == (RoundStatus.DONE, None)


def test_a_question_as_long_as_the_limit_allows_gets_an_answer(studio):
    session = studio.start_session("alice", BRIEF)
    round_of(studio, session.id)

    asked = studio.ask("alice", session.id, 0, 1, "is the " + "supercalifragilistic " * 13 + "title readable?")

    assert isinstance(asked.answer, str)


def test_a_long_chinese_brief_runs_a_round(studio):
    session = studio.start_session("alice", CHINESE_BRIEF)

    assert round_of(studio, session.id).status is RoundStatus.DONE


def test_the_vqa_question_is_cut_at_a_word_within_the_models_positions(tiny_registry):
    captioner = tiny_registry.captioner()
    question = "Does the image show " + LONG_ITEM + "?"

    fitted = captioner.fit_question(question)

    tokenizer = captioner._vqa_processor.tokenizer
    assert len(tokenizer(fitted)["input_ids"]) <= captioner._vqa_model.config.text_config.max_position_embeddings
    assert question.startswith(fitted) and fitted.split()[-1] in question.split()  # whole words only


def words(text: str) -> int:
    """A stand-in tokenizer: a word, or a CJK character, is a token."""
    return sum(len(w) if not w.isascii() else 1 for w in text.split())


@pytest.mark.parametrize("text, limit, expected", [
    ("a poster for a jazz night, art deco", 5, "a poster for a jazz"),
    ("爵士之夜的海报，装饰艺术风格", 4, "爵士之夜"),  # every CJK character is a boundary
    ("海报 poster", 1, "海"),
    ("fits", 5, "fits"),
])
def test_text_is_cut_at_a_word_or_a_cjk_character(text, limit, expected):
    assert fit_words(text, words, limit) == expected


def test_a_single_word_too_long_for_the_limit_is_cut_by_characters():
    assert fit_words("supercalifragilistic", len, 5) == "super"


def test_a_cut_never_falls_inside_a_word():
    text = "art deco, navy and gold"
    assert all(c == len(text) or not (text[c - 1].isalnum() and text[c].isalnum()) for c in boundaries(text))


# ---------------------------------------------------------------- Chinese, end to end (issue 14, part)
ZH_BRIEF = "爵士之夜的海报，装饰艺术风格，海军蓝和金色，写着「爵士之夜」，不要人物"


def test_a_chinese_brief_splits_into_a_checklist_at_chinese_punctuation():
    from pipelines.checklist import checklist_from_brief

    items = [(i.kind, i.text) for i in checklist_from_brief(ZH_BRIEF)]

    assert items == [("text", 'says "爵士之夜"'), ("visual", "爵士之夜的海报"), ("visual", "装饰艺术风格"),
                     ("visual", "海军蓝和金色"), ("avoid", "人物")]


def test_a_chinese_correction_round_keeps_the_briefs_subject_in_the_prompt(studio):
    session = studio.start_session("alice", ZH_BRIEF)
    round_of(studio, session.id)

    second = round_of(studio, session.id, "更温暖的色调")

    assert second.status is RoundStatus.DONE
    assert "爵士之夜" in second.prompt and "更温暖的色调" in second.prompt


def test_a_prompt_too_long_for_the_text_encoder_keeps_its_first_chinese_phrases(tiny_registry):
    from pipelines.prompting import fit_prompt

    generator = tiny_registry.generator()
    fitted = fit_prompt(ZH_BRIEF * 5, generator.count_prompt_tokens, generator.max_prompt_tokens)

    assert fitted.startswith("爵士之夜") and generator.count_prompt_tokens(fitted) <= generator.max_prompt_tokens


# ---------------------------------------------------------------- Unicode kept whole (issue 14, part)
@pytest.mark.parametrize("typed, kept", [
    ("a poster for 👩‍🎤 fans", "a poster for 👩‍🎤 fans"),  # the zero-width joiner holds the emoji together
    ("❤️ café", "❤️ café"),  # a variation selector; a combining accent
    ("JAZZ\u202e THGIN", "JAZZ THGIN"),  # a bidi override that would disguise the text
    ("bell\x07 and\x00 nul", "bell and nul"),  # control characters
    ("line one\nline two", "line one\nline two"),
    ("no\ufdd0nchar\uffff", "nonchar"),
])
def test_a_brief_keeps_every_character_people_write_and_loses_only_the_dangerous_ones(studio, typed, kept):
    assert studio.start_session("alice", typed).brief == kept
