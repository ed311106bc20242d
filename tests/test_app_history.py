"""The history through the API, as a script drives it: undo, redo and a switch to another branch, each answered with
the session's view (its strip, conversation and tree) for the branch the designer is on. Tiny preset: plumbing."""
from __future__ import annotations

import json

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from studio.ui.wiring import SESSION_VIEW

BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"
SETTINGS = dict(count=1, steps=1, size=64, guidance=0.0, seed=3, negative="", reference=None, strength=0.6,
                start_from="", style="")
CHAT, SHOWN = SESSION_VIEW.index("chat"), SESSION_VIEW.index("shown_round")
TREE, STATUS = -2, -1  # the view's last component, then the status line


@pytest.fixture
def designer(shared_studio):
    client = Client(shared_studio.url, verbose=False)
    yield client
    client.close()


def said(chat) -> str:
    return json.dumps(chat, ensure_ascii=False)


def test_a_script_undoes_redoes_and_branches_and_each_view_is_the_branchs_own(designer):
    sid = designer.predict(BRIEF, api_name="/start_session")[0]
    designer.predict(session_id=sid, text="", **SETTINGS, api_name="/run_round")
    designer.predict(session_id=sid, text="make it warmer", **SETTINGS, api_name="/run_round")

    undone = designer.predict(sid, api_name="/undo")
    assert undone[STATUS].startswith("Round 2 undone: you are back on round 1.")
    assert undone[SHOWN] == 1 and "make it warmer" not in said(undone[CHAT])
    tree = undone[TREE]  # every round stays in the tree; ● marks the branch the designer is on
    assert tree["value"] == 1 and [line for line, _ in tree["choices"]] == [
        "● 1 · A poster for a jazz night, navy and gold, with …", "○ 2 · make it warmer"]

    redone = designer.predict(sid, api_name="/redo")
    assert redone[STATUS] == "Round 2 is back." and redone[SHOWN] == 2 and "make it warmer" in said(redone[CHAT])

    switched = designer.predict(sid, 1, api_name="/switch_branch")
    assert switched[STATUS].startswith("You are on round 1's branch")
    designer.predict(session_id=sid, text="make it colder", **SETTINGS, api_name="/run_round")
    opened = designer.predict(sid, api_name="/open_session")
    chat = said(opened[CHAT])
    assert "make it colder" in chat and "make it warmer" not in chat and opened[SHOWN] == 3


def test_a_script_is_told_clearly_when_there_is_nothing_to_undo_or_redo(designer):
    sid = designer.predict(BRIEF, api_name="/start_session")[0]
    with pytest.raises(AppError, match="no round to undo"):
        designer.predict(sid, api_name="/undo")
    with pytest.raises(AppError, match="nothing to redo"):
        designer.predict(sid, api_name="/redo")
    with pytest.raises(AppError, match="no round 4"):
        designer.predict(sid, 4, api_name="/switch_branch")
