"""One round's work, on a worker thread: refine -> render -> critique, reporting as it goes.

Every outcome (done, failed, stopped) ends in exactly one `Finished` event, and every change is
written to the store as it happens: a crash at any point leaves the round readable.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, replace
from typing import Callable

from pipelines.base import CritiqueRequest, Interrupted, ModelLoadError, RefineRequest, RenderRequest, StepEvent
from studio.events import Critiquing, Finished, Loading, Refining, Rendering, RoundEvent
from studio.session import Candidate, Round, RoundStatus, Session, build_memory, with_round
from studio.store import Store

log = logging.getLogger(__name__)


@dataclass
class RoundJob:
    """A round in flight: who owns it, and the flag that stops it."""

    session: Session  # as it was when the round was saved as running
    round: Round
    request: RenderRequest  # prompt still empty: the refiner writes it
    cancel: threading.Event


class RoundWorker:
    def __init__(self, store: Store, models, model_lock: threading.Lock, clock: Callable[[], float]):
        self.store = store
        self.models = models
        self.model_lock = model_lock
        self.clock = clock

    def run(self, job: RoundJob, emit: Callable[[RoundEvent], None]) -> None:
        sid, index = job.session.id, job.round.index
        round_ = job.round
        timings: dict[str, float] = {}

        def check_stop() -> None:
            if job.cancel.is_set():
                raise Interrupted()

        def stage(name: str, fn):
            check_stop()
            with self.model_lock:  # stage by stage: two sessions' rounds interleave, never collide
                check_stop()
                started = time.perf_counter()
                try:
                    return fn()
                finally:
                    timings[name] = timings.get(name, 0.0) + round(time.perf_counter() - started, 3)

        def save(**changes) -> None:
            nonlocal round_
            round_ = replace(round_, timings=dict(timings), **changes)
            self.store.update_session(sid, lambda s: with_round(replace(s, updated=self.clock()), round_))

        def on_load(event) -> None:
            if event.state in ("loading", "loaded"):
                emit(Loading(sid, index, event.role, event.model_id, event.state == "loaded"))

        streamed: list[str] = []

        def on_token(piece: str) -> None:
            check_stop()
            streamed.append(piece)
            emit(Refining(sid, index, "".join(streamed)))

        def on_step(step: StepEvent) -> None:
            check_stop()
            emit(Rendering(sid, index, step.step, step.total, step.previews))

        self.models.add_listener(on_load)
        try:
            generator = stage("load", self.models.generator)
            refiner = stage("load", self.models.refiner)
            critic = stage("load", self.models.critic)
            # 1. Refine: the memory of the whole session -> the next prompt, tokens streamed.
            refined = stage("refine", lambda: refiner.refine(RefineRequest(
                build_memory(job.session), generator.count_prompt_tokens, generator.max_prompt_tokens), on_token))
            negative = ", ".join(n for n in (refined.negative, job.request.negative) if n)
            request = replace(job.request, prompt=refined.prompt, negative=negative, previews=True)
            save(prompt=refined.prompt, negative_prompt=negative, rationale=refined.rationale,
                 fallback=refined.fallback,
                 params=replace(round_.params, negative_prompt=negative, scheduler=generator.scheduler))
            # 2. Render all candidates in one batched call; then files first, rows after.
            images = stage("render", lambda: generator.render(request, on_step))
            started = time.perf_counter()
            candidates = tuple(
                Candidate(index=i, seed=seed,
                          image=self.store.save_image(sid, f"r{index}-c{i}-{uuid.uuid4().hex[:8]}", image))
                for i, (image, seed) in enumerate(zip(images, request.seeds)))
            timings["store"] = round(time.perf_counter() - started, 3)
            save(candidates=candidates)
            # 3. Critique every candidate against the brief.
            emit(Critiquing(sid, index, len(images)))
            critiques = stage("critique", lambda: critic.critique(
                images, CritiqueRequest(job.session.brief, refined.prompt)))
            save(status=RoundStatus.DONE, candidates=tuple(
                replace(c, caption=k.caption, score=k.score, critique=k) for c, k in zip(candidates, critiques)))
        except Interrupted:
            save(status=RoundStatus.INTERRUPTED, error="stopped by the designer")
        except ModelLoadError as err:
            save(status=RoundStatus.FAILED, error=str(err))
        except Exception as err:  # the round's boundary: whatever broke, the session stays intact
            log.exception("round %s of session %s failed", index, sid)
            try:
                save(status=RoundStatus.FAILED, error=human_error(err))
            except Exception:  # the store itself is failing (disk full): report, and let recover() mend it
                log.exception("could not record the failure of round %s of session %s", index, sid)
                round_ = replace(round_, status=RoundStatus.FAILED, error=human_error(err))
        finally:
            self.models.remove_listener(on_load)
            emit(Finished(sid, index, round_))


def human_error(err: Exception) -> str:
    if type(err).__name__ == "OutOfMemoryError":
        return ("The GPU ran out of memory. Render fewer candidates or a smaller size, or pick a lighter "
                "preset; your earlier rounds are safe.")
    if isinstance(err, OSError):
        return (f"Could not write the round's files ({err.strerror or err}). Check that the data folder "
                "has free space and is writable; your earlier rounds are safe.")
    return f"The round failed ({type(err).__name__}: {err}). Your earlier rounds are safe; try again."
