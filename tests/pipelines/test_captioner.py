"""The captioner says what each candidate shows and answers questions about it, one per image."""
from __future__ import annotations

import pytest


def test_one_caption_per_image_in_order(tiny_registry, photos):
    captions = tiny_registry.captioner().caption(photos)

    assert len(captions) == len(photos)
    assert all(isinstance(caption, str) for caption in captions)
    assert captions == tiny_registry.captioner().caption(photos)  # greedy: the same images, the same words


def test_a_single_image_gets_the_caption_it_gets_in_a_batch(tiny_registry, photos):
    captioner = tiny_registry.captioner()

    assert captioner.caption(photos[1:2]) == captioner.caption(photos)[1:2]


def test_one_answer_per_image_and_question(tiny_registry, photos):
    questions = ["Does the image show a saxophone?", "Is the palette navy and gold?", "Does it say JAZZ?"]

    answers = tiny_registry.captioner().answer(photos, questions)

    assert len(answers) == len(questions)
    assert all(isinstance(answer, str) for answer in answers)


def test_nothing_to_caption_or_ask_costs_no_model_call(tiny_registry):
    captioner = tiny_registry.captioner()

    assert captioner.caption([]) == []
    assert captioner.answer([], []) == []


@pytest.mark.parametrize("questions", [["Is it navy?"], ["Is it navy?", "Is it gold?", "Is it busy?", "Why?"]],
                         ids=["too-few", "too-many"])
def test_questions_must_pair_with_images(tiny_registry, photos, questions):
    with pytest.raises(ValueError, match="one question per image"):
        tiny_registry.captioner().answer(photos, questions)
