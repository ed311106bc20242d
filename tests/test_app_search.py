"""Search across sessions through the API, as a script drives it: `gradio_client` against the end-to-end tests'
shared studio (`python app.py`, tiny preset). Each client is a designer of its own: none may find another's work.
Tiny models prove plumbing: the captions are gibberish and the vectors random, so these tests search for words
the designer wrote and for a candidate's own image.
"""
from __future__ import annotations

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

BRIEF = "A zanzibar jazz poster, 爵士海报, navy and gold"
SETTINGS = dict(count=2, steps=1, size=64, guidance=0.0, seed=7, negative="", reference=None, strength=0.6,
                start_from="", style="")
GALLERY, DATA, STATUS = 0, 1, 2  # every search endpoint's outputs


def designer_client(url: str) -> Client:
    return Client(url, verbose=False)


@pytest.fixture(scope="module")
def alice(shared_studio):
    """A designer with one session of one done round (two candidates)."""
    client = designer_client(shared_studio.url)
    sid = client.predict(BRIEF, api_name="/start_session")[0]
    client.predict(session_id=sid, text="", **SETTINGS, api_name="/run_round")
    yield client, sid
    client.close()


@pytest.fixture
def stranger(shared_studio):
    client = designer_client(shared_studio.url)
    yield client
    client.close()


def test_a_script_finds_a_session_by_english_and_chinese_words_and_opens_the_result(alice):
    client, sid = alice
    for query in ("zanzibar", "海报", "爵士", "ZANZIBAR navy"):
        out = client.predict(query, api_name="/search_text")
        hits = out[DATA]
        assert hits and {h["session_id"] for h in hits} == {sid}, query
        assert out[GALLERY] and "zanzibar" in out[GALLERY][0]["caption"].lower()
    opened = client.predict(sid, 1, 2, api_name="/open_result")
    assert opened[0] == sid  # the session view: its id first, the round shown and the candidate selected after it


def test_a_script_finds_more_like_a_candidate_and_images_matching_words(alice):
    client, sid = alice
    similar = client.predict(sid, 1, 2, api_name="/search_similar")[DATA]
    assert (similar[0]["session_id"], similar[0]["round"], similar[0]["candidate"]) == (sid, 1, 2)
    assert similar[0]["score"] == pytest.approx(1.0, abs=1e-4)
    matching = client.predict("a saxophone", 5, api_name="/search_images")[DATA]
    assert matching and {h["session_id"] for h in matching} == {sid} and all(h["field"] == "image" for h in matching)


def test_another_designer_finds_nothing_of_alices_and_cannot_reach_her_session(alice, stranger):
    _, sid = alice
    for query in ("zanzibar", "海报"):
        assert stranger.predict(query, api_name="/search_text")[DATA] == []
    assert stranger.predict("a saxophone", api_name="/search_images")[DATA] == []
    for endpoint in ("/search_similar", "/open_result"):
        with pytest.raises(AppError, match="No such session"):
            stranger.predict(sid, 1, 1, api_name=endpoint)


@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "'", '" OR "', "caption:"])
def test_a_hostile_query_is_answered_never_an_error(alice, query):
    client, sid = alice
    before = client.predict(api_name="/list_sessions")
    client.predict(query, api_name="/search_text")
    assert client.predict(api_name="/list_sessions") == before


def test_a_query_too_long_is_refused_with_what_to_do(alice):
    client, _ = alice
    with pytest.raises(AppError, match="keep it under 200"):
        client.predict("x" * 10_000, api_name="/search_text")
