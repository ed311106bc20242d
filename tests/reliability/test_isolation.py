"""Item 11: two designers on one studio never see or touch each other's work (Fooocus #2049:
"User A's image displayed in User B's location"). Bob knows Alice's session id; every endpoint
he calls with it is refused as if it did not exist, nothing of hers changes, and nothing he
gets back names her images.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from fakes import ScriptedCritic, SwappedModels
from kit import BRIEF, digest, round_inputs
from server import hang_up
from studio.core.session import RoundStatus
from studio.engine import RoundParams, Studio, StudioError
from studio.services.sessions import Store

NO_SUCH_SESSION = "No such session"


def settings(sid: str) -> dict:
    """The round settings every round endpoint takes, without /run_round's message."""
    inputs = round_inputs(sid)
    del inputs["text"]
    return {**inputs, "style": ""}


def bobs_image() -> dict:
    """An image Bob uploads with his attempt (a mask, a reference): a file of his own."""
    path = Path(tempfile.gettempdir()) / "bobs-mask.png"
    Image.new("L", (64, 64), 255).save(path)
    return handle_file(str(path))


ATTEMPTS = {  # every endpoint that names a session, with the arguments a script would send
    "/open_session": lambda sid: dict(session_id=sid),
    "/show_round": lambda sid: dict(session_id=sid, round=1),
    "/rename": lambda sid: dict(session_id=sid, title="mine now"),
    "/delete": lambda sid: dict(session_id=sid),
    "/cancel": lambda sid: dict(session_id=sid),
    "/pick": lambda sid: dict(session_id=sid, round=1, candidate=1, reason="love it"),
    "/reject": lambda sid: dict(session_id=sid, round=1, candidate=2, reason="ugly"),
    "/ask": lambda sid: dict(session_id=sid, round=1, candidate=1, question="what does the title say?"),
    "/set_checklist": lambda sid: dict(session_id=sid, rows={"headers": ["item", "kind", "pinned"],
                                                             "data": [["mine now", "visual", True]], "metadata": None}),
    "/set_preferences": lambda sid: dict(session_id=sid, rows={"headers": ["taste", "like or dislike"],
                                                               "data": [["bold type", "like"]], "metadata": None}),
    "/keep_settings": lambda sid: dict(session_id=sid, count=1, steps=1),
    "/run_round": lambda sid: {**round_inputs(sid, "make it mine"), "style": ""},
    "/run_auto": lambda sid: {**settings(sid), "rounds": 1},
    "/inspire": lambda sid: {**settings(sid), "directions": 2},
    "/edit_region": lambda sid: {**settings(sid), "round": 1, "candidate": 1, "instruction": "mine now",
                                 "mask": bobs_image(), "edit_strength": 0.9},
    "/fix_item": lambda sid: {**settings(sid), "round": 1, "candidate": 1, "item": "a saxophone", "mask": None},
    "/propose_fix_mask": lambda sid: dict(session_id=sid, round=1, candidate=1, item="a saxophone"),
    "/vary": lambda sid: {**settings(sid), "round": 1, "candidate": 1, "how": "strong"},
    "/upscale": lambda sid: {**settings(sid), "round": 1, "candidates": [1, 2], "factor": 2},
    "/add_references": lambda sid: dict(session_id=sid, images=[bobs_image()], use="context", style_strength=0.5),
    "/set_reference_use": lambda sid: dict(session_id=sid, number=1, use="style", style_strength=0.5),
    "/reproduce": lambda sid: dict(session_id=sid, round=1, candidate=1),
    "/compare": lambda sid: dict(session_id=sid, first="1.1", second="1.2"),
    "/export_session": lambda sid: dict(session_id=sid, branch_only=False),
    "/client_report": lambda sid: dict(session_id=sid, branch_only=True),
    "/switch_branch": lambda sid: dict(session_id=sid, round=1),
    "/undo": lambda sid: dict(session_id=sid),
    "/create_review_link": lambda sid: dict(session_id=sid, days=14, branch_only=False),
    "/list_review_links": lambda sid: dict(session_id=sid),
    "/revoke_review_link": lambda sid: dict(session_id=sid, link_id="0123456789ab"),
    "/redo": lambda sid: dict(session_id=sid),
    "/search_similar": lambda sid: dict(session_id=sid, round=1, candidate=1),
    "/open_result": lambda sid: dict(session_id=sid, round=1, candidate=1),
}
WITHOUT_A_SESSION = {"/start_session", "/list_sessions", "/start_from_images", "/import_session",
                     "/search_text", "/search_images"}  # searches: test_bobs_searches_find_nothing_of_alices


@pytest.fixture(scope="module")
def bob(hosted):
    client = Client(hosted.studio.url, verbose=False, download_files=False)
    yield client
    hang_up(client)


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
    assert (sid, round_index, len(gallery)) == (alice.sid, 1, 2)  # her first round, counted from 1
    details = json.loads(details) if isinstance(details, str) else details
    assert [c["mark"] for c in details["candidates"]] == ["", ""]
    received = json.dumps([opened, listed], default=str)
    for bobs_words in ("mine now", "bold type", "love it", "ugly", "what does the title say"):
        assert bobs_words not in received


def test_bobs_searches_find_nothing_of_alices(hosted, alice, bob):
    found = [bob.predict(query, api_name="/search_text") for query in ("jazz", "navy gold", "poster")]
    found.append(bob.predict("a jazz poster", api_name="/search_images"))

    assert all(hits == [] for _gallery, hits, _status in found)
    received = json.dumps(found, default=str)
    for trace in traces_of(hosted, alice):
        assert trace not in received


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


# ---------------------------------------------------------------- the engine's own door (no page, no API)
# Every public engine method, tried by Bob on Alice's session: the page and the API are not the only callers.
ENGINE_ATTEMPTS = {
    "open_session": lambda s, sid: s.open_session("bob", sid),
    "rename": lambda s, sid: s.rename("bob", sid, "mine now"),
    "delete": lambda s, sid: s.delete("bob", sid),
    "cancel": lambda s, sid: s.cancel("bob", sid),
    "give_feedback": lambda s, sid: s.give_feedback("bob", sid, 0, "pick", 0, "love it"),
    "set_checklist": lambda s, sid: s.set_checklist("bob", sid, [["mine now", "visual", True]]),
    "edit_brief": lambda s, sid: s.edit_brief("bob", sid, "a bakery logo"),
    "set_preferences": lambda s, sid: s.set_preferences("bob", sid, [["bold type", "like"]]),
    "ask": lambda s, sid: s.ask("bob", sid, 0, 0, "what does the title say?"),
    "agreement": lambda s, sid: s.agreement("bob", sid),
    "keep_settings": lambda s, sid: s.keep_settings("bob", sid, {"count": 1}),
    "round_images": lambda s, sid: s.round_images("bob", sid, 0),
    "image": lambda s, sid: s.image("bob", sid, s.open_session("alice", sid).rounds[0].candidates[0].image),
    "run_round": lambda s, sid: list(s.run_round("bob", sid, "make it mine", RoundParams(count=1, steps=1))),
    "run_auto": lambda s, sid: list(s.run_auto("bob", sid, 1, RoundParams(count=1, steps=1))),
    "edit_region": lambda s, sid: list(s.edit_region("bob", sid, 0, 0, "mine now", Image.new("L", (64, 64), 255))),
    "fix_item": lambda s, sid: list(s.fix_item("bob", sid, 0, 0, "navy and gold")),
    "propose_fix_mask": lambda s, sid: s.propose_fix_mask("bob", sid, 0, 0, "navy and gold"),
    "vary": lambda s, sid: list(s.vary("bob", sid, 0, 0, "strong")),
    "upscale": lambda s, sid: list(s.upscale("bob", sid, 0, [0, 1], 2)),
    "add_references": lambda s, sid: s.add_references("bob", sid, [bobs_image()["path"]]),
    "set_reference_use": lambda s, sid: s.set_reference_use("bob", sid, 1, "style"),
    "export_session": lambda s, sid: s.export_session("bob", sid),
    "client_report": lambda s, sid: s.client_report("bob", sid, True, "zh"),
    "reproduce": lambda s, sid: s.reproduce("bob", sid, 0, 0),
    "compare": lambda s, sid: s.compare("bob", sid, (0, 0), (0, 1)),
    "switch_branch": lambda s, sid: s.switch_branch("bob", sid, 0),
    "undo": lambda s, sid: s.undo("bob", sid),
    "create_review_link": lambda s, sid: s.create_review_link("bob", sid),
    "list_review_links": lambda s, sid: s.list_review_links("bob", sid),
    "redo": lambda s, sid: s.redo("bob", sid),
    "search_similar": lambda s, sid: s.search_similar("bob", sid, 0, 0),
}
ENGINE_WITHOUT_A_SESSION = {"start_session", "list_sessions", "round_params", "shut_down", "start_from_images",
                            "import_session",
                            "follows_style",
                            "search_text", "search_images"}  # test_bobs_engine_searches_find_nothing_of_alices
ENGINE_KEYS = {"create_api_key", "list_api_keys", "revoke_api_key", "owner_for_key"}  # tried on Alice's API key
ENGINE_REVIEWS = {"revoke_review_link", "review", "client_note"}  # tried on Alice's review link


@pytest.fixture(scope="module")
def engine(tmp_path_factory, tiny_registry):
    """Alice's session with a done round of two candidates, in a studio of its own."""
    with Store(tmp_path_factory.mktemp("engine") / "data") as store:
        studio = Studio(store, SwappedModels(tiny_registry, wrap_critic=lambda _m: ScriptedCritic(
            lambda _call, count: [50.0] * count)))
        sid = studio.start_session("alice", BRIEF).id
        events = list(studio.run_round("alice", sid, "", RoundParams(count=2, steps=1, seed=7)))
        assert events[-1].round.status is RoundStatus.DONE
        yield studio, sid


def test_every_public_engine_method_is_tried_by_the_engine_isolation_tests():
    public = {name for cls in Studio.__mro__[:-1] for name in vars(cls) if not name.startswith("_")}
    assert public == set(ENGINE_ATTEMPTS) | ENGINE_WITHOUT_A_SESSION | ENGINE_KEYS | ENGINE_REVIEWS  # a new one joins ENGINE_ATTEMPTS


@pytest.mark.parametrize("method", ENGINE_ATTEMPTS)
def test_every_engine_action_on_alices_session_is_refused_as_missing(engine, method):
    studio, sid = engine
    before = digest(studio.store.data_dir)

    with pytest.raises(StudioError, match=NO_SUCH_SESSION) as refused:
        ENGINE_ATTEMPTS[method](studio, sid)

    assert digest(studio.store.data_dir) == before
    assert sid not in str(refused.value)


def test_bob_can_neither_see_nor_revoke_alices_api_key_and_his_own_key_is_his(engine):
    studio, _sid = engine
    key, made = studio.create_api_key("alice", "render script")

    assert made.id not in repr(studio.list_api_keys("bob"))
    with pytest.raises(StudioError, match="No such API key"):
        studio.revoke_api_key("bob", made.id)
    bobs_key, _bobs = studio.create_api_key("bob", "his script")

    assert studio.owner_for_key(key) == "alice" and studio.owner_for_key(bobs_key) == "bob"
    (alices,) = studio.list_api_keys("alice")
    assert alices.id == made.id and alices.revoked is None


def test_bob_can_neither_revoke_alices_review_link_nor_note_what_it_does_not_show(engine):
    studio, sid = engine
    token, link = studio.create_review_link("alice", sid)
    before = digest(studio.store.data_dir)

    with pytest.raises(StudioError, match="no such review link"):
        studio.revoke_review_link("bob", link.id)
    with pytest.raises(StudioError, match="This link shows no candidate 1 of round 1"):  # nothing picked: none shown
        studio.client_note(token, 0, 0, 1, "mine now", "bob", "bob-browser-0123456789")

    assert digest(studio.store.data_dir) == before
    assert studio.review(token).link.revoked is None and studio.review(token).session.id == sid


def test_bobs_engine_searches_find_nothing_of_alices(engine):
    studio, sid = engine
    for query in ("jazz", "navy gold", "poster"):
        assert studio.search_text("bob", query).hits == ()
        assert studio.search_text("alice", query).hits  # the check can fail: she does find her own
    assert studio.search_images("bob", "a jazz poster").hits == ()
    assert {h.session_id for h in studio.search_images("alice", "a jazz poster").hits} == {sid}


def test_the_engine_methods_without_a_session_show_nothing_of_alices(engine):
    studio, sid = engine
    assert studio.list_sessions("bob") == []
    bobs = studio.start_session("bob", "a bakery logo")
    assert [s.id for s in studio.list_sessions("bob")] == [bobs.id]
    assert studio.round_params({"start_from": "1.1"}).from_candidate == (0, 0)  # a name, not Alice's candidate
    with pytest.raises(StudioError, match="no candidate 1 in round 1"):
        list(studio.run_round("bob", bobs.id, "", studio.round_params({"start_from": "1.1", "count": 1})))
