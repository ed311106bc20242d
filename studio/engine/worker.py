"""One round's work, on a worker thread: (checklist) -> (directions) -> refine -> render -> critique.

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
from pipelines.checklist import make_checklist, propose_directions
from pipelines.prompting import fit_prompt
from pipelines.safety import SafetyChecker, placeholder
from studio.engine.events import Critiquing, Finished, Loading, Planning, Refining, Rendering, RoundEvent
from studio.core.memory import avoided, build_memory, pinned_phrases
from studio.core.session import Candidate, Round, RoundStatus, Session, with_round
from studio.services.sessions import Store
from studio.services.styles import Style

log = logging.getLogger(__name__)


@dataclass
class RoundJob:
    """A round in flight: what to do, and the flag that stops it."""

    session: Session  # as it was when the round was saved as running
    round: Round
    request: RenderRequest  # prompt still empty: the refiner writes it
    cancel: threading.Event
    style: Style | None = None
    directions: int = 0  # > 0: one candidate per creative direction


class RoundWorker:
    def __init__(self, store: Store, models, model_lock: threading.Lock, clock: Callable[[], float],
                 safety: SafetyChecker | None = None):
        self.store = store
        self.safety = safety
        self.models = models
        self.model_lock = model_lock
        self.clock = clock

    def run(self, job: RoundJob, emit: Callable[[RoundEvent], None]) -> None:
        sid, index = job.session.id, job.round.index
        round_ = job.round
        session = job.session
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
                    timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - started, 3)

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
            # 0. The brief as a checklist, once per brief; creative directions when asked for.
            if not session.checklist or session.checklist_stale:
                emit(Planning(sid, index, "checklist"))
                items, fallback = stage("checklist", lambda: make_checklist(refiner, session.brief))

                def rewritten(s):
                    pinned = tuple(i for i in s.checklist if i.pinned)
                    taken = {i.text.lower() for i in pinned}
                    return replace(s, checklist=pinned + tuple(i for i in items if i.text.lower() not in taken),
                                   checklist_fallback=fallback, checklist_stale=False)

                session = self.store.update_session(sid, rewritten)
            directions = ()
            if job.directions:
                emit(Planning(sid, index, "directions"))
                directions, _ = stage("directions", lambda: propose_directions(refiner, session.brief, job.directions))
            # 1. Refine: the memory of the whole session -> the next prompt, tokens streamed.
            refined = stage("refine", lambda: refiner.refine(RefineRequest(
                build_memory(session), generator.count_prompt_tokens, generator.max_prompt_tokens), on_token))
            pinned = pinned_phrases(session)

            def fit(text: str, *keep: str) -> str:
                return fit_prompt(text, generator.count_prompt_tokens, generator.max_prompt_tokens, keep=(*pinned, *keep))

            prompt = fit(job.style.apply(refined.prompt)) if job.style else refined.prompt
            prompts = tuple(fit(f"{d.prompt}, {prompt}", d.prompt) for d in directions)
            negative_parts = [refined.negative, job.style.negative if job.style else "", job.request.negative,
                              *avoided(session)]
            negative = fit_prompt(", ".join(dict.fromkeys(p for p in negative_parts if p)),
                                  generator.count_prompt_tokens, generator.max_prompt_tokens)
            request = replace(job.request, prompt=prompt, prompts=prompts, negative=negative,
                              previews=self.safety is None)  # a preview would show what the check withholds
            save(prompt=prompt, negative_prompt=negative, rationale=refined.rationale, fallback=refined.fallback,
                 style=job.style.name if job.style else "",
                 params=replace(round_.params, negative_prompt=negative, scheduler=generator.scheduler))
            # 2. Render all candidates in one batched call; then files first, rows after.
            images = stage("render", lambda: self._render(generator, request, on_step))
            withheld = self.safety.flag(images) if self.safety else [""] * len(images)
            for i, why in enumerate(withheld):
                if why:  # never stored, never served: a grey placeholder takes its place
                    log.warning("safety check withheld candidate %d of round %d of session %s: %s", i, index, sid, why)
                    images[i] = placeholder(images[i].size)
            started = time.perf_counter()
            files = self.store.save_images(sid, [(f"r{index}-c{i}-{uuid.uuid4().hex[:8]}", image)
                                                 for i, image in enumerate(images)])
            candidates = tuple(
                Candidate(index=i, seed=seed, image=file, label=directions[i].name if directions else "",
                          prompt=prompts[i] if prompts else "", withheld=withheld[i])
                for i, (file, seed) in enumerate(zip(files, request.seeds)))
            timings["store"] = round(time.perf_counter() - started, 3)
            save(candidates=candidates)
            # 3. Critique every candidate against the checklist and the designer's tastes.
            emit(Critiquing(sid, index, len(images)))
            critique_request = CritiqueRequest(
                session.brief, prompt, session.checklist,
                prefer=tuple(p.text for p in session.preferences if p.polarity == "like"),
                avoid=tuple(p.text for p in session.preferences if p.polarity == "dislike"))
            critiques = stage("critique", lambda: critic.critique(images, critique_request))
            save(status=RoundStatus.DONE, candidates=tuple(
                replace(c, caption=k.caption, score=k.score, critique=k) if not c.withheld else
                replace(c, caption="withheld by the safety check", score=0.0)
                for c, k in zip(candidates, critiques)))
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


    def _render(self, generator, request: RenderRequest, on_step) -> list:
        """One batched call; out of GPU memory, free what is cached and try once more in two halves."""
        try:
            return generator.render(request, on_step)
        except Exception as err:
            if not is_out_of_memory(err):
                raise
            self.models.free_memory()
            if len(request.seeds) < 2:
                raise OneCandidateTooBig("The GPU ran out of memory rendering one candidate. Render a smaller "
                                         "size or pick a lighter preset; your earlier rounds are safe.") from err
            log.warning("out of GPU memory rendering %d candidates; retrying in two batches", len(request.seeds))
        half = (len(request.seeds) + 1) // 2
        images = []
        for part in (slice(0, half), slice(half, None)):
            images += generator.render(replace(request, seeds=request.seeds[part], prompts=request.prompts[part]),
                                       on_step)
        return images


class OneCandidateTooBig(RuntimeError):
    """Out of GPU memory with nothing left to split: the message says what to change."""


def is_out_of_memory(err: BaseException) -> bool:
    return type(err).__name__ == "OutOfMemoryError"  # torch.OutOfMemoryError, without importing torch here


def human_error(err: Exception) -> str:
    if isinstance(err, OneCandidateTooBig):
        return str(err)
    if is_out_of_memory(err):
        return ("The GPU ran out of memory, even rendering in two smaller batches. Render fewer candidates "
                "or a smaller size, or pick a lighter preset; your earlier rounds are safe.")
    if isinstance(err, OSError):
        return (f"Could not write the round's files ({err.strerror or err}). Check that the data folder "
                "has free space and is writable; your earlier rounds are safe.")
    return f"The round failed ({type(err).__name__}: {err}). Your earlier rounds are safe; try again."
