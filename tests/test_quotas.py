"""Issue 15, item 2: what one owner may keep (sessions, stored images) is a quota the engine checks; past it the
action is refused with what to do, and nothing is stored. (Per-owner shares of the queue: tests/test_gate.py.)"""
from __future__ import annotations

import pytest

from fakes import ScriptedCritic, SwappedModels
from studio.core import limits
from studio.engine import RoundParams, Studio, StudioError
from studio.services.sessions import Store

BRIEF = "A poster for a jazz night, art deco, navy and gold"


@pytest.fixture
def studio(tmp_path, tiny_registry) -> Studio:
    with Store(tmp_path / "data") as store:
        models = SwappedModels(tiny_registry, wrap_critic=lambda _m: ScriptedCritic(lambda _c, n: [50.0] * n))
        yield Studio(store, models, quotas=limits.Quotas(sessions=2, images=3))


def test_an_owner_past_their_sessions_is_refused_and_others_are_not(studio):
    for k in range(2):
        studio.start_session("alice", f"{BRIEF} {k}")

    with pytest.raises(StudioError, match="You keep 2 sessions, the most this studio allows: delete one") as refused:
        studio.start_session("alice", "one more")

    assert refused.value.message.code == "quota.sessions"
    assert len(studio.list_sessions("alice")) == 2
    studio.start_session("bob", BRIEF)  # bob has his own
    studio.delete("alice", studio.list_sessions("alice")[0].id)
    studio.start_session("alice", "now there is room")


def test_a_round_that_would_pass_the_image_quota_is_refused_before_it_runs(studio):
    sid = studio.start_session("alice", BRIEF).id
    events = list(studio.run_round("alice", sid, "", RoundParams(count=2, steps=1, width=64, height=64, seed=1)))
    assert events[-1].round.candidates and len(events[-1].round.candidates) == 2

    with pytest.raises(StudioError, match="past 3, the most this studio allows") as refused:
        studio.run_round("alice", sid, "", RoundParams(count=2, steps=1, width=64, height=64, seed=2))
    with pytest.raises(StudioError, match="past 3"):
        studio.run_auto("alice", sid, 2, RoundParams(count=2, steps=1, width=64, height=64, seed=2))

    assert refused.value.message.code == "quota.images"
    assert len(studio.open_session("alice", sid).rounds) == 1  # nothing started
    events = list(studio.run_round("alice", sid, "", RoundParams(count=1, steps=1, width=64, height=64, seed=3)))
    assert len(events[-1].round.candidates) == 1  # one more fits
