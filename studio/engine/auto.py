"""Auto-rounds: up to k rounds on the studio's own judgement, keeping each round's best candidate.

Stops early when every checklist item passes, when the best score stops improving, or on Stop.
"""
from __future__ import annotations

from typing import Callable, Iterator

from studio.core.memory import ranked
from studio.core.messages import Message
from studio.core.params import RoundParams
from studio.core.session import Feedback, FeedbackKind, Round, RoundStatus, Session, apply_feedback
from studio.engine.events import AutoProgress, AutoStopped, Finished, RoundEvent
from studio.engine.planner import RoundPlanner
from studio.engine.running import RoundRunner
from studio.engine.validation import StudioError
from studio.engine.worker import human_error
from studio.services.sessions import Store

MIN_SCORE_GAIN = 0.5  # auto-rounds stop when the best score gains less than this over a round


class AutoRounds:
    def __init__(self, store: Store, planner: RoundPlanner, runner: RoundRunner, clock: Callable[[], float]):
        self.store, self.planner, self.runner, self.clock = store, planner, runner, clock

    def run(self, session: Session, total: int, params: RoundParams) -> Iterator[RoundEvent]:
        best, index = None, len(session.rounds)
        reason = Message("auto.all_ran", {"total": total}) if total != 1 else Message("auto.all_ran_one")
        with self.runner.auto_run(session.id) as stop:
            for number in range(1, total + 1):
                if stop.is_set():  # the designer's Stop, or a shutdown
                    reason = stop.reason
                    break
                yield AutoProgress(session.id, index, number, total, best)
                finished = None
                for event in self.runner.stream(self.planner.plan(self._now(session), "", params, auto=True)):
                    finished = event.round if isinstance(event, Finished) else finished
                    yield event
                index = finished.index + 1
                if finished.status is not RoundStatus.DONE:
                    reason = Message("round.stopped") if finished.status is RoundStatus.INTERRUPTED else \
                        Message("auto.round_failed", {"round": finished.index + 1})
                    break
                top = self._keep_best(session.id, finished)
                improved = best is None or top.score >= best + MIN_SCORE_GAIN
                best = top.score if best is None else max(best, top.score)
                if top.critique and top.critique.checks and all(c.verdict == "pass" for c in top.critique.checks):
                    reason = Message("auto.all_pass")
                    break
                if not improved:
                    reason = Message("auto.no_gain")
                    break
        yield AutoStopped(session.id, index, reason, best)

    def _now(self, session: Session) -> Session:
        try:
            now = self.store.load_session(session.id)
        except OSError as err:  # the disk failed: said as it is, with what to do
            raise StudioError.of(human_error(err)) from err
        if now is None:
            raise StudioError("session.missing")
        return now

    def _keep_best(self, session_id: str, finished: Round):
        """The studio's own pick: the round's best-scored candidate."""
        top = ranked(finished)[0]
        try:
            self.store.update_session(session_id, lambda s: apply_feedback(s, Feedback(
                finished.index, FeedbackKind.PICK, "", top.index, self.clock(),  # no reason: the page says whose pick
                auto=True)))
        except OSError as err:
            raise StudioError.of(human_error(err)) from err
        return top
