"""The rounds in flight: at most one per session, each on a worker thread, its events relayed to the caller."""
from __future__ import annotations

import queue
import threading
from contextlib import contextmanager
from typing import Iterator

from studio.engine.events import Finished, RoundEvent, Started
from studio.engine.planner import RoundPlan, RoundPlanner
from studio.engine.validation import StudioError
from studio.engine.worker import RoundWorker, human_error


class RoundRunner:
    def __init__(self, planner: RoundPlanner, worker: RoundWorker):
        self.planner, self.worker = planner, worker
        self._cancels: dict[str, threading.Event] = {}  # session id -> its running round's Stop flag
        self._autos: dict[str, threading.Event] = {}  # session id -> its auto run's Stop flag
        self._lock = threading.Lock()

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
    def auto_run(self, session_id: str) -> Iterator[threading.Event]:
        """The Stop flag of an auto run, known to `cancel` while it lasts."""
        stop = threading.Event()
        self._autos[session_id] = stop
        try:
            yield stop
        finally:
            self._autos.pop(session_id, None)

    def stream(self, plan: RoundPlan) -> Iterator[RoundEvent]:
        """Store the plan as a running round, run it on a worker thread, yield its events to `Finished`."""
        cancel = threading.Event()
        with self._lock:
            if plan.session_id in self._cancels:
                raise StudioError("round.already_running")
            self._cancels[plan.session_id] = cancel
        try:
            try:
                job = self.planner.save_running_round(plan, cancel)
            except OSError as err:  # disk full or read-only while keeping the start image
                raise StudioError.of(human_error(err)) from err
            # The worker starts before the first event: a caller that leaves at once still ends it.
            events: queue.Queue = queue.Queue()
            threading.Thread(target=self.worker.run, args=(job, events.put), daemon=True,
                             name=f"round-{plan.session_id[:8]}-{job.round.index}").start()
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
