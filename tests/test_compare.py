"""A designer compares two candidates: their prompts, settings and scorecards side by side, the rows that differ
marked, a prompt's changed words marked one by one. Any two candidates of a session, of any rounds. Comparing
changes nothing.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from reliability.kit import digest
from studio.core.compare import FIELDS, Word, compare, word_diff
from studio.core.critique import Critique, ItemCheck
from studio.core.session import Candidate, Mark, RenderParams, Round, RoundKind, RoundStatus, Session
from studio.engine import RoundParams, Studio, StudioError
from studio.engine.compare_actions import picked
from studio.engine.events import Finished
from studio.services.sessions import Store
from studio.ui.compare_handlers import compare_with, reproduce
from studio.ui.compare_presenters import comparison_table
from studio.ui.handlers import Handlers

PARAMS = RenderParams(preset="tiny", model_ids={}, steps=2, guidance=0.0, width=64, height=64, seeds=(11, 12),
                      scheduler="EulerDiscreteScheduler")


def scorecard(verdict: str) -> Critique:
    return Critique("a poster", 61.5, 0.3, checks=(ItemCheck("a saxophone", "visual", verdict),
                                                   ItemCheck("navy and gold", "visual", "pass")))


def constructed_session() -> Session:
    """One round, two candidates alike but for the seed, one word of the prompt and the saxophone's verdict."""
    a = Candidate(0, "a.png", 11, caption="a poster", score=61.5, critique=scorecard("pass"),
                  prompt="a jazz poster, navy and gold, a saxophone")
    b = replace(a, index=1, image="b.png", seed=12, critique=scorecard("fail"),
                prompt="a jazz poster, navy and silver, a saxophone")
    r = Round(0, "the brief", RoundStatus.DONE, prompt="unused", params=PARAMS, candidates=(a, b))
    return Session("s" * 32, "alice", "Jazz", "the brief", "tiny", 0.0, rounds=(r,))


def test_compare_marks_exactly_the_seed_the_changed_prompt_word_and_the_changed_verdict():
    comparison = compare(constructed_session(), (0, 0), (0, 1))

    assert comparison.differing == ("prompt", "seed", "verdict:a saxophone")
    rows = {r.item or r.field: r for r in comparison.rows}
    assert [r.field for r in comparison.rows[:len(FIELDS)]] == list(FIELDS)  # every row, aligned, in order
    assert (rows["seed"].a, rows["seed"].b) == ("11", "12")
    assert [w.text for w in rows["prompt"].words_a if w.changed] == ["gold,"]
    assert [w.text for w in rows["prompt"].words_b if w.changed] == ["silver,"]
    assert (rows["a saxophone"].a, rows["a saxophone"].b) == ("pass", "fail")
    assert not rows["navy and gold"].differs and rows["size"].a == "64×64" and rows["score"].a == "61.5"


def test_a_word_diff_marks_added_and_removed_words_on_their_own_side():
    left, right = word_diff("a red fox at dusk", "a fox at night, minimal")

    assert left == (Word("a", False), Word("red", True), Word("fox", False), Word("at", False), Word("dusk", True))
    assert [w.text for w in right if w.changed] == ["night,", "minimal"]


def test_a_mark_a_reason_and_a_kind_differ_row_by_row():
    session = constructed_session()
    r = session.rounds[0]
    picked_one = replace(r.candidates[1], mark=Mark.PICKED, mark_reason="bolder", seed=11, critique=scorecard("pass"),
                         prompt=r.candidates[0].prompt)
    edit = replace(r, index=1, kind=RoundKind.EDIT, parent=0, candidates=(replace(picked_one, source=(0, 0)),))
    session = replace(session, rounds=(r, edit))

    comparison = compare(session, (0, 0), (1, 1))

    assert comparison.differing == ("kind", "parent", "mark", "reason")
    assert {row.field: row.b for row in comparison.rows if row.differs} == {
        "kind": "edit", "parent": "1.1", "mark": "picked", "reason": "bolder"}


def test_the_page_names_a_candidate_as_the_strip_counts():
    assert picked("compare_first", " 2.3 ") == (1, 2)
    for bad in ("0.1", "2", "2.x", "", None, 2.3, "1.1.1"):
        with pytest.raises(StudioError, match="The first candidate must name a candidate as 'round.candidate'"):
            picked("compare_first", bad)


# ---------------------------------------------------------------- through the engine
@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_registry):
    with Store(tmp_path_factory.mktemp("compare") / "data") as store:
        yield Studio(store, tiny_registry)


@pytest.fixture(scope="module")
def two_rounds(studio):
    """Alice's session with two done rounds of two candidates."""
    sid = studio.start_session("alice", "a jazz night poster, navy and gold, with a saxophone").id
    for seed in (11, 21):
        events = list(studio.run_round("alice", sid, "", RoundParams(count=2, steps=1, seed=seed)))
        assert isinstance(events[-1], Finished) and events[-1].round.status is RoundStatus.DONE
    return sid


def test_two_candidates_of_different_rounds_are_compared_with_their_images(studio, two_rounds):
    before = digest(studio.store.data_dir)

    compared = studio.compare("alice", two_rounds, (0, 1), [1, 0])

    assert digest(studio.store.data_dir) == before
    assert (compared.comparison.first, compared.comparison.second) == ((0, 1), (1, 0))
    assert compared.first.size == compared.second.size == (64, 64)
    rows = {r.field: r for r in compared.comparison.rows}
    assert (rows["seed"].a, rows["seed"].b, rows["seed"].differs) == ("12", "21", True)
    assert (rows["parent"].a, rows["parent"].b) == ("", "1")  # round 2 continues from round 1
    assert not rows["steps"].differs and not rows["preset"].differs


@pytest.mark.parametrize("first, second, refusal", [
    ((0, 0), (5, 0), "There is no round 6"), ((0, 9), (0, 0), "candidate"), ("1.1", (0, 0), "counted from 0"),
    ((0, 0), None, "counted from 0"), ((0, 0, 0), (0, 1), "counted from 0"), (("a", 0), (0, 1), "whole number")])
def test_a_pair_that_names_no_candidate_is_refused_with_nothing_changed(studio, two_rounds, first, second, refusal):
    before = digest(studio.store.data_dir)

    with pytest.raises(StudioError, match=refusal):
        studio.compare("alice", two_rounds, first, second)

    assert digest(studio.store.data_dir) == before


# ---------------------------------------------------------------- the page's handlers, in Chinese
def test_compare_with_fills_the_first_empty_side_then_shows_the_comparison(studio, two_rounds):
    h = Handlers(studio, "zh")

    one = compare_with(h, "alice", two_rounds, 1, 2, "", "")
    both = compare_with(h, "alice", two_rounds, 2, 1, one["compare_first"], one["compare_second"])
    again = compare_with(h, "alice", two_rounds, 1, 1, both["compare_first"], both["compare_second"])

    assert (one["compare_first"], one["compare_second"]) == ("1.2", "") and "1.2 已设为一侧" in one["status"]
    assert (both["compare_first"], both["compare_second"]) == ("1.2", "2.1")
    assert both["status"].startswith("正在比较 1.2 与 2.1") and ">种子 <span" in both["compare_table"]
    assert [image.size for image in both["compare_slider"]] == [(64, 64), (64, 64)]
    assert (again["compare_first"], again["compare_second"]) == ("1.2", "1.1")  # both full: the second is replaced


def test_reproduce_on_the_page_says_its_report_in_the_readers_language(studio, two_rounds):
    view = reproduce(Handlers(studio, "zh"), "alice", two_rounds, 1, 1)

    assert view["status"] == "完全一致：全部 4096 个像素与保存的图片相同。"
    report = view["reproduce_report"]
    assert report.startswith("**已按保存的配方复现 1.1**") and "预设、设备、精度" in report
    with pytest.raises(StudioError, match="Choose a candidate first"):
        reproduce(Handlers(studio), "alice", two_rounds, 1, 0)


def test_the_rows_show_peoples_words_as_text_never_as_markup():
    session = constructed_session()
    r = session.rounds[0]
    hostile = replace(r.candidates[1], prompt="<img src=x onerror=alert(1)> poster", mark_reason="<b>bold</b>")
    session = replace(session, rounds=(replace(r, candidates=(r.candidates[0], hostile)),))

    html = comparison_table(compare(session, (0, 0), (0, 1)), "en")

    assert "<img" not in html and "<b>" not in html
    assert "<mark>&lt;img</mark>" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
