"""Reproduce and compare through the API, as a script drives them: `python app.py` in a subprocess (the end-to-end
tests' shared studio), `gradio_client` calling `/reproduce` and `/compare`. Tiny preset: the pixels are noise; these
tests prove plumbing and that the pixels come back.
"""
from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"
SETTINGS = dict(count=2, steps=1, size=64, guidance=0.0, seed=7, negative="", reference=None, strength=0.6,
                start_from="", style="")


@pytest.fixture(scope="module")
def designer(shared_studio):
    """A designer of this module's own on the end-to-end tests' shared studio (conftest.py)."""
    client = Client(shared_studio.url, verbose=False)
    yield client
    client.close()


@pytest.fixture(scope="module")
def session(designer) -> str:
    """A session with a done round of two candidates (comparing across rounds: tests/test_compare.py)."""
    sid = designer.predict(BRIEF, api_name="/start_session")[0]
    designer.predict(session_id=sid, text="", **SETTINGS, api_name="/run_round")
    return sid


def pixels(path) -> np.ndarray:
    with Image.open(path) as opened:
        return np.asarray(opened.convert("RGB"), dtype=np.int16)


def test_a_script_reproduces_a_candidate_and_gets_the_same_pixels_and_the_report(designer, session):
    new, stored, report, status = designer.predict(session, 1, 2, api_name="/reproduce")  # (the panel: no value)

    assert np.array_equal(pixels(new), pixels(stored))  # lossless PNGs, compared pixel for pixel
    assert status == "Identical: all 4096 pixels are the same as the stored image."
    assert "**Reproduced 1.2** from its stored recipe (nothing was stored)" in report
    assert "whole round (2 candidates)" in report and "Same preset, device, precision and library versions" in report
    _sid, _chat, gallery, _details, shown_round, *_ = designer.predict(session, api_name="/open_session")
    assert (len(gallery), shown_round) == (2, 1)  # no round, no candidate added


def test_a_script_compares_two_candidates_with_their_rows_aligned(designer, session):
    slider, left, right, table, status = designer.predict(session, "1.1", "1.2", api_name="/compare")

    assert np.array_equal(pixels(slider[0]), pixels(left)) and np.array_equal(pixels(slider[1]), pixels(right))
    assert status.startswith("Comparing 1.1 with 1.2: ") and "rows differ" in status
    assert '<tr class="differs"' in table and "<th" in table and "Seed" in table
    seed_row = next(row for row in table.split("<tr")[1:] if ">Seed" in row)
    assert "≠" in seed_row and ">7<" in seed_row and ">8<" in seed_row  # the round's seeds: 7, then 8


def test_a_candidate_named_unlike_the_strip_is_refused_in_words_a_script_can_act_on(designer, session):
    with pytest.raises(AppError, match=r"The second candidate must name a candidate as 'round.candidate', e\.g\. "
                                       r"'2\.3', not 'two'"):
        designer.predict(session, "1.1", "two", api_name="/compare")
    with pytest.raises(AppError, match="There is no round 9"):
        designer.predict(session, 9, 1, api_name="/reproduce")
