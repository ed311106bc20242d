"""A designer's history is a tree: branch from any round, switch, undo, redo. Each branch keeps its own conversation,
checklist and tastes, and the refiner reads the branch it is on. Nothing is ever deleted.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from fakes import RecordingRefiner, ScriptedCritic, SwappedModels
from studio.core import history
from studio.core.critique import ChecklistItem
from studio.core.memory import build_memory
from studio.core.session import Round, RoundStatus, Session
from studio.engine import RoundParams, Studio, StudioError
from studio.engine.events import Finished
from reliability.kit import digest

BRIEF = "a jazz night poster, navy and gold, with a saxophone"
QUICK = RoundParams(count=2, steps=1, seed=5)


def rising(calls, count):
    return [50.0 + calls + i for i in range(count)]


@pytest.fixture
def recorded(store, tiny_registry):
    """A studio whose refiner writes down what it was told; the critic is scripted (fast)."""
    requests = []
    studio = Studio(store, SwappedModels(tiny_registry, wrap_refiner=lambda m: RecordingRefiner(m, requests),
                                         wrap_critic=lambda m: ScriptedCritic(rising)))
    return studio, requests


def finished(events) -> Round:
    events = list(events)
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1].round


def two_rounds(studio: Studio) -> Session:
    """Round 1 from the brief; round 2 after a correction and a rejection with a reason."""
    session = studio.start_session("alice", BRIEF)
    finished(studio.run_round("alice", session.id, "", QUICK))
    studio.give_feedback("alice", session.id, 0, "reject", 1, "too busy")
    finished(studio.run_round("alice", session.id, "make it warmer", QUICK))
    return studio.open_session("alice", session.id)


def test_switching_to_an_earlier_round_starts_a_branch_whose_next_round_forgets_the_other_branch(recorded):
    studio, requests = recorded
    session = two_rounds(studio)
    studio.set_checklist("alice", session.id, [["a saxophone", "visual", True], ["warm light", "visual", False]])

    studio.switch_branch("alice", session.id, 0)
    branch = finished(studio.run_round("alice", session.id, "make it colder", QUICK))

    assert (branch.index, branch.parent) == (2, 0)
    told = requests[-1].memory
    assert "make it colder" in told.corrections and "make it warmer" not in told.corrections
    assert [r.reason for r in told.rejections] == ["too busy"]  # round 1's reaction is on this branch too
    now = studio.open_session("alice", session.id)
    assert [r.index for r in history.branch_rounds(now)] == [0, 2] and len(now.rounds) == 3  # nothing deleted
    # The checklist edited on the other branch stays there: this one has round 1's.
    assert "warm light" not in [i.text for i in now.checklist]

    studio.switch_branch("alice", session.id, 1)

    back = studio.open_session("alice", session.id)
    assert [i.text for i in back.checklist] == ["a saxophone", "warm light"]
    assert [r.index for r in history.branch_rounds(back)] == [0, 1]
    assert "make it warmer" in build_memory(back).corrections and "make it colder" not in build_memory(back).corrections


def test_undo_steps_back_to_the_round_before_and_redo_brings_it_back_deleting_nothing(recorded, store):
    studio, _ = recorded
    session = two_rounds(studio)

    undone = studio.undo("alice", session.id)
    assert history.head_index(undone) == 0 and [r.index for r in history.branch_rounds(undone)] == [0]
    assert len(undone.rounds) == 2 and undone.redo == (1,)
    emptied = studio.undo("alice", session.id)
    assert history.head_index(emptied) is None and history.branch_rounds(emptied) == ()
    before = digest(store.data_dir)
    with pytest.raises(StudioError, match="no round to undo"):
        studio.undo("alice", session.id)
    assert digest(store.data_dir) == before

    assert history.head_index(studio.redo("alice", session.id)) == 0
    redone = studio.redo("alice", session.id)
    assert history.head_index(redone) == 1 and redone.redo == ()
    with pytest.raises(StudioError, match="nothing to redo"):
        studio.redo("alice", session.id)


def test_a_round_run_after_an_undo_is_a_new_branch_and_clears_redo(recorded):
    studio, _ = recorded
    session = two_rounds(studio)
    studio.undo("alice", session.id)

    again = finished(studio.run_round("alice", session.id, "make it brighter", QUICK))

    now = studio.open_session("alice", session.id)
    assert again.parent == 0 and now.redo == () and history.head_index(now) == again.index
    with pytest.raises(StudioError, match="nothing to redo"):
        studio.redo("alice", session.id)
    rows = history.tree(now)
    assert [(row.round.index, row.depth, row.on_branch, row.head) for row in rows] == [
        (0, 0, True, False), (1, 0, False, False), (2, 1, True, True)]


def test_a_failed_round_stays_on_its_branch_where_it_happened():
    def r(index, parent, status=RoundStatus.DONE):
        return Round(index=index, message="", status=status, parent=parent)
    session = Session("s", "alice", "t", BRIEF, "tiny", 0.0,
                      rounds=(r(0, None), r(1, 0, RoundStatus.FAILED), r(2, 0), r(3, 2, RoundStatus.INTERRUPTED)))

    assert [x.index for x in history.branch_rounds(session)] == [0, 1, 2, 3]  # the newest is the head
    assert [x.index for x in history.branch_rounds(replace(session, head=2))] == [0, 1, 2]
    assert [x.index for x in history.branch_rounds(history.undone(session))] == [0, 1, 2]


def test_switching_is_refused_for_a_missing_round_and_for_another_designer_changing_nothing(recorded, store):
    studio, _ = recorded
    session = two_rounds(studio)
    before = digest(store.data_dir)

    for bad in (7, -1, "one", None, 1.5):
        with pytest.raises(StudioError):
            studio.switch_branch("alice", session.id, bad)
    with pytest.raises(StudioError, match="No such session"):
        studio.switch_branch("bob", session.id, 0)
    for move in (studio.undo, studio.redo):
        with pytest.raises(StudioError, match="No such session"):
            move("bob", session.id)

    assert digest(store.data_dir) == before


def test_a_branch_keeps_its_own_brief_checklist_and_tastes():
    items = (ChecklistItem("a saxophone", "visual", True),)
    session = Session("s", "alice", "t", BRIEF, "tiny", 0.0, checklist=items,
                      rounds=(Round(0, BRIEF, RoundStatus.DONE), Round(1, "", RoundStatus.DONE, parent=0)))

    on_first = history.switched(session, 0)  # round 1 keeps what it had; round 1's branch had nothing else yet
    assert (on_first.brief, on_first.checklist) == (BRIEF, items)
    on_first = replace(on_first, brief="a jazz poster, all in red", checklist=())  # edited on this branch

    back = history.switched(on_first, 1)
    assert (back.brief, back.checklist) == (BRIEF, items)
    again = history.switched(back, 0)
    assert (again.brief, again.checklist) == ("a jazz poster, all in red", ())


def test_a_branch_begun_afresh_after_undoing_every_round_reads_the_designers_words():
    session = Session("s", "alice", "t", BRIEF, "tiny", 0.0, head=1, rounds=(
        Round(0, BRIEF, RoundStatus.DONE, created=1.0), Round(1, "a bolder take", RoundStatus.DONE, created=2.0)))

    assert build_memory(session).corrections == ("a bolder take",)
    assert build_memory(replace(session, head=0)).corrections == ()  # round 1's words are the brief


def test_the_tree_reads_as_one_line_per_round_with_forks_marked_in_the_readers_language():
    from studio.ui.history_presenters import tree_view

    session = Session("s", "alice", "t", BRIEF, "tiny", 0.0, head=2, rounds=(
        Round(0, BRIEF, RoundStatus.DONE), Round(1, "make it warmer", RoundStatus.DONE, parent=0),
        Round(2, "make it colder", RoundStatus.FAILED, parent=0)))

    assert tree_view(session, "en").constructor_args["choices"] == [
        ("● 1 · a jazz night poster, navy and gold, with a saxo…", 1), ("○ 2 · make it warmer", 2),
        ("╰ ● 3 failed · make it colder ↳ from 1", 3)]
    assert tree_view(session, "zh").constructor_args["choices"][2] == ("╰ ● 3 失败 · make it colder ↳ 接第 1 轮", 3)
