"""The studio end to end through its API, as a script would use it: `python app.py` in a subprocess,
`gradio_client` calling every named endpoint. One `Client` is one designer (the signed browser cookie it keeps is who it is).

Tiny preset: the images are noise and the captions gibberish; these tests prove the plumbing.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

from server import ROOT, get, hang_up, offline_env, run_app, running_studio, studio_process

SEED = 1234
BRIEF = "A poster for a jazz night, art deco, navy and gold"
NO_SUCH_SESSION = "No such session"


@pytest.fixture(scope="module")
def studio(shared_studio):
    """The end-to-end tests' shared studio (conftest.py), under the name tests/test_app_design_loop.py imports."""
    return shared_studio


@pytest.fixture
def designer(studio) -> Client:
    """A fresh designer: a new connection owns nothing yet."""
    client = Client(studio.url, verbose=False)
    yield client
    hang_up(client)


@pytest.fixture
def other_designer(studio) -> Client:
    client = Client(studio.url, verbose=False)
    yield client
    hang_up(client)


def run_round(client: Client, sid: str, text: str = "", *, count: int = 4, steps: int = 2, size: int = 64,
              seed: int = SEED):
    """/run_round with the settings a script would pass; returns the final update of the stream."""
    chat, gallery, status, details, round_index, *_rest = client.predict(
        session_id=sid, text=text, count=count, steps=steps, size=size, guidance=0.0, seed=seed, api_name="/run_round")
    return chat, gallery, status, details, round_index


def said(chat: list[dict], role: str | None = None) -> list[str]:
    """The chat's messages as text (Gradio 6 sends content as a list of blocks)."""
    texts = []
    for message in chat:
        if role and message["role"] != role:
            continue
        content = message["content"]
        blocks = content if isinstance(content, list) else [content]
        texts.append(" ".join(b if isinstance(b, str) else b.get("text") or "" for b in blocks))
    return texts


def as_dict(details) -> dict:
    return json.loads(details) if isinstance(details, str) else details


def sessions_of(client: Client) -> list[dict]:
    _radio, listed = client.predict(api_name="/list_sessions")
    return listed


def test_the_page_comes_up(studio):
    status, html = get(studio.url)

    assert status == 200
    assert "Design Collaborator" in html


def test_help_lists_the_flags_a_designer_starts_with():
    result = run_app("--help")

    assert result.returncode == 0, result.stderr
    for flag in ("--preset", "--data-dir", "--port", "--auth", "--allow-anonymous", "--rounds-per-owner", "--dtype", "--preload", "--no-preload"):
        assert flag in result.stdout


def test_a_script_runs_a_whole_session_through_every_endpoint(designer):
    # Start a session from a brief.
    sid, *_ = designer.predict(BRIEF, api_name="/start_session")
    assert re.fullmatch(r"[0-9a-f]{32}", sid)

    # Round 1: four candidates, 64 px, 2 steps, a fixed seed.
    chat, gallery, status, details, round_index = run_round(designer, sid)
    details = as_dict(details)
    assert status == "Round 1 done."
    assert round_index == 1
    assert details["status"] == "done"
    assert [c["seed"] for c in details["candidates"]] == [SEED, SEED + 1, SEED + 2, SEED + 3]
    assert len(gallery) == 4
    for item in gallery:
        path = Path(item["image"])
        assert path.is_file()
        with Image.open(path) as image:
            assert image.size == (64, 64)
    assert said(chat, "user") == [BRIEF]
    assert "Prompt:" in said(chat, "assistant")[0]

    # Reject candidate 2 as too busy, pick candidate 1.
    _sid, chat, gallery, *_, status, _reason = designer.predict(sid, 1, 2, "too busy", api_name="/reject")
    assert status == "Noted: reject candidate 2."
    assert "Rejected candidate 2 of round 1: too busy" in said(chat, "user")
    assert gallery[1]["caption"].endswith("rejected")
    _sid, chat, gallery, *_, status, _reason = designer.predict(sid, 1, 1, "", api_name="/pick")
    assert status == "Noted: pick candidate 1."
    assert gallery[0]["caption"].endswith("picked")

    # Round 2 with a correction: the refiner was told "too busy", the chat keeps the correction.
    chat, gallery, status, details, round_index = run_round(designer, sid, "warmer palette")
    details = as_dict(details)
    assert status == "Round 2 done."
    assert round_index == 2
    assert details["status"] == "done"
    assert "too busy" in details["negative_prompt"]
    assert len(gallery) == 4
    assert said(chat, "user")[-1] == "warmer palette"
    assert "Picked candidate 1 of round 1." in said(chat, "user")

    # The session is listed, opens with its last round, and takes a new title.
    assert [(s["id"], s["rounds"]) for s in sessions_of(designer)] == [(sid, 2)]
    opened_sid, chat, gallery, details, round_index, *_ = designer.predict(sid, api_name="/open_session")
    assert (opened_sid, round_index, len(gallery)) == (sid, 2, 4)
    assert as_dict(details)["round"] == 2
    assert "warmer palette" in said(chat, "user")
    designer.predict(sid, "Jazz night, warmer", api_name="/rename")
    assert [s["title"] for s in sessions_of(designer)] == ["Jazz night, warmer"]

    # Nothing is running, so Stop says so; then the session goes away for good.
    assert designer.predict(sid, api_name="/cancel") == "Nothing is running."
    *_, status = designer.predict(sid, api_name="/delete")
    assert status == "Session deleted."
    assert sessions_of(designer) == []
    with pytest.raises(AppError, match=NO_SUCH_SESSION):
        designer.predict(sid, api_name="/open_session")


def test_another_designer_sees_nothing_and_can_touch_nothing(designer, other_designer):
    sid, *_ = designer.predict(BRIEF, api_name="/start_session")

    assert sessions_of(other_designer) == []
    attempts = {
        "/open_session": (sid,),
        "/rename": (sid, "mine now"),
        "/delete": (sid,),
        "/cancel": (sid,),
        "/pick": (sid, 1, 1, ""),
        "/reject": (sid, 1, 1, "ugly"),
    }
    for api_name, args in attempts.items():
        with pytest.raises(AppError, match=NO_SUCH_SESSION):
            other_designer.predict(*args, api_name=api_name)
    with pytest.raises(AppError, match=NO_SUCH_SESSION):
        run_round(other_designer, sid)

    # The owner's session is untouched.
    assert [(s["id"], s["title"], s["rounds"]) for s in sessions_of(designer)] == [(sid, BRIEF, 0)]


def assert_clear_refusal(err: AppError, expected: str) -> None:
    message = str(err)
    assert "Traceback" not in message and message.strip() != "Error"
    assert expected in message


def test_an_empty_brief_is_refused_with_the_engines_message(designer):
    with pytest.raises(AppError) as refused:
        designer.predict("   ", api_name="/start_session")

    assert_clear_refusal(refused.value, "The brief is empty. Write a few words.")
    assert sessions_of(designer) == []


@pytest.mark.parametrize("settings, expected", [
    pytest.param({"size": 100}, "Size (px) must be a multiple of 64 pixels, not 100.", id="size 100"),
    # Gradio's own range check would say "Value 0 is less than minimum value 1.", naming no setting.
    pytest.param({"steps": 0}, "Steps must be between 1 and 50, not 0.", id="steps 0"),
    pytest.param({"count": 100}, "Candidates must be between 1 and 8, not 100.", id="count 100"),
    pytest.param({"seed": 2.5}, "Seed must be a whole number, not 2.5.", id="seed 2.5"),  # Gradio rounded it
])
def test_bad_round_settings_are_refused_with_the_engines_message_and_change_nothing(designer, settings, expected):
    sid, *_ = designer.predict(BRIEF, api_name="/start_session")

    with pytest.raises(AppError) as refused:
        run_round(designer, sid, **settings)

    assert_clear_refusal(refused.value, expected)
    assert [s["rounds"] for s in sessions_of(designer)] == [0]


def test_a_real_preset_without_weights_falls_back_to_tiny_and_says_so(tmp_path):
    with running_studio(tmp_path / "data", preset="cpu") as studio:
        log = studio.log
        status, config = get(studio.url + "config")

    assert "The cpu preset can't load here" in log
    assert "Running the tiny demo preset instead" in log
    assert status == 200
    assert "random-weight" in config
    assert "Running the **tiny** demo preset instead" in config


def test_the_models_load_behind_the_page_and_the_first_round_uses_them(tmp_path):
    with studio_process("--data-dir", str(tmp_path / "data"), log_dir=tmp_path, env={"DC_PRELOAD": "1"}) as studio:
        deadline = time.monotonic() + 120
        while "models loaded in" not in studio.log and time.monotonic() < deadline:
            time.sleep(0.2)
        assert re.search(r"models loaded in [\d.]+ s: refiner, generator, captioner, scorer", studio.log), studio.log
        client = Client(studio.url, verbose=False)
        try:
            sid = client.predict(BRIEF, api_name="/start_session")[0]
            _chat, gallery, status, *_ = run_round(client, sid, count=2)
        finally:
            hang_up(client)

    assert status == "Round 1 done." and len(gallery) == 2


def test_the_page_is_built_without_importing_torch(tmp_path):
    """torch takes ~1.5 s to import: with an explicit preset it loads behind the page, with the models."""
    script = f"""
import sys
import app
from pipelines.presets import PRESETS
from pipelines.registry import ModelRegistry
from studio.engine import Studio
from studio.services.sessions import Store
from studio.ui import build_ui

build_ui(Studio(Store({str(tmp_path)!r}), ModelRegistry(PRESETS["tiny"])))
print("torch" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=offline_env(), capture_output=True,
                          text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_a_script_runs_a_round_with_only_a_session_and_words(designer):
    """Every round setting has a default: README's two-line script works as written."""
    session_id, *_ = designer.predict(BRIEF, api_name="/start_session")
    designer.predict(session_id, api_name="/run_round")

    chat, gallery, status, details, round_number, *_ = designer.predict(session_id, "make it warmer",
                                                                        api_name="/run_round")

    assert (status, round_number, as_dict(details)["round"]) == ("Round 2 done.", 2, 2)
    assert len(gallery) == 4  # the default count
    assert said(chat, "user")[-1] == "make it warmer"


def test_settings_are_kept_per_session_and_come_back_when_it_opens(designer):
    session_id, *_ = designer.predict(BRIEF, api_name="/start_session")
    other_id, *_ = designer.predict("A menu for a ramen bar", api_name="/start_session")

    designer.predict(session_id, count=2, steps=3, size=128, guidance=5.5, seed=42, style="art-deco",
                     negative="clutter", strength=0.4, api_name="/keep_settings")

    kept = settings_returned(designer)
    opened = designer.predict(session_id, api_name="/open_session")
    assert list(opened[kept]) == [2, 3, 128, 5.5, 42, "art-deco", "clutter", 0.4]  # count ... strength, in order
    assert list(designer.predict(other_id, api_name="/open_session")[kept][:2]) == [4, 2]  # the other: defaults


def settings_returned(client: Client) -> slice:
    """Where /open_session returns the eight round settings, count first: found by the outputs' labels, so an
    output added elsewhere does not move them under the test."""
    returns = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/open_session"]["returns"]
    labels = [r["label"].get("key") if isinstance(r["label"], dict) else r["label"] for r in returns]
    first = labels.index("field.count")
    assert labels[first:first + 8] == [f"field.{name}" for name in ("count", "steps", "size", "guidance", "seed",
                                                                    "style", "negative", "strength")], labels
    return slice(first, first + 8)


def test_the_browser_secret_is_made_once_and_only_the_studio_reads_it(tmp_path):
    from studio.web.identity import SECRET_FILE, browser_secret

    first = browser_secret(tmp_path)

    assert browser_secret(tmp_path) == first and len(first) >= 32
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o777 == 0o600


def test_a_script_starts_a_round_from_a_candidate_of_an_earlier_round(designer):
    session_id, *_ = designer.predict(BRIEF, api_name="/start_session")
    designer.predict(session_id, count=2, steps=2, size=64, api_name="/run_round")

    _chat, _gallery, status, details, *_ = designer.predict(session_id, "warmer", count=1, steps=2, size=64,
                                                           start_from="1.2", api_name="/run_round")

    assert status == "Round 2 done."
    assert as_dict(details)["started_from"].startswith("Started from candidate 2 of round 1")
