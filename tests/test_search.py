"""A designer finds her work again across all her sessions: by words (English and Chinese, in briefs, prompts,
captions, critiques, reasons and notes), by a candidate ("more like this") and by words matched against images.
Search never shows another owner's work, follows every change, and a hostile query changes nothing.

Tiny models prove plumbing, never quality: the tiny scorer's vectors are random projections, so these tests check
what is found by construction (a candidate's own vector ranks it first), never what an image shows.
"""
from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from types import SimpleNamespace

import pytest

from fakes import ScriptedCritic
from reliability.kit import CHECKLIST, FastModels, digest
from studio.core import history, limits
from studio.engine import RoundParams, Studio, StudioError
from studio.engine.events import Finished
from studio.services.migrations import MIGRATIONS, search_index
from studio.services.sessions import Store
from studio.ui import search_handlers
from studio.ui.handlers import Handlers



class CaptioningCritic(ScriptedCritic):
    """Scores from a script and the captions a test wants, one list per round."""

    def __init__(self, captions: list[list[str]]):
        super().__init__(lambda _call, count: [50.0] * count)
        self.captions = captions

    def critique(self, images, request):
        found = super().critique(images, request)
        said = self.captions[(self.calls - 1) % len(self.captions)]
        return [type(k)(**{**k.__dict__, "caption": said[i]}) for i, k in enumerate(found)]


@pytest.fixture
def critic():
    return CaptioningCritic([["a saxophone on a navy ground", "a gold trumpet"], ["a lighthouse at dusk", "a fox"]])


@pytest.fixture
def studio(store, tiny_registry, critic):
    return Studio(store, FastModels(tiny_registry, wrap_critic=lambda _m: critic))


def a_session(studio, owner: str, brief: str, rounds: int = 1):
    session = studio.start_session(owner, brief)
    studio.set_checklist(owner, session.id, CHECKLIST)  # the scripted refiner writes prompts, not checklists
    for n in range(rounds):  # seeds of their own: no two candidates alike
        events = list(studio.run_round(owner, session.id, "", RoundParams(count=2, steps=1, seed=5 + 10 * n)))
        assert isinstance(events[-1], Finished) and events[-1].round.status.value == "done"
    return studio.open_session(owner, session.id)


def found(results) -> list[tuple]:
    return [(h.round, h.candidate, h.field) for h in results.hits]


def everything(store: Store) -> str:
    """The digest of the session rows and files, and of the search index and vectors: what a refusal leaves."""
    h = hashlib.sha256(digest(store.data_dir).encode())
    with contextlib.closing(sqlite3.connect(store.db_path)) as db:
        for table in ("search_docs", "candidate_vectors"):
            h.update(repr(db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()).encode())
    return h.hexdigest()


# ---------------------------------------------------------------- by words
def test_a_designer_finds_a_caption_a_prompt_a_reason_and_a_brief_by_their_words(studio):
    session = a_session(studio, "alice", "A poster for a jazz night, art deco, navy and gold")
    studio.give_feedback("alice", session.id, 0, "reject", 1, "too busy at the top")
    studio.give_feedback("alice", session.id, 0, "correction", text="make the lettering larger")

    assert found(studio.search_text("alice", "navy ground")) == [(0, 0, "caption")]  # "navy" is in the prompt too
    assert found(studio.search_text("alice", "trumpet")) == [(0, 1, "caption")]
    assert found(studio.search_text("alice", "BUSY too")) == [(0, 1, "reason")]  # any order, any case
    assert found(studio.search_text("alice", "lettering")) == [(0, None, "reason")]
    assert (0, None, "prompt") in found(studio.search_text("alice", "bold title"))  # the scripted refiner's prompt
    hit = studio.search_text("alice", "jazz night").hits[0]
    assert (hit.session_id, hit.title, hit.round, hit.candidate) == (session.id, session.title, None, None)
    assert hit.field in ("title", "brief")  # the title is the brief's first line
    assert hit.image == session.rounds[0].candidates[0].image  # a session's hit shows its newest round's image
    caption = studio.search_text("alice", "trumpet").hits[0]
    assert caption.image == session.rounds[0].candidates[1].image and "a gold trumpet" in caption.snippet
    assert studio.search_text("alice", "watercolour").hits == ()


def test_chinese_is_found_by_words_of_one_two_or_more_characters(studio):
    session = a_session(studio, "alice", "爵士之夜的海报，藏青与金色，装饰艺术风格")
    studio.rename("alice", session.id, "Jazz")
    for query in ("爵士", "海报", "爵士之夜", "藏青 金色", "夜", "装饰艺术 jazz"):
        results = studio.search_text("alice", query)
        if query.endswith("jazz"):  # every word must hold: "jazz" is in the prompt, not the brief
            assert (None, None, "brief") not in found(results)
            continue
        assert results.hits and results.hits[0].session_id == session.id, query
        assert (None, None, "brief") in found(results), query
    assert "海报" in studio.search_text("alice", "海报").hits[0].snippet


def test_a_search_follows_the_sessions_new_rounds_and_deletions(studio, critic):
    session = a_session(studio, "alice", "A poster for a jazz night")
    other = a_session(studio, "alice", "A lighthouse postcard")
    assert studio.search_text("alice", "calmer").hits == ()
    assert len(studio.search_images("alice", "a fox").hits) == 4  # the vectors are now kept between searches

    list(studio.run_round("alice", session.id, "a calmer mood", RoundParams(count=2, steps=1, seed=99)))

    assert found(studio.search_text("alice", "calmer mood")) == [(1, None, "note")]
    assert (1, 0) in [(h.round, h.candidate) for h in studio.search_images("alice", "a fox").hits]  # added since
    studio.delete("alice", session.id)
    for query in ("calmer", "trumpet", "night"):
        assert studio.search_text("alice", query).hits == ()
    assert {h.session_id for h in studio.search_images("alice", "a fox").hits} == {other.id}
    with contextlib.closing(sqlite3.connect(studio.store.db_path)) as db:
        assert db.execute("SELECT DISTINCT session_id FROM candidate_vectors").fetchall() == [(other.id,)]


def test_a_search_never_shows_another_owners_work(studio):
    alice = a_session(studio, "alice", "A poster for a jazz night, 爵士海报")
    bob = a_session(studio, "bob", "A lighthouse postcard")

    for query in ("night", "爵士", "trumpet", "海报"):  # alice's brief and caption ...
        assert studio.search_text("bob", query).hits == ()
    assert {h.session_id for h in studio.search_text("bob", "lighthouse").hits} == {bob.id}  # ... bob's own
    assert {h.session_id for h in studio.search_images("bob", "a saxophone").hits} == {bob.id}
    assert {h.session_id for h in studio.search_similar("bob", bob.id, 0, 0).hits} == {bob.id}
    with pytest.raises(StudioError, match="No such session"):
        studio.search_similar("bob", alice.id, 0, 0)


# ---------------------------------------------------------------- by image
def test_more_like_this_ranks_the_candidate_itself_first_and_images_match_words(studio):
    first = a_session(studio, "alice", "A poster for a jazz night", rounds=2)
    a_session(studio, "alice", "A lighthouse postcard")

    for round_index, candidate in ((0, 1), (1, 0)):
        results = studio.search_similar("alice", first.id, round_index, candidate, limit=3)
        top = results.hits[0]
        assert (top.session_id, top.round, top.candidate, top.field) == (first.id, round_index, candidate, "image")
        assert top.score == pytest.approx(1.0, abs=1e-4) and len(results.hits) == 3 and results.unindexed == 0
        assert [h.score for h in results.hits] == sorted((h.score for h in results.hits), reverse=True)
    matching = studio.search_images("alice", "a saxophone on a navy ground", limit=5)
    assert len(matching.hits) == 5 and all(h.image and h.field == "image" for h in matching.hits)


def test_candidates_with_no_vector_are_embedded_a_bounded_number_per_search(studio, monkeypatch):
    session = a_session(studio, "alice", "A poster for a jazz night", rounds=2)  # 4 candidates
    with contextlib.closing(sqlite3.connect(studio.store.db_path)) as db, db:
        db.execute("DELETE FROM candidate_vectors")  # as rounds stored before search existed
    monkeypatch.setattr(limits, "EMBED_PER_SEARCH", 2)

    first = studio.search_images("alice", "a lighthouse")
    second = studio.search_images("alice", "a lighthouse")

    assert (len(first.hits), first.unindexed) == (2, 2) and (len(second.hits), second.unindexed) == (4, 0)
    top = studio.search_similar("alice", session.id, 1, 1).hits[0]
    assert (top.round, top.candidate) == (1, 1)


def test_picking_a_result_opens_its_session_at_that_round_on_that_rounds_branch(studio):
    session = a_session(studio, "alice", "A poster for a jazz night", rounds=2)
    studio.switch_branch("alice", session.id, 0)  # a new branch from round 1: round 2 is on the other one
    list(studio.run_round("alice", session.id, "a calmer mood", RoundParams(count=2, steps=1, seed=99)))
    assert 1 not in {r.index for r in history.branch_rounds(studio.open_session("alice", session.id))}
    h = Handlers(studio)

    shown = search_handlers.search_similar(h, "alice", session.id, 2, 2)  # as the page counts: round 2, candidate 2
    picked = search_handlers.chosen_hit(shown["search_data"], SimpleNamespace(index=0))  # the gallery's first
    view = search_handlers.open_result(h, "alice", *picked)

    assert picked == (session.id, 2, 2) and len(shown["search_results"]) == len(shown["search_data"]) == 6
    assert (view["session_id"], view["shown_round"], view["candidate"]) == (session.id, 2, 2)
    assert history.head_index(studio.open_session("alice", session.id)) == 1  # switched to that round's branch
    whole = search_handlers.open_result(h, "alice", session.id, 0, 0)  # a session's own hit: opened as it is
    assert whole["session_id"] == session.id and "Opened" in whole["status"]


class WithholdsTheFirst:
    """A safety check that withholds each round's first candidate (a grey placeholder is stored instead)."""

    def flag(self, images) -> list[str]:
        return ["flagged for the test"] + [""] * (len(images) - 1)


def test_a_withheld_candidate_is_never_embedded_nor_found_by_image(store, tiny_registry, critic):
    studio = Studio(store, FastModels(tiny_registry, wrap_critic=lambda _m: critic), safety=WithholdsTheFirst())
    session = a_session(studio, "alice", "A poster for a jazz night", rounds=2)
    with contextlib.closing(sqlite3.connect(store.db_path)) as db, db:
        db.execute("DELETE FROM candidate_vectors WHERE round_idx = 1")  # round 2 as if stored before search

    results = studio.search_images("alice", "a grey square")

    assert sorted((h.round, h.candidate) for h in results.hits) == [(0, 1), (1, 1)] and results.unindexed == 0
    with pytest.raises(StudioError, match="withheld by the safety check"):
        studio.search_similar("alice", session.id, 1, 0)


# ---------------------------------------------------------------- what a query may be
@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "'", "jazz OR night", "caption:jazz", '"jazz" AND (', "%", "_",
                                   "\\", "a*b", "NOT", "-jazz", "^jazz"])
def test_a_hostile_query_is_answered_never_an_error_and_changes_nothing(studio, query):
    a_session(studio, "alice", "A poster for a jazz night, 100% art deco")
    before = everything(studio.store)

    results = studio.search_text("alice", query)

    assert isinstance(results.hits, tuple) and everything(studio.store) == before


def test_a_query_too_long_empty_or_of_too_many_words_is_refused_and_changes_nothing(studio):
    session = a_session(studio, "alice", "A poster for a jazz night")
    before = everything(studio.store)
    for query, said in [("x" * 10_000, "under 200"), ("   ", "is empty"), (None, "is empty"), (7, "must be text"),
                        (" ".join("abcdefghi"), "at most 8 words")]:
        with pytest.raises(StudioError, match=said):
            studio.search_text("alice", query)
    with pytest.raises(StudioError, match="under 200"):
        studio.search_images("alice", "x" * 10_000)
    for limit in (0, 10**9, "ten", 2.5):
        with pytest.raises(StudioError, match="number of results"):
            studio.search_text("alice", "jazz", limit=limit)
    with pytest.raises(StudioError, match="has 2 candidates"):
        studio.search_similar("alice", session.id, 0, 7)
    assert everything(studio.store) == before


# ---------------------------------------------------------------- an existing database
def test_a_database_from_before_search_gets_its_index_filled_from_the_stored_sessions(tmp_path, tiny_registry, critic):
    data = tmp_path / "data"
    with Store(data) as store:
        studio = Studio(store, FastModels(tiny_registry, wrap_critic=lambda _m: critic))
        session = a_session(studio, "alice", "爵士之夜的海报, a jazz night")
        studio.give_feedback("alice", session.id, 0, "pick", 0, "the saxophone's gold")
    with contextlib.closing(sqlite3.connect(data / "studio.db")) as db, db:  # back to the version before search
        for kind, name in db.execute("SELECT type, name FROM sqlite_master WHERE name LIKE 'search%'"
                                     " OR name = 'candidate_vectors'").fetchall():
            if kind in ("table", "view") and not name.startswith("search_text_"):
                db.execute(f"DROP TABLE IF EXISTS {name}")
        db.execute(f"PRAGMA user_version = {MIGRATIONS.index(search_index)}")

    with Store(data) as store:
        studio = Studio(store, FastModels(tiny_registry, wrap_critic=lambda _m: critic))
        assert (None, None) in [place[:2] for place in found(studio.search_text("alice", "海报"))]  # the brief
        assert found(studio.search_text("alice", "saxophone's gold")) == [(0, 0, "reason")]
        assert studio.search_similar("alice", session.id, 0, 1).hits[0].candidate == 1  # embedded when needed
