"""The scorer measures how close each candidate is to the brief, the same way every time."""
from __future__ import annotations

import math

import pytest

BRIEF = "an art deco poster for a jazz night, navy and gold"


def test_one_cosine_per_image(tiny_registry, photos):
    scores = tiny_registry.scorer().similarity(photos, BRIEF)

    assert len(scores) == len(photos)
    assert all(isinstance(score, float) and -1.0 <= score <= 1.0 for score in scores)


def test_an_image_scores_the_same_alone_twice_or_in_a_batch(tiny_registry, photos):
    scorer = tiny_registry.scorer()

    batch = scorer.similarity(photos, BRIEF)
    alone = [scorer.similarity([image], BRIEF)[0] for image in photos]
    twice = scorer.similarity([photos[0], photos[0]], BRIEF)

    assert batch == pytest.approx(alone, abs=1e-5)
    assert twice[0] == pytest.approx(twice[1], abs=1e-6)
    assert twice[0] == pytest.approx(batch[0], abs=1e-5)


def test_the_text_reaches_the_model(tiny_registry, photos):
    scorer = tiny_registry.scorer()

    assert scorer.similarity(photos, BRIEF) != scorer.similarity(photos, "a watercolor fox in a green forest")


def test_image_embeddings_are_unit_length_rows_of_one_width(tiny_registry, photos):
    embeddings = tiny_registry.scorer().embed_images(photos)

    assert len(embeddings) == len(photos)
    widths = {len(row) for row in embeddings}
    assert len(widths) == 1 and widths.pop() > 1
    for row in embeddings:
        assert math.sqrt(sum(x * x for x in row)) == pytest.approx(1.0, abs=1e-5)
    assert embeddings[0] != embeddings[1]


def test_no_images_no_scores(tiny_registry):
    assert tiny_registry.scorer().similarity([], BRIEF) == []
    assert tiny_registry.scorer().embed_images([]) == []


def test_text_embeddings_share_the_image_embeddings_space(tiny_registry, photos):
    scorer = tiny_registry.scorer()

    texts = scorer.embed_texts([BRIEF, "a watercolor fox", "一张爵士之夜的海报"])
    images = scorer.embed_images(photos)

    assert len(texts) == 3 and {len(row) for row in texts} == {len(images[0])}
    for row in texts:
        assert math.sqrt(sum(x * x for x in row)) == pytest.approx(1.0, abs=1e-5)
    # Search by words ranks images by the very cosine the critic scores them with.
    cosines = [sum(a * b for a, b in zip(image, texts[0])) for image in images]
    assert cosines == pytest.approx(scorer.similarity(photos, BRIEF), abs=1e-5)
    assert scorer.embed_texts([]) == []
