"""The design loop through the API, as a script drives it: `python app.py` in a subprocess, `gradio_client`
calling the named endpoints. One `Client` is one designer.

Tiny preset: images are noise, captions and answers gibberish; these tests prove the plumbing.
"""
from __future__ import annotations

import json

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from test_app import designer, other_designer, studio  # noqa: F401 (shared fixtures)
from test_chinese import ZH_BRIEF, ZH_CORRECTIONS

BRIEF = "A poster for a jazz night, art deco, navy and gold, with a saxophone, no people"
BRIEF_ITEMS = [["A poster for a jazz night", "visual", False], ["art deco", "visual", False],
               ["navy and gold", "visual", False], ["a saxophone", "visual", False], ["people", "avoid", False]]
# Small and fast: one candidate, one step, 64 px, a fixed seed.
SETTINGS = dict(count=1, steps=1, size=64, guidance=0.0, seed=7, negative="", reference=None, strength=0.6,
                start_from="", style="")


def table(rows: list[list], headers: list[str]) -> dict:
    """A Dataframe's value as the API takes it."""
    return {"headers": headers, "data": rows, "metadata": None}


def checklist_table(rows: list[list]) -> dict:
    return table(rows, ["item", "kind", "pinned"])


def said(chat: list[dict]) -> list[str]:
    """The chat's messages as text (Gradio 6 sends content as a list of blocks)."""
    texts = []
    for message in chat:
        blocks = message["content"] if isinstance(message["content"], list) else [message["content"]]
        texts.append(" ".join(b if isinstance(b, str) else b.get("text") or "" for b in blocks))
    return texts


def as_dict(details) -> dict:
    return json.loads(details) if isinstance(details, str) else details


def rounds_of(client: Client, sid: str) -> int:
    _radio, listed = client.predict(api_name="/list_sessions")
    return next(s["rounds"] for s in listed if s["id"] == sid)


def test_a_script_runs_the_design_loop_through_every_endpoint(designer):
    sid, *_ = designer.predict(BRIEF, api_name="/start_session")

    # Round 1 writes the checklist from the brief's clauses (the tiny refiner's own is unusable).
    chat, _gallery, status, *_, checklist, _prefs, insights, _sid, _references, _tree = designer.predict(
        session_id=sid, text="", api_name="/run_round", **SETTINGS)
    assert status == "Round 1 done."
    assert checklist["data"] == BRIEF_ITEMS
    assert "split from the brief" in insights

    # Pin "a saxophone": it is kept, and every later prompt must hold it.
    pinned = [[text, kind, text == "a saxophone"] for text, kind, _ in checklist["data"]]
    checklist, insights, status = designer.predict(sid, checklist_table(pinned), api_name="/set_checklist")
    assert checklist["data"] == pinned
    assert status == "Checklist saved: the next round is checked against it."
    assert "split from the brief" not in insights

    # Tastes, said outright.
    preferences, _insights, status = designer.predict(
        sid, table([["too busy", "dislike"], ["bold type", "like"]], ["taste", "like or dislike"]),
        api_name="/set_preferences")
    assert preferences["data"] == [["too busy", "dislike"], ["bold type", "like"]]
    assert status == "Preferences saved."

    # A question about candidate 1 of round 1: answered, and kept in the chat.
    chat, question, status, _answer = designer.predict(sid, 1, 1, "is the text readable?", api_name="/ask")
    assert question == ""
    assert status.startswith("Answer: ")
    assert said(chat)[-2:] == ["About candidate 1 of round 1: is the text readable?",
                               f"*Answer:* {status.removeprefix('Answer: ')}"]

    # Inspire me: three directions, one candidate each, every one still holding the pinned phrase.
    chat, gallery, status, details, round_index, *_ = designer.predict(
        session_id=sid, directions=3, api_name="/inspire", **SETTINGS)
    details = as_dict(details)
    assert (status, round_index, len(gallery)) == ("Round 2 done.", 2, 3)
    labels = [c["label"] for c in details["candidates"]]
    assert len(set(labels)) == 3 and all(labels)
    assert all("a saxophone" in c["prompt"] for c in details["candidates"])
    assert len({c["prompt"] for c in details["candidates"]}) == 3
    assert "**Directions:**" in said(chat)[-1] and all(label in said(chat)[-1] for label in labels)

    # Two rounds on the studio's own judgement.
    _chat, _gallery, status, *_ = designer.predict(session_id=sid, rounds=2, api_name="/run_auto", **SETTINGS)
    assert status.startswith("Auto-rounds stopped: ")
    assert rounds_of(designer, sid) == 4

    # Pick the third direction, with a reason: a taste kept, and a pick the critic is compared with.
    _sid, chat, *_, preferences, insights, _references, _tree, status, reason = \
        designer.predict(sid, 2, 3, "painterly warmth", api_name="/pick")
    assert (status, reason) == ("Noted: pick candidate 3.", "")
    assert ["painterly warmth", "like"] in preferences["data"]
    assert "of 1 times" in insights
    assert "Picked candidate 3 of round 2: painterly warmth" in said(chat)


def test_a_bad_checklist_through_the_api_gets_the_engines_message_and_changes_nothing(designer, other_designer):
    sid, *_ = designer.predict(BRIEF, api_name="/start_session")
    designer.predict(sid, checklist_table([["a saxophone", "visual", True]]), api_name="/set_checklist")

    for rows, message in [([["a saxophone", "colour", True]], "kind is one of visual, text, avoid, not 'colour'."),
                          ([["a saxophone", "visual", "maybe"]], "Pinned must be true or false, not 'maybe'."),
                          ([["x" * 201, "visual", False]], "A checklist item is 201 characters long; keep it"),
                          ([[f"item {k}", "visual", False] for k in range(13)], "has 13 rows; keep it to 12.")]:
        with pytest.raises(AppError) as refused:
            designer.predict(sid, checklist_table(rows), api_name="/set_checklist")
        assert message in str(refused.value) and "Traceback" not in str(refused.value)
    with pytest.raises(AppError, match="No such session"):
        other_designer.predict(sid, checklist_table([["mine now", "visual", True]]), api_name="/set_checklist")
    with pytest.raises(AppError, match="No such session"):
        other_designer.predict(sid, table([["mine now", "like"]], ["taste", "like or dislike"]),
                               api_name="/set_preferences")

    _sid, *_shown, checklist, _preferences, _insights = designer.predict(sid, api_name="/open_session")[:14]
    assert checklist["data"] == [["a saxophone", "visual", True]]


def test_too_many_rounds_on_its_own_are_refused_with_the_engines_message(designer):
    sid, *_ = designer.predict(BRIEF, api_name="/start_session")

    for rounds, message in [(0, "Rounds must be between 1 and 10, not 0."), (11, "between 1 and 10, not 11."),
                            (2.5, "Rounds must be a whole number, not 2.5.")]:
        with pytest.raises(AppError) as refused:
            designer.predict(session_id=sid, rounds=rounds, api_name="/run_auto", **SETTINGS)
        assert message in str(refused.value) and "Traceback" not in str(refused.value)
    assert rounds_of(designer, sid) == 0



def test_a_script_works_a_chinese_brief_through_the_api(designer):
    """Issue 14: the checklist splits at Chinese punctuation, the brief's words are pinned, and every prompt keeps
    them and the subject ahead of long corrections (tiny refiner: the studio composes the prompt)."""
    sid, *_ = designer.predict(ZH_BRIEF, api_name="/start_session")
    prompts = []
    for text in ["", *ZH_CORRECTIONS[:2]]:
        _chat, _gallery, _status, details, *_, checklist, _prefs, _insights, _sid, _references, _tree = designer.predict(
            session_id=sid, text=text, api_name="/run_round", **SETTINGS)
        assert as_dict(details)["status"] == "done"
        prompts.append(as_dict(details)["prompt"])

    assert checklist["data"] == [['says "爵士之夜"', "text", True], ["爵士之夜的海报", "visual", False],
                                 ["装饰艺术风格", "visual", False], ["海军蓝和金色", "visual", False], ["人物", "avoid", False]]
    assert all(p.startswith('the text "爵士之夜", 爵士之夜的海报') for p in prompts), prompts
    assert ZH_CORRECTIONS[1][:5] in prompts[-1]
