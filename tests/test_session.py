"""A session is plain data: it survives JSON, and the refiner's memory is built from it."""
from __future__ import annotations

import json

from studio.core.critique import Critique
from pipelines.base import Reaction
from studio.core.memory import build_memory
from studio.core.messages import Message
from studio.core.session import (
    Candidate,
    Feedback,
    FeedbackKind,
    Mark,
    RenderParams,
    Round,
    RoundStatus,
    Session,
    apply_feedback,
)
from studio.core.session_json import session_from_dict, session_to_dict


def make_params(**overrides) -> RenderParams:
    values = dict(preset="tiny", model_ids={"generator": "tiny/sd", "refiner": "tiny/llm"}, steps=4,
                  guidance=0.0, width=64, height=64, seeds=(11, 12), scheduler="euler")
    return RenderParams(**{**values, **overrides})


def make_session() -> Session:
    """A poster brief, one finished round with critiques, a second round that failed."""
    critique = Critique(caption="a red poster", score=61.5, similarity=0.27,
                        matches=("red",), missing=("the word JAZZ", "a saxophone"), summary="close")
    round0 = Round(
        index=0, message="a jazz festival poster, red and black", status=RoundStatus.DONE,
        prompt="jazz poster, bold red, black type", negative_prompt="blurry", rationale="start bold",
        params=make_params(negative_prompt="blurry"),
        candidates=(
            Candidate(index=0, image="images/s1/r0-c0.png", seed=11, caption="a red poster",
                      score=61.5, critique=critique),
            Candidate(index=1, image="images/s1/r0-c1.png", seed=12, caption="a black square",
                      score=20.0, critique=Critique(caption="a black square", score=20.0, similarity=0.1)),
        ),
        timings={"refine": 0.5, "render": 2.25}, created=100.0,
    )
    round1 = Round(index=1, message="more saxophone", status=RoundStatus.FAILED, parent=0,
                   params=make_params(strength=0.6, reference="images/s1/r0-c0.png", mask="images/s1/m.png"),
                   fallback=True, error=Message("round.out_of_memory"), created=200.0)
    return Session(id="s1", owner="ana", title="Jazz poster", brief="a jazz festival poster, red and black",
                   preset="tiny", created=100.0, updated=200.0, rounds=(round0, round1),
                   feedback=(Feedback(round_index=0, kind=FeedbackKind.CORRECTION, text="bigger type",
                                      created=150.0),),
                   parent_session="s0", parent_round=3)


def test_a_session_survives_json_without_loss():
    session = make_session()
    text = json.dumps(session_to_dict(session))
    assert session_from_dict(json.loads(text)) == session


def test_a_marked_candidate_survives_json():
    session = apply_feedback(make_session(), Feedback(0, FeedbackKind.REJECT, "too busy", candidate=1))
    assert session_from_dict(json.loads(json.dumps(session_to_dict(session)))) == session


def test_rejecting_a_candidate_marks_it_with_the_reason():
    session = apply_feedback(make_session(), Feedback(0, FeedbackKind.REJECT, "too busy", candidate=1))
    rejected = session.rounds[0].candidates[1]
    assert (rejected.mark, rejected.mark_reason) == (Mark.REJECTED, "too busy")
    assert session.rounds[0].candidates[0].mark is Mark.NONE
    assert session.feedback[-1].text == "too busy"


def test_picking_a_candidate_marks_it():
    session = apply_feedback(make_session(), Feedback(0, FeedbackKind.PICK, "strong contrast", candidate=0))
    assert session.rounds[0].candidates[0].mark is Mark.PICKED


def test_a_correction_marks_nothing():
    before = make_session()
    after = apply_feedback(before, Feedback(0, FeedbackKind.CORRECTION, "warmer colours"))
    assert after.rounds == before.rounds
    assert after.feedback[-1].text == "warmer colours"


def test_the_refiner_remembers_picks_rejections_corrections_and_failures():
    session = make_session()
    session = apply_feedback(session, Feedback(0, FeedbackKind.PICK, "strong contrast", candidate=0))
    session = apply_feedback(session, Feedback(0, FeedbackKind.REJECT, "too busy", candidate=1))
    session = apply_feedback(session, Feedback(0, FeedbackKind.CORRECTION, "add a trumpet", created=10**10))
    memory = build_memory(session)

    assert memory.brief == "a jazz festival poster, red and black"
    assert memory.picks == (Reaction(round=1, candidate=1, reason="strong contrast"),)
    assert memory.rejections == (Reaction(round=1, candidate=2, reason="too busy"),)
    assert "bigger type" in memory.corrections
    assert "more saxophone" in memory.corrections
    assert memory.corrections[-1] == "add a trumpet"  # the newest comes last
    # Failures come from the last *done* round (round 0), not the failed round 1.
    assert memory.failures == ("the word JAZZ", "a saxophone")
    assert memory.image_reports == ("a red poster", "a black square")
    assert memory.previous_prompts == ("jazz poster, bold red, black type",)
