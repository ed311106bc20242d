"""Item 11: two designers on one studio never see or touch each other's work (Fooocus #2049:
"User A's image displayed in User B's location"). Bob knows Alice's session id; every endpoint
he calls with it is refused as if it did not exist, nothing of hers changes, and nothing he
gets back names her images.
"""
from __future__ import annotations

import json

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from kit import digest, round_inputs

NO_SUCH_SESSION = "No such session"


def settings(sid: str) -> dict:
    """The round settings every round endpoint takes, without /run_round's message."""
    inputs = round_inputs(sid)
    del inputs["text"]
    return {**inputs, "style_key": ""}


ATTEMPTS = {  # every endpoint that names a session, with the arguments a script would send
    "/open_session": lambda sid: dict(sid=sid),
    "/rename": lambda sid: dict(sid=sid, new_title="mine now"),
    "/delete": lambda sid: dict(sid=sid),
    "/cancel": lambda sid: dict(sid=sid),
    "/pick": lambda sid: dict(sid=sid, round_value=0, candidate_value=1, why="love it"),
    "/reject": lambda sid: dict(sid=sid, round_value=0, candidate_value=2, why="ugly"),
    "/ask": lambda sid: dict(sid=sid, round_value=0, candidate_value=1, text="what does the title say?"),
    "/set_checklist": lambda sid: dict(sid=sid, rows={"headers": ["item", "kind", "pinned"],
                                                      "data": [["mine now", "visual", True]], "metadata": None}),
    "/set_preferences": lambda sid: dict(sid=sid, rows={"headers": ["taste", "like or dislike"],
                                                        "data": [["bold type", "like"]], "metadata": None}),
    "/run_round": lambda sid: {**round_inputs(sid, "make it mine"), "style_key": ""},
    "/run_auto": lambda sid: {**settings(sid), "rounds_value": 1},
    "/inspire": lambda sid: {**settings(sid), "directions_value": 2},
}
WITHOUT_A_SESSION = {"/start_session", "/list_sessions"}


@pytest.fixture(scope="module")
def bob(hosted):
    client = Client(hosted.studio.url, verbose=False, download_files=False)
    yield client
    client.close()


def traces_of(hosted, alice) -> list[str]:
    """Strings that would give Alice's work away: her session id, image files and gallery URLs."""
    files = [p.name for p in (hosted.data_dir / "images" / alice.sid).iterdir()]
    urls = [item["image"]["url"] for item in alice.gallery] + [item["image"]["path"] for item in alice.gallery]
    return [alice.sid, *files, *urls]


def test_every_endpoint_with_a_session_id_is_tried(bob):
    named = set(bob.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert named == set(ATTEMPTS) | WITHOUT_A_SESSION  # a new endpoint must join ATTEMPTS


def test_bob_does_not_see_alices_sessions(hosted, alice, bob):
    _radio, listed = bob.predict(api_name="/list_sessions")
    assert alice.sid not in json.dumps(listed)
    _radio, hers = alice.client.predict(api_name="/list_sessions")
    assert alice.sid in [s["id"] for s in hers]  # the check can fail: she does see it


@pytest.mark.parametrize("api_name", ATTEMPTS)
def test_every_action_on_alices_session_is_refused_as_missing(hosted, alice, bob, api_name):
    before = digest(hosted.data_dir)

    with pytest.raises(AppError, match=NO_SUCH_SESSION) as refused:
        bob.predict(**ATTEMPTS[api_name](alice.sid), api_name=api_name)

    assert digest(hosted.data_dir) == before
    for trace in traces_of(hosted, alice)[1:]:
        assert trace not in str(refused.value)


def test_alices_session_is_as_she_left_it(alice):
    opened = alice.client.predict(alice.sid, api_name="/open_session")
    _radio, listed = alice.client.predict(api_name="/list_sessions")
    sid, _chat, gallery, details, round_index, *_ = opened
    assert (sid, round_index, len(gallery)) == (alice.sid, 0, 2)
    details = json.loads(details) if isinstance(details, str) else details
    assert [c["mark"] for c in details["candidates"]] == ["", ""]
    received = json.dumps([opened, listed], default=str)
    for bobs_words in ("mine now", "bold type", "love it", "ugly", "what does the title say"):
        assert bobs_words not in received


def test_bobs_own_session_shows_nothing_of_alices(hosted, alice, bob):
    sid, *_ = bob.predict("a bakery logo, warm brown", api_name="/start_session")
    opened = bob.predict(sid, api_name="/open_session")
    _radio, listed = bob.predict(api_name="/list_sessions")

    assert opened[0] == sid and opened[2] == []  # no gallery yet
    assert [s["id"] for s in listed] == [sid]
    received = json.dumps([opened, listed], default=str)
    for trace in traces_of(hosted, alice):
        assert trace not in received
    assert "jazz" not in received.lower()
