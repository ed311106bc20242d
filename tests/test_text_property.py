"""Any text, of any length up to each field's limit, into every text field of every action, through the engine and
the tiny models (issue 14): each call ends in a `done` round (or an answer) or a clear refusal, never a failed round
or a tensor error.

The texts mix every Unicode category (surrogates, controls, bidi overrides and noncharacters too) with CJK, emoji
sequences and combining marks, at lengths drawn up to a little past each limit. The examples are derandomized: the
same ones run every time, so the suite is not flaky; run with DC_TEXT_EXAMPLES=200 to explore further.
Tiny models have random weights: nothing here says what a round shows, only that it ends well.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from studio.core import limits
from studio.core.params import RoundParams
from studio.core.session import RoundStatus
from studio.engine.events import Finished
from studio.engine.validation import StudioError
from studio.services.sessions import Store

EXAMPLES = int(os.environ.get("DC_TEXT_EXAMPLES", "6"))
PIECES = ["爵士之夜", "，", "。", "「", "」", "👩\u200d🎤", "🇨🇳", "e\u0301", "\u202e", "\u2066", "\ufdd0", "\x00",
          "\n", " ", "JAZZ", "PROMPT:", "<data>", "</data>", "says ", '"', "'", "not ", "no ", "不要"]
OWNER = "prop"


def texts(limit: int):
    """Text of about 0 to `limit` + 20 characters: single code points of every category, and whole pieces."""
    piece = st.one_of(st.characters(exclude_categories=()), st.sampled_from(PIECES))
    return st.integers(0, limit + 20).flatmap(lambda n: st.lists(piece, min_size=n, max_size=n)).map("".join)


def thorough(test):
    return settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])(test)


def refused_or(action):
    """What `action` returns, or None when the engine refused it with a message a person can read."""
    try:
        return action()
    except StudioError as error:
        message = str(error)
        assert message and "tensor" not in message.lower() and "Traceback" not in message
        return None


def round_of(studio, session_id: str, text: str = "", **params):
    settings_ = dict(count=2, steps=1, width=64, height=64, seed=7) | params
    events = studio.run_round(OWNER, session_id, text, RoundParams(**settings_))
    return next(e.round for e in events if isinstance(e, Finished))


def assert_done(r) -> None:
    assert r.status is RoundStatus.DONE and not r.error, (r.status, r.error)


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_registry):
    from studio.engine import Studio

    with Store(tmp_path_factory.mktemp("property") / "data") as store:
        yield Studio(store, tiny_registry)


@pytest.fixture(scope="module")
def session_id(studio) -> str:
    """A session with one done round of two candidates: every action below has something to act on."""
    session = studio.start_session(OWNER, 'a poster for a jazz night that says "JAZZ", navy and gold')
    assert_done(round_of(studio, session.id))
    return session.id


@thorough
@given(brief=texts(limits.MAX_BRIEF_CHARS))
def test_any_brief(studio, brief):
    session = refused_or(lambda: studio.start_session(OWNER, brief))
    if session is not None:
        assert_done(round_of(studio, session.id))


@thorough
@given(brief=texts(limits.MAX_BRIEF_CHARS))
def test_any_new_brief(studio, session_id, brief):
    if refused_or(lambda: studio.edit_brief(OWNER, session_id, brief)) is not None:
        assert_done(round_of(studio, session_id))


@thorough
@given(correction=texts(limits.MAX_MESSAGE_CHARS))
def test_any_correction_with_the_round(studio, session_id, correction):
    r = refused_or(lambda: round_of(studio, session_id, correction))
    if r is not None:
        assert_done(r)


@thorough
@given(correction=texts(limits.MAX_MESSAGE_CHARS))
def test_any_correction_given_before_the_round(studio, session_id, correction):
    if refused_or(lambda: studio.give_feedback(OWNER, session_id, 0, "correction", text=correction)) is not None:
        assert_done(round_of(studio, session_id))


@thorough
@given(reason=texts(limits.MAX_MESSAGE_CHARS), kind=st.sampled_from(["pick", "reject"]))
def test_any_reason_for_a_pick_or_a_rejection(studio, session_id, reason, kind):
    if refused_or(lambda: studio.give_feedback(OWNER, session_id, 0, kind, candidate=1, text=reason)) is not None:
        assert_done(round_of(studio, session_id))


@thorough
@given(question=texts(limits.MAX_QUESTION_CHARS))
def test_any_question(studio, session_id, question):
    asked = refused_or(lambda: studio.ask(OWNER, session_id, 0, 1, question))
    if asked is not None:
        assert isinstance(asked.answer, str)


@thorough
@given(item=texts(limits.MAX_ITEM_CHARS), kind=st.sampled_from(["visual", "text", "avoid"]), pinned=st.booleans())
def test_any_checklist_item(studio, session_id, item, kind, pinned):
    rows = [[item, kind, pinned], ["navy and gold", "visual", False]]
    if refused_or(lambda: studio.set_checklist(OWNER, session_id, rows)) is not None:
        assert_done(round_of(studio, session_id))


@thorough
@given(taste=texts(limits.MAX_MESSAGE_CHARS), polarity=st.sampled_from(["like", "dislike"]))
def test_any_preference(studio, session_id, taste, polarity):
    if refused_or(lambda: studio.set_preferences(OWNER, session_id, [[taste, polarity]])) is not None:
        assert_done(round_of(studio, session_id))


@settings(max_examples=EXAMPLES * 5, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(title=texts(limits.MAX_TITLE_CHARS))
def test_any_title(studio, session_id, title):
    renamed = refused_or(lambda: studio.rename(OWNER, session_id, title))
    if renamed is not None:
        assert renamed.title and studio.open_session(OWNER, session_id).title == renamed.title


@thorough
@given(negative=texts(limits.MAX_MESSAGE_CHARS))
def test_any_negative_prompt(studio, session_id, negative):
    r = refused_or(lambda: round_of(studio, session_id, negative=negative))
    if r is not None:
        assert_done(r)


@thorough
@given(style=texts(60))
def test_any_style_name(studio, session_id, style):
    r = refused_or(lambda: round_of(studio, session_id, style=style))
    if r is not None:
        assert_done(r)
