"""Streamed events reach the page throttled: the refiner's tokens at most ~10 updates a second, nothing lost."""
from __future__ import annotations

from studio.engine.events import Planning, Refining, Rendering, throttled


def test_refining_updates_are_throttled_and_the_latest_text_always_arrives():
    times = iter([0.00, 0.03, 0.06, 0.12, 0.13, 0.14])
    text = ["P", "PR", "PRO", "PROM", "PROMP", "PROMPT"]
    events = [Planning("s", 0, "checklist"), *(Refining("s", 0, t) for t in text),
              Rendering("s", 0, step=1, total=2, previews=())]

    passed = list(throttled(iter(events), interval=0.1, clock=lambda: next(times)))

    assert [e.text for e in passed if isinstance(e, Refining)] == ["P", "PROM", "PROMPT"]
    assert isinstance(passed[0], Planning) and isinstance(passed[-1], Rendering)
    assert isinstance(passed[-2], Refining) and passed[-2].text == "PROMPT"  # held back, then sent first


def test_a_held_update_is_sent_when_the_stream_ends():
    times = iter([0.0, 0.01])
    passed = list(throttled(iter([Refining("s", 0, "a"), Refining("s", 0, "ab")]), clock=lambda: next(times)))

    assert [e.text for e in passed] == ["a", "ab"]


def test_closing_the_throttled_stream_closes_the_rounds_stream():
    closed = []

    def rounds_stream():
        try:
            while True:
                yield Refining("s", 0, "x")
        finally:
            closed.append(True)  # the engine sets the round's cancel flag here

    stream = throttled(rounds_stream())
    next(stream)
    stream.close()

    assert closed == [True]
