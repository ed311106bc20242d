"""The rounds in flight: at most one per session, each on a worker thread, its events relayed to the caller.

A shutdown drains them (`shut_down`): no new round starts (a clear refusal), running rounds get a grace to finish,
the rest are stopped through their own Stop flags (`interrupted`, and why), and it returns once their workers ended.
"""
from __future__ import annotations

import contextvars
import logging
import queue
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from studio.core.messages import Message
from studio.engine.events import Finished, RoundEvent, Started
from studio.engine.planner import RoundPlan, RoundPlanner
from studio.engine.validation import StudioError
from studio.engine.jobs import RoundJob, StopFlag
from studio.engine.worker import RoundWorker, human_error

log = logging.getLogger(__name__)

MAX_STOP_GRACE_S = 3600.0  # the longest grace a shutdown gives running rounds
# After the grace: how long stopped rounds get to see their Stop. A model call (a load, a critique) ends before the
# flag is read; a round still running after this is left to recover() at the next start.
STOPPING_S = 60.0
SHUT_DOWN = Message("round.shut_down")


@dataclass(frozen=True)
class ShutdownReport:
    finished: int  # rounds that ended on their own within the grace
    stopped: int  # rounds stopped when the grace ran out: stored `interrupted`
    left_running: int  # rounds whose worker outlived its Stop: the next start marks them interrupted


class RoundRunner:
    def __init__(self, planner: RoundPlanner, worker: RoundWorker):
        self.planner, self.worker = planner, worker
        self._cancels: dict[str, StopFlag] = {}  # session id -> its running round's Stop flag
        self._autos: dict[str, StopFlag] = {}  # session id -> its auto run's Stop flag
        self._lock = threading.Lock()
        self._draining = False  # shutting down: no round starts
        self._workers: set[threading.Thread] = set()  # worker threads that have not ended
        self._starting = 0  # rounds accepted whose worker has not started yet
        self._changed = threading.Condition(self._lock)  # notified when a worker ends or a round has started

    def is_running(self, session_id: str) -> bool:
        return session_id in self._cancels

    def cancel(self, session_id: str) -> bool:
        """Stop the session's running round and auto run; True if either was running."""
        with self._lock:
            cancel, auto = self._cancels.get(session_id), self._autos.get(session_id)
        for flag in (auto, cancel):
            if flag is not None:
                flag.set()
        return cancel is not None or auto is not None

    @contextmanager
    def auto_run(self, session_id: str) -> Iterator[StopFlag]:
        """The Stop flag of an auto run, known to `cancel` and to a shutdown while it lasts."""
        stop = StopFlag()
        with self._lock:
            if self._draining:
                raise StudioError("studio.shutting_down")
            self._autos[session_id] = stop
        try:
            yield stop
        finally:
            self._autos.pop(session_id, None)

    def stream(self, plan: RoundPlan) -> Iterator[RoundEvent]:
        """Store the plan as a running round, run it on a worker thread, yield its events to `Finished`."""
        cancel = StopFlag()
        with self._lock:
            if self._draining:
                raise StudioError("studio.shutting_down")
            if plan.session_id in self._cancels:
                raise StudioError("round.already_running")
            self._cancels[plan.session_id] = cancel
            self._starting += 1
        try:
            try:
                try:
                    job = self.planner.save_running_round(plan, cancel)
                except OSError as err:  # disk full or read-only while keeping the start image
                    raise StudioError.of(human_error(err)) from err
                # The worker starts before the first event: a caller that leaves at once still ends it.
                events: queue.Queue = queue.Queue()
                self._start_worker(job, events.put)
            finally:
                with self._lock:
                    self._starting -= 1
                    self._changed.notify_all()
            yield Started(plan.session_id, job.round.index, job.round)
            while True:
                event = events.get()
                yield event
                if isinstance(event, Finished):
                    return
        finally:
            cancel.set()  # the caller went away (closed page, Stop): the worker stops at its next step
            with self._lock:
                self._cancels.pop(plan.session_id, None)

    def _start_worker(self, job: RoundJob, emit: Callable[[RoundEvent], None]) -> None:
        def work() -> None:
            try:
                self.worker.run(job, emit)
            finally:
                with self._lock:
                    self._workers.discard(thread)
                    self._changed.notify_all()

        # The round's thread runs in a copy of the caller's context: a Gradio request's context variables (on a
        # ZeroGPU Space, whose GPU quota the round's model calls spend) reach the model calls made on it.
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(work,), daemon=True,
                                  name=f"round-{job.session.id[:8]}-{job.round.index}")
        with self._lock:
            self._workers.add(thread)
        thread.start()

    # ------------------------------------------------------------ shutting down
    def shut_down(self, grace_s: float) -> ShutdownReport:
        """Refuse new rounds; give running ones `grace_s` seconds to finish; stop the rest through their Stop flags
        and wait for their workers to end. An auto run takes no next round."""
        with self._lock:
            self._draining = True
            autos, running = list(self._autos.values()), self._in_flight()
        for stop in autos:
            stop.stop(SHUT_DOWN)
        log.info("shutting down: new rounds are refused; %d running round(s) get %g s to finish", running, grace_s)
        with self._lock:
            self._changed.wait_for(lambda: not self._in_flight(), timeout=grace_s)
            left, flags = self._in_flight(), list(self._cancels.values())
        for flag in flags:
            flag.stop(SHUT_DOWN)
        if left:  # said once the flags are set
            log.info("the grace is over: stopping %d round(s)", left)
        with self._lock:
            self._changed.wait_for(lambda: not self._in_flight(), timeout=STOPPING_S)
            outlived = self._in_flight()
        if outlived:
            log.warning("%d round(s) still running after their Stop: the next start marks them interrupted", outlived)
        report = ShutdownReport(finished=running - left, stopped=left - outlived, left_running=outlived)
        log.info("rounds drained: %d finished, %d stopped, %d left running", report.finished, report.stopped,
                 report.left_running)
        return report

    def _in_flight(self) -> int:
        """Rounds accepted and not ended (the lock held)."""
        return len(self._workers) + self._starting
