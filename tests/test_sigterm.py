"""Issue 15, item 7, the real thing: `python app.py`, sent SIGTERM while a round runs, drains and exits 0.

The engine's part is tests/test_shutdown.py; here the signal reaches a real process (tiny preset, one step, 64 px)
and each moment is taken from the studio's own events: the round's first update, the log line that says the
drain began.
"""
from __future__ import annotations

import signal
import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from server import hang_up, studio_process
from studio.core.messages import Message
from studio.core.session import RoundStatus
from studio.services.sessions import Store

BRIEF = "A poster for a jazz night, art deco, navy and gold"
SHUTTING_DOWN = "The studio is shutting down: try again in a minute."
EXIT_S = 120  # a studio that has not exited by then never will


def wait_for_line(studio, words: str) -> None:
    """Until the studio's log says `words` (it logs each step of a shutdown); a studio that never says it fails."""
    deadline = time.monotonic() + EXIT_S
    while words not in studio.log:
        assert time.monotonic() < deadline and studio.process.poll() is None, studio.log[-3000:]
        time.sleep(0.05)


def test_sigterm_mid_round_drains_the_studio_and_it_exits_0(tmp_path):
    """SIGTERM while a round runs (tiny models, loaded by that round): the round ends done within the grace, or
    interrupted; a round asked for after the signal is refused while the first drains; the store is closed with
    no row left running; the process exits 0."""
    data_dir = tmp_path / "data"
    with studio_process("--data-dir", str(data_dir), "--stop-grace", "30", log_dir=tmp_path) as studio:
        alice, bob = Client(studio.url, verbose=False), Client(studio.url, verbose=False)
        try:
            sid = alice.predict(BRIEF, api_name="/start_session")[0]
            other = bob.predict("a bakery logo", api_name="/start_session")[0]
            # A round long enough that the drain outlasts the request below by seconds (its models load first, then
            # four candidates render eight steps); if it outlasts the grace instead, it ends interrupted.
            job = alice.submit(session_id=sid, text="", count=4, steps=8, size=128, api_name="/run_round")
            next(iter(job))  # the round's first event: stored as running; its models load next

            studio.process.send_signal(signal.SIGTERM)
            wait_for_line(studio, "new rounds are refused")
            # The studio serves while it drains, and refuses this one. (The first round is still loading its
            # three models, which takes seconds; this request takes milliseconds.)
            with pytest.raises(AppError, match=SHUTTING_DOWN):
                bob.predict(session_id=other, text="", count=1, steps=1, size=64, api_name="/run_round")
            assert studio.process.wait(EXIT_S) == 0, studio.log[-3000:]
        finally:
            hang_up(alice), hang_up(bob)
    assert "rounds drained: " in studio.log

    with Store(data_dir) as restarted:
        assert restarted.recover() == 0  # nothing left running for the next start to mend
        (first,) = restarted.load_session(sid).rounds
        assert first.status is RoundStatus.DONE or \
            (first.status, first.error) == (RoundStatus.INTERRUPTED, Message("round.shut_down"))
        assert restarted.load_session(other).rounds == ()
