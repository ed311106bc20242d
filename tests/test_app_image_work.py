"""Work on images through the API, as a script drives it: `python app.py` in a subprocess, `gradio_client` calling
the named endpoints with the shared round settings. Tiny preset: the pixels are noise; these tests prove plumbing.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image


BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"
SETTINGS = dict(count=2, steps=1, size=64, guidance=0.0, seed=7, negative="", reference=None, strength=0.6,
                start_from="", style="")
# The outputs of every image-work endpoint: a round's view, then the result beside its original.
CHAT, GALLERY, STATUS, DETAILS, BEFORE, AFTER, MASK = 0, 1, 2, 3, -3, -2, -1


@pytest.fixture
def designer(shared_studio):
    """A fresh designer on the end-to-end tests' shared studio (conftest.py): a new connection owns nothing yet."""
    client = Client(shared_studio.url, verbose=False)
    yield client
    client.close()


@pytest.fixture
def session(designer) -> str:
    """A session with a done first round of two candidates."""
    sid = designer.predict(BRIEF, api_name="/start_session")[0]
    designer.predict(session_id=sid, text="", **SETTINGS, api_name="/run_round")
    return sid


def details(outputs) -> dict:
    d = outputs[DETAILS]
    return json.loads(d) if isinstance(d, str) else d


def image(path) -> np.ndarray:
    with Image.open(path) as opened:
        return np.asarray(opened.convert("RGB"), dtype=np.int16)


def upload(tmp_path, name: str, picture: Image.Image):
    picture.save(tmp_path / name)
    return handle_file(str(tmp_path / name))


def test_a_script_redraws_a_region_and_sees_the_result_beside_the_original(designer, session, tmp_path):
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (0, 0, 32, 64))
    out = designer.predict(session, 1, 2, "a golden moon", upload(tmp_path, "mask.png", mask), 0.9, **SETTINGS,
                           api_name="/edit_region")

    round_ = details(out)
    assert out[STATUS] == "Round 2 done." and round_["kind"] == "edit" and round_["prompt"].startswith("a golden moon")
    assert [c["from"] for c in round_["candidates"]] == ["1.2", "1.2"] and round_["params"]["feather"] == 1
    before, after = image(out[BEFORE]), image(out[AFTER])  # lossless, as stored
    assert np.array_equal(image(out[MASK])[:, :, 0] > 0, np.asarray(mask) > 0)  # the region, to download
    assert np.array_equal(before[:, 33:], after[:, 33:])  # beyond the 1 px feather, every pixel kept
    assert not np.array_equal(before[:, :31], after[:, :31])
    assert any("Region redrawn on 1.2" in str(m["content"]) for m in out[CHAT])


def test_a_script_varies_upscales_and_fixes_a_candidate(designer, session):
    varied = details(designer.predict(session, 1, 1, "strong", **SETTINGS, api_name="/vary"))
    assert (varied["kind"], varied["params"]["strength"], varied["params"]["variation"]) == ("vary", 0.85, "strong")

    out = designer.predict(session, 1, [1, 2], 2, **SETTINGS, api_name="/upscale")
    upscaled = details(out)
    assert upscaled["kind"] == "upscale" and [c["from"] for c in upscaled["candidates"]] == ["1.1", "1.2"]
    assert [Image.open(item["image"]).size for item in out[GALLERY]] == [(128, 128), (128, 128)]
    assert upscaled["params"]["method"].startswith("Lanczos ×2")

    proposed, _editor, status = designer.predict(session, 1, 1, "a saxophone", api_name="/propose_fix_mask")
    assert Image.open(proposed).size == (64, 64) and "a saxophone" in status
    fixed = details(designer.predict(session, 1, 1, "a saxophone", None, **SETTINGS, api_name="/fix_item"))
    assert fixed["kind"] == "fix" and fixed["prompt"].startswith("a saxophone")


def test_a_photo_alone_becomes_a_session_with_a_brief_a_checklist_and_its_reference(designer, tmp_path):
    photo = Image.new("RGB", (96, 64), "orange")
    out = designer.predict([upload(tmp_path, "product.png", photo)], "a poster from this product shot",
                           api_name="/start_from_images")
    sid, chat = out[0], out[1]
    checklist = designer.predict(sid, api_name="/open_session")[11]  # after the session's view (a button is no output)
    assert checklist["data"] and any("Brought 1 image(s)" in str(m["content"]) for m in chat)
    assert "a poster from this product shot" in json.dumps(chat)
    refs = designer.predict(sid, 1, "context", 0.5, api_name="/set_reference_use")
    assert "1." in refs[0] and "used as **context**" in refs[0]


def test_bad_masks_and_images_are_refused_with_the_engines_words_and_change_nothing(designer, session, tmp_path):
    before = designer.predict(session, api_name="/open_session")
    black = upload(tmp_path, "black.png", Image.new("L", (64, 64), 0))
    with pytest.raises(AppError, match="The mask is empty"):
        designer.predict(session, 1, 1, "a moon", black, 0.9, **SETTINGS, api_name="/edit_region")
    with pytest.raises(AppError, match="Paint the region to redraw"):
        designer.predict(session, 1, 1, "a moon", None, 0.9, **SETTINGS, api_name="/edit_region")
    with pytest.raises(AppError, match="between 2 and 4"):
        designer.predict(session, 1, [1], 8, **SETTINGS, api_name="/upscale")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(AppError, match="not an image we can read"):
        designer.predict(session, [handle_file(str(tmp_path / "notes.png"))], "context", 0.5,
                         api_name="/add_references")
    after = designer.predict(session, api_name="/open_session")
    assert json.dumps(after[:4]) == json.dumps(before[:4])  # the conversation, gallery and round: as they were
