"""The design loop, as a designer drives it through the engine: the brief becomes a checklist, every
candidate is checked against it, the studio remembers reasons and tastes, runs rounds on its own,
proposes directions, answers questions, applies styles, and keeps score of how often it agrees.

Tiny preset: random weights. Where a rule reads scores or answers, a scripted critic or captioner
(tests/fakes.py) stands in, so every assertion here can fail; nothing asserts an image is good.
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from PIL import Image

from fakes import (CriticFindingMissing, FixedScorer, PausingGenerator, PosterGenerator, RecordingCaptioner,
                   RecordingCritic, RecordingGenerator, RecordingRefiner, ScriptedCaptioner, ScriptedCritic,
                   ScriptedRefiner, SwappedModels)
from pipelines import base
from studio.core.critique import ChecklistItem, Critique, ItemCheck
from pipelines.checklist import FALLBACK_DIRECTIONS
from pipelines.critic import PREFERENCE_POINTS, ModelCritic
from studio.ui import presenters as views
from studio.ui.critique_presenters import scorecard
from studio.core import limits
from studio.engine.validation import StudioError
from studio.engine import RoundParams, Studio
from studio.engine.events import AutoProgress, AutoStopped, Finished, Planning, Rendering, RoundEvent
from studio.core.session import Candidate, FeedbackKind, Mark, Preference, Question, Round, RoundStatus, Session
from studio.core.session_json import session_to_dict
from studio.services.sessions import MIGRATIONS, Store
from studio.services.styles import load_styles

BRIEF = 'a jazz night poster that says "JAZZ NIGHT", navy and gold, with a saxophone, no people'
# What the brief's clauses become when the refiner's checklist is unusable (always, with tiny weights).
BRIEF_CHECKLIST = [('says "JAZZ NIGHT"', "text", "JAZZ NIGHT"), ("a jazz night poster", "visual", ""),
                   ("navy and gold", "visual", ""), ("a saxophone", "visual", ""), ("people", "avoid", "")]


def rising(call: int, count: int) -> list[float]:
    """Scores that climb 5 points a round; within a round the last candidate is the critic's favourite."""
    return [20.0 + 5 * call + k for k in range(count)]


def constant(call: int, count: int) -> list[float]:
    return [40.0 + k for k in range(count)]


def every_round(model):
    """A wrapper that hands the engine this one model in every round, so it can count across rounds."""
    return lambda _real: model


# ---------------------------------------------------------------- helpers
@pytest.fixture
def make_studio(store, tiny_registry):
    """make_studio(**wrappers): a studio on the tiny models, each role passed through its wrapper.

    Without a critic wrapper the critic is scripted (rising scores): the real tiny critic is slow and
    its answers are noise; the tests that are about the critic say so.
    """
    def build(**wrappers) -> Studio:
        wrappers.setdefault("wrap_critic", every_round(ScriptedCritic(rising)))
        return Studio(store, SwappedModels(tiny_registry, **wrappers))
    return build


def run(studio: Studio, owner: str, session_id: str, message: str = "", **params) -> list[RoundEvent]:
    return list(studio.run_round(owner, session_id, message, RoundParams(**params)))


def finished(events: list[RoundEvent]) -> Round:
    assert isinstance(events[-1], Finished), events[-1]
    assert events[-1].round.status is RoundStatus.DONE, events[-1].round.error
    return events[-1].round


def round_of(studio: Studio, owner: str, session_id: str, message: str = "", **params) -> Round:
    return finished(run(studio, owner, session_id, message, **params))


def items(session: Session) -> list[tuple]:
    return [(i.text, i.kind, i.quote) for i in session.checklist]


def snapshot(store: Store, session_id: str) -> str:
    """The whole stored session as json: a refused action must leave it byte for byte."""
    return json.dumps(session_to_dict(store.load_session(session_id)), sort_keys=True)


def pinning(session: Session, text: str) -> list[list]:
    """The checklist table as the page shows it, with `text`'s row pinned."""
    return [[t, kind, pinned or t == text] for t, kind, pinned in views.checklist_rows(session)]


def said(messages: list[dict], role: str) -> list[str]:
    return [m["content"] for m in messages if m["role"] == role]


def scorecard_rows(r: Round) -> list[tuple[str, float]]:
    """(candidate, score) of each scorecard row, top to bottom."""
    rows = scorecard(r).splitlines()[2:]
    return [(cells[1], float(cells[2])) for cells in (row.split(" | ") for row in rows)]


# ---------------------------------------------------------------- 1. the brief becomes a checklist
def test_the_first_round_turns_the_brief_into_a_checklist(make_studio):
    studio = make_studio()
    session = studio.start_session("alice", BRIEF)
    assert session.checklist == ()

    events = run(studio, "alice", session.id, count=1)

    finished(events)
    assert [e.what for e in events if isinstance(e, Planning)] == ["checklist"]
    stored = studio.open_session("alice", session.id)
    # The tiny refiner writes gibberish: the checklist is the brief's own clauses, and says so.
    assert stored.checklist_fallback is True
    assert items(stored) == BRIEF_CHECKLIST
    # The words the brief quotes are pinned on their own: no prompt fitting may drop them.
    assert [i.text for i in stored.checklist if i.pinned] == ['says "JAZZ NIGHT"']
    assert "split from the brief" in views.insights(stored)


def test_the_designer_edits_pins_adds_and_removes_items_and_the_studio_keeps_them(make_studio, store):
    studio = make_studio()
    session = studio.start_session("alice", BRIEF)
    round_of(studio, "alice", session.id, count=1)
    assert [row[0] for row in views.checklist_rows(studio.open_session("alice", session.id))] == \
        [text for text, _, _ in BRIEF_CHECKLIST]

    studio.set_checklist("alice", session.id, [
        ['says "JAZZ NIGHT"', "text", False],
        ["an art deco jazz poster", "visual", False],  # edited
        ["a saxophone", "visual", True],  # pinned
        ["people", "avoid", False],
        ["gold foil lines", "visual", "false"],  # added ('navy and gold' is gone)
        ["", "", False],  # the table's blank rows are dropped
        [None, None, None],
    ])

    with Store(store.data_dir) as reopened:  # what a restarted studio reads
        kept = reopened.load_session(session.id)
    assert [(i.text, i.kind, i.pinned, i.quote) for i in kept.checklist] == [
        ('says "JAZZ NIGHT"', "text", False, "JAZZ NIGHT"), ("an art deco jazz poster", "visual", False, ""),
        ("a saxophone", "visual", True, ""), ("people", "avoid", False, ""), ("gold foil lines", "visual", False, "")]
    assert kept.checklist_fallback is False  # the designer's own now

    # The next round checks against the designer's checklist; it does not write a new one.
    events = run(studio, "alice", session.id, "warmer palette", count=1)
    second = finished(events)
    assert not any(isinstance(e, Planning) for e in events)
    assert studio.open_session("alice", session.id).checklist == kept.checklist
    assert [k.item for k in second.candidates[0].critique.checks] == [i.text for i in kept.checklist]


def test_a_new_brief_keeps_only_the_pinned_items(make_studio):
    studio = make_studio()
    session = studio.start_session("alice", BRIEF)
    round_of(studio, "alice", session.id, count=1)
    studio.set_checklist("alice", session.id, pinning(studio.open_session("alice", session.id), "a saxophone"))

    edited = studio.edit_brief("alice", session.id, "a bakery logo, warm brown and cream, no text")

    assert edited.brief == "a bakery logo, warm brown and cream, no text"
    assert [(i.text, i.pinned) for i in studio.open_session("alice", session.id).checklist] == [("a saxophone", True)]


def test_with_nothing_pinned_the_round_after_a_new_brief_checks_the_new_brief(make_studio):
    studio = make_studio()
    session = studio.start_session("alice", BRIEF)
    round_of(studio, "alice", session.id, count=1)
    studio.edit_brief("alice", session.id, "a bakery logo, warm brown and cream, no text")
    assert studio.open_session("alice", session.id).checklist == ()

    round_of(studio, "alice", session.id, count=1)

    assert items(studio.open_session("alice", session.id)) == \
        [("a bakery logo", "visual", ""), ("warm brown and cream", "visual", ""), ("text", "avoid", "")]


def test_the_round_after_a_new_brief_checks_the_new_brief_beside_the_pinned_items(make_studio):
    studio = make_studio()
    session = studio.start_session("alice", BRIEF)
    round_of(studio, "alice", session.id, count=1)
    studio.set_checklist("alice", session.id, pinning(studio.open_session("alice", session.id), "a saxophone"))
    studio.edit_brief("alice", session.id, "a bakery logo, warm brown and cream, no text")

    round_of(studio, "alice", session.id, count=1)

    assert [(i.text, i.kind, i.pinned) for i in studio.open_session("alice", session.id).checklist] == [
        ("a saxophone", "visual", True), ("a bakery logo", "visual", False),
        ("warm brown and cream", "visual", False), ("text", "avoid", False)]


# ---------------------------------------------------------------- bad input changes nothing
@pytest.fixture(scope="module")
def workshop(tmp_path_factory, tiny_registry):
    """Alice's session after one round of two candidates (scripted critic), and Bob's empty one."""
    with Store(tmp_path_factory.mktemp("workshop") / "data") as store:
        studio = Studio(store, SwappedModels(tiny_registry, wrap_critic=every_round(ScriptedCritic(rising))))
        alice = studio.start_session("alice", BRIEF)
        round_of(studio, "alice", alice.id, count=2)
        bob = studio.start_session("bob", "a bakery logo")
        yield studio, alice.id, bob.id


BAD_CHECKLISTS = {
    "unknown kind": ([["a saxophone", "colour", False]], "kind is one of visual, text, avoid, not 'colour'"),
    "13 rows": ([[f"item {k}", "visual", False] for k in range(13)], "The checklist has 13 rows; keep it to 12"),
    "not a table": ("a saxophone, navy and gold", "The checklist must be a table"),
    "rows of text": (["a saxophone", "navy and gold"], "The checklist must be a table"),
    "pinned maybe": ([["a saxophone", "visual", "maybe"]], "Pinned must be true or false, not 'maybe'"),
    "201-char item": ([["x" * 201, "visual", False]], "A checklist item is 201 characters long; keep it under 200"),
}


@pytest.mark.parametrize("rows, message", BAD_CHECKLISTS.values(), ids=BAD_CHECKLISTS.keys())
def test_a_bad_checklist_is_refused_and_changes_nothing(workshop, rows, message):
    studio, alice, _ = workshop
    before = snapshot(studio.store, alice)

    with pytest.raises(StudioError, match=re.escape(message)):
        studio.set_checklist("alice", alice, rows)

    assert snapshot(studio.store, alice) == before


def test_a_checklist_of_twelve_items_of_200_characters_is_taken(workshop):
    """The refusals above are about the limits, not about any edit: right at them, the edit is kept."""
    studio, _, _ = workshop
    session = studio.start_session("alice", BRIEF)
    rows = [[f"{k:02d} " + "x" * 197, "visual", k == 0] for k in range(limits.MAX_CHECKLIST_ITEMS)]

    kept = studio.set_checklist("alice", session.id, rows)

    assert [i.text for i in kept.checklist] == [r[0] for r in rows] and kept.checklist[0].pinned
    assert studio.open_session("alice", session.id).checklist == kept.checklist


def test_another_designer_cannot_touch_the_checklist_or_the_tastes(workshop):
    studio, alice, _ = workshop
    before = snapshot(studio.store, alice)

    for action in (lambda: studio.set_checklist("bob", alice, [["mine now", "visual", True]]),
                   lambda: studio.set_preferences("bob", alice, [["mine now", "like"]]),
                   lambda: studio.edit_brief("bob", alice, "a bakery logo"),
                   lambda: studio.agreement("bob", alice)):
        with pytest.raises(StudioError, match="No such session"):
            action()

    assert snapshot(studio.store, alice) == before


# ---------------------------------------------------------------- 2. every candidate checked against the checklist
def test_every_candidate_is_checked_item_by_item_in_one_batched_vqa_call(make_studio, tiny_registry):
    captions, answers = [], []

    def recording(critic: ModelCritic) -> ModelCritic:  # the registry's real critic, its captioner observed
        return ModelCritic(RecordingCaptioner(critic.captioner, captions, answers), critic.scorer, critic.refiner,
                           critic.reader)

    studio = make_studio(wrap_critic=recording)
    session = studio.start_session("alice", BRIEF)
    studio.set_preferences("alice", session.id, [["bold type", "like"], ["too busy", "dislike"]])

    r = round_of(studio, "alice", session.id, count=3)

    checklist = studio.open_session("alice", session.id).checklist
    asked = [i for i in checklist if i.kind != "text"]
    assert len(asked) == 4  # the words "JAZZ NIGHT" are read, not asked about
    assert len(captions) == 1 and len(captions[0]) == 3
    assert len(answers) == 1  # one VQA call for the whole round ...
    images, questions = answers[0]
    per_image = len(asked) + 2  # ... every checklist item and every taste, for every candidate
    assert len(images) == len(questions) == 3 * per_image
    assert len({id(im) for im in images}) == 3
    for k in range(3):
        block = questions[k * per_image:(k + 1) * per_image]
        assert len({id(im) for im in images[k * per_image:(k + 1) * per_image]}) == 1
        assert [next(i.text for i in asked if i.text in q) for q in block[:len(asked)]] == [i.text for i in asked]
        assert "bold type" in block[-2] and "too busy" in block[-1]
    for c in studio.open_session("alice", session.id).rounds[0].candidates:
        assert [(k.item, k.kind) for k in c.critique.checks] == [(i.text, i.kind) for i in checklist]
        assert all(k.verdict in ("pass", "fail", "unsure") for k in c.critique.checks)
        text_check = c.critique.checks[0]
        assert text_check.kind == "text" and text_check.reading in ("exact", "near", "missing")
    assert r.candidates == studio.open_session("alice", session.id).rounds[0].candidates


def test_words_on_the_poster_are_read_and_a_misspelling_is_caught(make_studio, tiny_registry):
    # Candidate 1 misspells the title, candidate 2 spells it right; the VQA answers the same for both.
    critic = ModelCritic(ScriptedCaptioner(lambda place, q: "no" if "people" in q else "yes"), FixedScorer(),
                         None, tiny_registry.text_reader)
    studio = make_studio(wrap_generator=lambda g: PosterGenerator(g, ("JAZZ NIGT", "JAZZ NIGHT")),
                         wrap_critic=every_round(critic))
    session = studio.start_session("alice", BRIEF)

    r = round_of(studio, "alice", session.id, count=2)

    misspelled, spelled = (c.critique.checks[0] for c in r.candidates)
    assert (spelled.item, spelled.kind, spelled.verdict) == ('says "JAZZ NIGHT"', "text", "pass")
    assert (spelled.reading, spelled.evidence) == ("exact", "JAZZ NIGHT")
    assert misspelled.verdict == "fail"
    assert (misspelled.reading, misspelled.evidence) == ("near", "JAZZ NIGT")
    assert r.candidates[0].critique.missing == ('says "JAZZ NIGHT"',)
    # The rest is equal, so the spelling decides the ranking: the scorecard lists the best first.
    assert r.candidates[1].score > r.candidates[0].score
    assert scorecard_rows(r) == [("#2", round(r.candidates[1].score)), ("#1", round(r.candidates[0].score))]
    assert "near: read 'JAZZ NIGT'" in scorecard(r)
    assert "接近：读到「JAZZ NIGT」" in scorecard(r, lang="zh")


# ---------------------------------------------------------------- 3. memory
def test_the_refiner_hears_every_reason_correction_pin_and_failure(make_studio):
    requests = []
    critic = CriticFindingMissing(ScriptedCritic(rising, verdict="pass"), "a saxophone")
    studio = make_studio(wrap_refiner=lambda m: RecordingRefiner(m, requests), wrap_critic=every_round(critic))
    session = studio.start_session("alice", BRIEF)
    round_of(studio, "alice", session.id, count=2)

    studio.give_feedback("alice", session.id, 0, "reject", candidate=1, text="too busy")
    studio.give_feedback("alice", session.id, 0, "pick", candidate=0, text="bold type")
    studio.set_checklist("alice", session.id, pinning(studio.open_session("alice", session.id), "a saxophone"))
    second = round_of(studio, "alice", session.id, "make the title bigger", count=2)

    memory = requests[1].memory
    assert memory.failures == ("a saxophone",)
    assert memory.rejections == (base.Reaction(round=1, candidate=2, reason="too busy"),)
    assert memory.picks == (base.Reaction(round=1, candidate=1, reason="bold type"),)
    assert memory.corrections == ("make the title bigger",)
    assert memory.pinned == ('the text "JAZZ NIGHT"', "a saxophone")  # the brief's quote, pinned on its own
    assert memory.preferences == (base.Preference(liked=False, text="too busy"), base.Preference(liked=True, text="bold type"))
    assert memory.checklist == ('the text "JAZZ NIGHT"', "a jazz night poster", "navy and gold", "a saxophone",
                                "no people")
    assert requests[0].memory.pinned == ('the text "JAZZ NIGHT"',) and requests[0].memory.preferences == ()
    # The tiny refiner's reply is unusable: the composed prompt keeps the pin, the negative what was disliked.
    assert second.fallback and "a saxophone" in second.prompt
    assert "too busy" in second.negative_prompt and "people" in second.negative_prompt


FIRST_REPLY = ("PROMPT: art deco jazz poster, navy and gold, thin serif title\n"
               "NEGATIVE: clutter\nWHY: A first take on the brief.")
BOLDER_REPLY = ("PROMPT: art deco jazz poster, navy and gold, bold sans serif title\n"
                "NEGATIVE: clutter\nWHY: Bolder type, as you picked.")


def test_a_pinned_phrase_stays_in_the_prompt_when_the_refiner_leaves_it_out(make_studio, tiny_registry):
    refiner = ScriptedRefiner(tiny_registry.refiner(), (FIRST_REPLY, BOLDER_REPLY))
    studio = make_studio(wrap_refiner=every_round(refiner))
    session = studio.start_session("alice", BRIEF)
    first = round_of(studio, "alice", session.id, count=1)
    # The brief's quoted words are pinned on their own: the studio adds them where the refiner left them out.
    assert (first.prompt, first.fallback) == (
        'the text "JAZZ NIGHT", art deco jazz poster, navy and gold, thin serif title', False)
    studio.give_feedback("alice", session.id, 0, "pick", candidate=0, text="bold type")
    studio.set_checklist("alice", session.id, pinning(studio.open_session("alice", session.id), "a saxophone"))

    second = round_of(studio, "alice", session.id, "bolder type", count=1)

    assert "a saxophone" not in BOLDER_REPLY and "a saxophone" in refiner.asked[1]
    assert second.fallback is False and second.rationale == "Bolder type, as you picked."
    assert second.prompt == 'the text "JAZZ NIGHT", a saxophone, art deco jazz poster, navy and gold, bold sans serif title'

    # The conversation shows what changed from the last prompt, and why.
    reply = said(views.conversation(studio.open_session("alice", session.id)), "assistant")[1]
    assert reply.startswith("**Round 2**")
    assert "~~thin~~" in reply and "**bold sans**" in reply and "**a saxophone,**" in reply
    assert "*Why: Bolder type, as you picked.*" in reply


def test_a_style_wraps_the_prompt_and_the_pinned_phrase_survives_it(make_studio):
    studio = make_studio(wrap_refiner=lambda real: ScriptedRefiner(real, (BOLDER_REPLY,)))
    session = studio.start_session("alice", BRIEF)
    round_of(studio, "alice", session.id, count=1)
    studio.set_checklist("alice", session.id, pinning(studio.open_session("alice", session.id), "a saxophone"))
    style = studio.styles["art-deco"]

    styled = round_of(studio, "alice", session.id, "art deco, please", count=1, style="art-deco")

    assert styled.style == style.name
    phrases = [p.strip() for p in style.prompt.replace("{prompt}", "").split(",") if p.strip()]
    assert len(phrases) >= 3 and all(p in styled.prompt for p in phrases), styled.prompt
    assert "a saxophone" in styled.prompt and "bold sans serif title" in styled.prompt
    assert all(p.strip() in styled.negative_prompt for p in style.negative.split(","))
    assert f"style *{style.name}*" in said(views.conversation(studio.open_session("alice", session.id)),
                                           "assistant")[1]


# ---------------------------------------------------------------- 4. designer memory: tastes
def test_reasons_on_picks_and_rejections_become_tastes_the_designer_can_edit(make_studio):
    studio = make_studio()
    session = studio.start_session("alice", BRIEF)
    round_of(studio, "alice", session.id, count=2)

    studio.give_feedback("alice", session.id, 0, "reject", candidate=1, text="too busy")
    studio.give_feedback("alice", session.id, 0, "pick", candidate=0, text="bold type")
    studio.give_feedback("alice", session.id, 0, "correction", text="warmer palette")  # a correction is no taste

    stored = studio.open_session("alice", session.id)
    assert stored.preferences == (Preference("too busy", "dislike", "1.2"),
                                  Preference("bold type", "like", "1.1"))
    assert views.preference_rows(stored) == [["too busy", "dislike"], ["bold type", "like"]]

    edited = studio.set_preferences("alice", session.id, [
        ["too busy", "dislike"], ["bold type", "dislike"], ["gold foil", "like"], ["", ""]])  # 'bold type' flipped

    assert edited.preferences == (Preference("too busy", "dislike", "1.2"),
                                  Preference("bold type", "dislike", "1.1"),
                                  Preference("gold foil", "like"))
    assert studio.open_session("alice", session.id).preferences == edited.preferences
    with pytest.raises(StudioError, match="'like' or a 'dislike', not 'love'"):
        studio.set_preferences("alice", session.id, [["serif type", "love"]])
    assert studio.open_session("alice", session.id).preferences == edited.preferences


def test_tastes_reach_the_critic_and_a_disliked_look_ranks_lower(make_studio):
    requests = []
    # The VQA finds candidate 1 too busy, and nothing else differs between the candidates.
    captioner = ScriptedCaptioner(lambda place, q: "yes" if "too busy" in q and place == 0 else
                                  "no" if "too busy" in q or "bold type" in q or "people" in q else "yes")
    critic = RecordingCritic(ModelCritic(captioner, FixedScorer(), None, None), requests)
    studio = make_studio(wrap_critic=every_round(critic))
    session = studio.start_session("alice", BRIEF)
    studio.set_preferences("alice", session.id, [["too busy", "dislike"], ["bold type", "like"]])

    r = round_of(studio, "alice", session.id, count=2)

    assert (requests[0].prefer, requests[0].avoid) == (("bold type",), ("too busy",))
    busy, calm = r.candidates
    assert busy.critique.preference_hits == ("- too busy",) and calm.critique.preference_hits == ()
    assert busy.score == pytest.approx(calm.score - PREFERENCE_POINTS)
    assert [c for c, _ in scorecard_rows(r)] == ["#2", "#1"]


# ---------------------------------------------------------------- 5. auto-rounds
def auto(studio: Studio, owner: str, session_id: str, rounds: int, **params) -> list[RoundEvent]:
    return list(studio.run_auto(owner, session_id, rounds, RoundParams(**params)))


def test_auto_rounds_run_k_rounds_and_keep_each_rounds_best_candidate(make_studio):
    studio = make_studio(wrap_critic=every_round(ScriptedCritic(rising)))
    session = studio.start_session("alice", BRIEF)

    events = auto(studio, "alice", session.id, 3, count=2)

    progress = [e for e in events if isinstance(e, AutoProgress)]
    # rising(): round r's best is 20 + 5r + 1 (the second candidate)
    assert [(e.number, e.total, e.best_score) for e in progress] == [(1, 3, None), (2, 3, 26.0), (3, 3, 31.0)]
    assert progress[1].message == "Auto-round 2/3, best score so far 26"
    stopped = events[-1]
    assert isinstance(stopped, AutoStopped) and sum(isinstance(e, AutoStopped) for e in events) == 1
    assert (stopped.reason, stopped.best_score) == ("all 3 rounds ran", 36.0)
    assert stopped.message == "Auto-rounds stopped: all 3 rounds ran."
    stored = studio.open_session("alice", session.id)
    assert [(r.index, r.status) for r in stored.rounds] == [(k, RoundStatus.DONE) for k in range(3)]
    assert [[c.mark for c in r.candidates] for r in stored.rounds] == [[Mark.NONE, Mark.PICKED]] * 3
    assert [(f.round_index, f.kind, f.candidate, f.text, f.auto) for f in stored.feedback] == \
        [(k, FeedbackKind.PICK, 1, "", True) for k in range(3)]
    # The studio's own picks are no taste of the designer's, and no agreement with them.
    assert stored.preferences == ()
    assert studio.agreement("alice", session.id).total == 0
    assert not any("Picked" in m for m in said(views.conversation(stored), "user"))
    # Stored as data (no reason); the candidate panel says whose pick it was, in the reader's language.
    best = stored.rounds[0].candidates[1]
    assert "picked: the studio's own pick (best score)" in views.candidate_info(stored.rounds[0], best)
    assert "工作室自己选的" in views.candidate_info(stored.rounds[0], best, lang="zh")


def test_an_auto_round_is_stored_and_shown_as_the_studios_own(make_studio):
    studio = make_studio()
    session = studio.start_session("alice", BRIEF)

    events = auto(studio, "alice", session.id, 2, count=1)

    assert [e.round.auto for e in events if isinstance(e, Finished)] == [True, True]
    stored = studio.open_session("alice", session.id)
    assert [r.auto for r in stored.rounds] == [True, True]
    assert views.round_details(stored.rounds[-1])["auto"] is True
    assert all("(auto)" in m for m in said(views.conversation(stored), "assistant"))


def test_auto_rounds_stop_once_every_checklist_item_passes(make_studio):
    studio = make_studio(wrap_critic=every_round(ScriptedCritic(rising, verdict="pass")))
    session = studio.start_session("alice", BRIEF)

    events = auto(studio, "alice", session.id, 3, count=2)

    assert events[-1].reason == "every checklist item passes"
    assert events[-1].message == "Auto-rounds stopped: every checklist item passes."
    assert len(studio.open_session("alice", session.id).rounds) == 1


def test_auto_rounds_stop_when_the_best_score_stops_improving(make_studio):
    studio = make_studio(wrap_critic=every_round(ScriptedCritic(constant)))
    session = studio.start_session("alice", BRIEF)

    events = auto(studio, "alice", session.id, 5, count=2)

    assert (events[-1].reason, events[-1].best_score) == ("the best score stopped improving", 41.0)
    assert [r.status for r in studio.open_session("alice", session.id).rounds] == [RoundStatus.DONE] * 2


def test_stop_during_auto_rounds_interrupts_the_round_and_keeps_the_earlier_ones(make_studio, tiny_registry):
    paused, go_on = threading.Event(), threading.Event()
    pausing = PausingGenerator(tiny_registry.generator(), paused, go_on, number=2)  # in the second round
    studio = make_studio(wrap_generator=every_round(pausing))
    session = studio.start_session("alice", BRIEF)

    events = []
    for event in studio.run_auto("alice", session.id, 3, RoundParams(count=2)):
        events.append(event)
        if isinstance(event, Rendering) and event.round_index == 1 and not go_on.is_set():
            assert paused.wait(10)
            first_round = studio.open_session("alice", session.id).rounds[0]
            assert studio.cancel("alice", session.id) is True
            go_on.set()

    assert go_on.is_set()
    assert (events[-1].reason, events[-1].message) == ("stopped by the designer",
                                                       "Auto-rounds stopped: stopped by the designer.")
    stored = studio.open_session("alice", session.id)
    assert [(r.index, r.status) for r in stored.rounds] == [(0, RoundStatus.DONE), (1, RoundStatus.INTERRUPTED)]
    assert stored.rounds[0] == first_round  # nothing lost: candidates, critiques and the auto pick
    assert all(Path(studio.store.image_path(c.image)).is_file() for c in first_round.candidates)
    assert studio.cancel("alice", session.id) is False
    assert round_of(studio, "alice", session.id, count=1).index == 2  # and the session goes on


# ---------------------------------------------------------------- 6. directions
def test_inspire_me_renders_one_candidate_per_direction_in_one_call(make_studio):
    renders, requests = [], []
    studio = make_studio(wrap_generator=lambda g: RecordingGenerator(g, renders),
                         wrap_refiner=lambda m: RecordingRefiner(m, requests))
    session = studio.start_session("alice", BRIEF)

    events = run(studio, "alice", session.id, directions=3)

    r = finished(events)
    assert [e.what for e in events if isinstance(e, Planning)] == ["checklist", "directions"]
    fallback = dict(FALLBACK_DIRECTIONS)
    labels = [c.label for c in r.candidates]
    assert len(labels) == 3 and len(set(labels)) == 3 and set(labels) <= set(fallback)
    for c in r.candidates:
        assert all(phrase.strip() in c.prompt for phrase in fallback[c.label].split(","))
        assert c.prompt != r.prompt
    assert len(renders) == 1 and renders[0].prompts == tuple(c.prompt for c in r.candidates)
    assert len(renders[0].seeds) == 3
    assert "**Directions:** 1. *" in said(views.conversation(studio.open_session("alice", session.id)),
                                          "assistant")[0]

    studio.give_feedback("alice", session.id, 0, "pick", candidate=2, text="painterly warmth")
    round_of(studio, "alice", session.id, count=1)

    memory = requests[1].memory
    assert memory.previous_prompts[-1] == r.candidates[2].prompt
    assert memory.picks == (base.Reaction(round=1, candidate=3, reason="painterly warmth", prompt=r.candidates[2].prompt,
                                     direction=labels[2]),)


def test_a_picked_direction_is_where_the_next_round_continues_not_every_round_after(make_studio):
    requests = []
    studio = make_studio(wrap_refiner=lambda m: RecordingRefiner(m, requests))
    session = studio.start_session("alice", BRIEF)
    r = round_of(studio, "alice", session.id, directions=2)
    studio.give_feedback("alice", session.id, 0, "pick", candidate=1)
    second = round_of(studio, "alice", session.id, "warmer palette", count=1)

    round_of(studio, "alice", session.id, "bigger title", count=1)

    assert requests[1].memory.previous_prompts[-1] == r.candidates[1].prompt
    assert second.prompt != r.candidates[1].prompt
    assert requests[2].memory.previous_prompts[-1] == second.prompt  # oldest first: round 2 came after the pick


# ---------------------------------------------------------------- 7. asking about a candidate
def test_a_question_about_a_candidate_is_answered_and_kept_in_the_conversation(make_studio, tiny_registry):
    answers = []
    studio = make_studio(wrap_captioner=lambda m: RecordingCaptioner(m, [], answers))
    session = studio.start_session("alice", BRIEF)
    r = round_of(studio, "alice", session.id, count=2)

    asked = studio.ask("alice", session.id, 0, 1, "is the text readable?")

    assert (asked.round_index, asked.candidate, asked.question) == (0, 1, "is the text readable?")
    (images,), questions = answers[0][0], answers[0][1]
    assert questions == ["is the text readable?"] and len(answers) == 1
    with Image.open(studio.store.image_path(r.candidates[1].image)) as shown:
        assert images.tobytes() == shown.convert("RGB").tobytes()  # the candidate asked about, not another
    assert asked.answer == tiny_registry.captioner().answer([images], questions)[0]
    stored = studio.open_session("alice", session.id)
    assert stored.questions == (asked,)
    chat = views.conversation(stored)
    assert chat[-2:] == [{"role": "user", "content": "About candidate 2 of round 1: is the text readable?"},
                         {"role": "assistant", "content": f"*Answer:* {asked.answer}"}]


BAD_QUESTIONS = {
    "empty question": (lambda s, a: s.ask("alice", a, 0, 0, "  "), "Your question is empty"),
    "huge question": (lambda s, a: s.ask("alice", a, 0, 0, "why " * 100), "Your question is 399 characters"),
    "unknown candidate": (lambda s, a: s.ask("alice", a, 0, 9, "is it blue?"), "Round 1 has 2 candidates: choose 1"),
    "unknown round": (lambda s, a: s.ask("alice", a, 4, 0, "is it blue?"), "no round 5"),
    "candidate as text": (lambda s, a: s.ask("alice", a, 0, "1", "is it blue?"), "must be a whole number"),
    "another owner": (lambda s, a: s.ask("bob", a, 0, 0, "is it blue?"), "No such session"),
}


@pytest.mark.parametrize("action, message", BAD_QUESTIONS.values(), ids=BAD_QUESTIONS.keys())
def test_a_bad_question_is_refused_and_changes_nothing(workshop, action, message):
    studio, alice, _ = workshop
    before = snapshot(studio.store, alice)

    with pytest.raises(StudioError, match=message):
        action(studio, alice)

    assert snapshot(studio.store, alice) == before


# ---------------------------------------------------------------- 8. styles
def test_the_styles_on_offer_each_have_a_place_for_the_prompt():
    styles = load_styles()

    assert len(styles) >= 12
    for key, style in styles.items():
        assert style.key == key and style.name and "{prompt}" in style.prompt
        assert style.apply("a saxophone").count("a saxophone") == 1 and "{prompt}" not in style.apply("x")


def test_a_style_file_without_a_place_for_the_prompt_is_refused(tmp_path):
    (tmp_path / "broken.json").write_text(json.dumps({"name": "Broken", "prompt": "art deco poster"}))

    with pytest.raises(ValueError, match="broken.json: its prompt must contain"):
        load_styles(tmp_path)


def test_an_unknown_style_is_refused_with_the_choices(workshop):
    studio, alice, _ = workshop
    before = snapshot(studio.store, alice)

    with pytest.raises(StudioError, match="There is no style 'vaporwave'") as refused:
        run(studio, "alice", alice, style="vaporwave")
    with pytest.raises(StudioError, match="There is no style 'vaporwave'"):
        studio.run_auto("alice", alice, 2, RoundParams(style="vaporwave"))

    assert all(key in str(refused.value) for key in studio.styles)
    assert snapshot(studio.store, alice) == before


def test_a_refusal_quotes_a_huge_input_only_in_part(workshop):
    studio, alice, _ = workshop

    with pytest.raises(StudioError) as refused:
        run(studio, "alice", alice, style="v" * 100_000)

    message = str(refused.value)
    assert message.startswith("There is no style 'vvvv") and "(100,002 characters)" in message
    assert len(message) < 400 and all(key in message for key in studio.styles)


def test_a_styles_suggested_guidance_fills_in_only_what_the_designer_left_open(make_studio):
    studio = make_studio()
    key, style = next((k, s) for k, s in studio.styles.items() if "guidance" in s.suggested)
    assert style.suggested["guidance"] != studio.preset.guidance
    session = studio.start_session("alice", BRIEF)

    suggested = round_of(studio, "alice", session.id, count=1, style=key)
    chosen = round_of(studio, "alice", session.id, count=1, style=key, guidance=1.0)
    plain = round_of(studio, "alice", session.id, count=1)

    assert (suggested.style, suggested.params.guidance) == (style.name, style.suggested["guidance"])
    assert (chosen.style, chosen.params.guidance) == (style.name, 1.0)
    assert (plain.style, plain.params.guidance) == ("", studio.preset.guidance)


# ---------------------------------------------------------------- 9. agreement
def test_the_studio_counts_how_often_the_critic_ranked_the_designers_pick_first(make_studio):
    # Scores 10, 30, 20: the critic's favourite is always candidate 2.
    studio = make_studio(wrap_critic=every_round(ScriptedCritic(lambda call, n: [10.0, 30.0, 20.0][:n])))
    session = studio.start_session("alice", BRIEF)
    assert studio.agreement("alice", session.id).line.startswith("No picks yet")
    round_of(studio, "alice", session.id, count=3)
    studio.give_feedback("alice", session.id, 0, "pick", candidate=1, text="bold type")  # the critic's favourite
    round_of(studio, "alice", session.id, count=3)
    studio.give_feedback("alice", session.id, 1, "pick", candidate=0)  # not the critic's
    studio.give_feedback("alice", session.id, 1, "reject", candidate=1, text="too busy")  # no pick: not counted
    auto(studio, "alice", session.id, 1, count=3)  # the studio's own pick: not counted

    found = studio.agreement("alice", session.id)

    assert (found.agreed, found.total) == (1, 2)
    assert found.disagreements == ("round 2: you picked 1, the critic ranked 2 first",)
    assert found.line == "The critic ranked your pick first 1 of 2 times."
    assert views.insights(studio.open_session("alice", session.id)).splitlines()[:2] == [
        found.line, "- round 2: you picked 1, the critic ranked 2 first"]


# ---------------------------------------------------------------- 10. the store
def test_a_database_from_before_the_design_loop_opens_and_its_sessions_load(tmp_path):
    with sqlite3.connect(tmp_path / "studio.db") as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO sessions (id, owner, title, brief, preset, created, updated, feedback)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ("a" * 32, "alice", "Jazz", BRIEF, "tiny", 1.0, 2.0, "[]"))
    db.close()

    with Store(tmp_path) as store:
        old = store.load_session("a" * 32)
    with sqlite3.connect(tmp_path / "studio.db") as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        columns = [row[1] for row in db.execute("PRAGMA table_info(sessions)")]
    db.close()

    assert version == len(MIGRATIONS) and "design" in columns
    assert (old.owner, old.title, old.brief, old.updated) == ("alice", "Jazz", BRIEF, 2.0)
    assert (old.checklist, old.checklist_fallback, old.preferences, old.questions) == ((), False, (), ())


def test_a_session_with_its_design_memory_survives_save_and_load(tmp_path):
    critique = Critique(caption="a navy poster", score=62.0, similarity=0.3, missing=('says "JAZZ NIGHT"',),
                        checks=(ItemCheck('says "JAZZ NIGHT"', "text", "fail", "near: read 'JAZZ NIGT'"),
                                ItemCheck("a saxophone", "visual", "pass", "yes")),
                        preference_hits=("- too busy",))
    session = Session(
        id="b" * 32, owner="alice", title="Jazz", brief=BRIEF, preset="tiny", created=1.0, updated=3.0,
        rounds=(Round(index=0, message=BRIEF, status=RoundStatus.DONE, prompt="jazz poster", style="Art deco",
                      auto=True, candidates=(Candidate(0, "images/x/r0-c0.png", 7, score=62.0, critique=critique,
                                                       label="Painterly", prompt="gouache, jazz poster"),)),),
        checklist=(ChecklistItem('says "JAZZ NIGHT"', "text", quote="JAZZ NIGHT"),
                   ChecklistItem("a saxophone", pinned=True), ChecklistItem("people", "avoid")),
        checklist_fallback=True,
        preferences=(Preference("too busy", "dislike", "1.2"), Preference("gold foil", "like")),
        questions=(Question(0, 0, "is the text readable?", "no", 2.5),))

    with Store(tmp_path) as store:
        store.save_session(session)
    with Store(tmp_path) as store:
        assert store.load_session(session.id) == session
