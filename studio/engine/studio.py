"""The only door to the models and the store: every action a designer can take, checked here.

Each public method takes plain values (the caller's owner id first), validates all of them
before anything changes, and raises `StudioError` with a message meant for a person.
`run_round` is a generator of typed events (studio/events.py); the models run on a worker
thread (studio/rounds.py) so events stream while they work.
"""
from __future__ import annotations

import math
import queue
import tempfile
import random
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Protocol

from PIL import Image

from pipelines.base import Captioner, Critic, Generator, ModelLoadError, Refiner, RenderRequest
from pipelines.checklist import MAX_DIRECTIONS
from pipelines.presets import Preset
from pipelines.safety import SafetyChecker
from studio.core import limits
from studio.engine import validation as checks
from studio.engine.validation import StudioError, open_upload, shown
from studio.engine.events import AutoProgress, AutoStopped, Finished, RoundEvent, Started
from studio.core.memory import Agreement, agreement, ranked
from studio.engine.worker import RoundJob, RoundWorker, human_error
from studio.core.params import RoundParams
from studio.core.session import (Feedback, FeedbackKind, Preference, Question, RenderParams, Round, RoundStatus, Session,
                            apply_feedback, find_round, last_done_round, with_round)
from studio.services.sessions import SessionSummary, Store
from studio.services.styles import Style, load_styles


MIN_SCORE_GAIN = 0.5  # auto-rounds stop when the best score gains less than this over a round


class Models(Protocol):
    """What the engine needs of the model layer (pipelines.registry.ModelRegistry, or a fake)."""

    preset: Preset

    def refiner(self) -> Refiner: ...
    def generator(self) -> Generator: ...
    def critic(self) -> Critic: ...
    def captioner(self) -> Captioner: ...
    def free_memory(self) -> None: ...
    def add_listener(self, listener: Callable) -> None: ...
    def remove_listener(self, listener: Callable) -> None: ...


class Studio:
    def __init__(self, store: Store, models: Models, clock: Callable[[], float] = time.time,
                 safety: SafetyChecker | None = None, upload_roots: tuple[Path, ...] | None = None):
        self.store = store
        self.models = models
        self.preset = models.preset
        self.clock = clock
        self.styles = load_styles()
        self._jobs: dict[str, RoundJob] = {}
        self._jobs_lock = threading.Lock()
        self._autos: dict[str, threading.Event] = {}
        # One model call at a time: a diffusers pipeline and its scheduler are not thread-safe.
        self._model_lock = threading.Lock()
        self._worker = RoundWorker(store, models, self._model_lock, clock, safety)
        # Uploads are read only from these folders (Gradio's upload cache lives in the temp folder).
        self.upload_roots = upload_roots or (Path(tempfile.gettempdir()),)

    # ------------------------------------------------------------ sessions
    def start_session(self, owner: str, brief: str, title: str = "") -> Session:
        owner = checks.owner(owner)
        brief = checks.text("The brief", brief, limits.MAX_BRIEF_CHARS, required=True)
        title = checks.text("The title", title, limits.MAX_TITLE_CHARS) or title_from(brief)
        now = self.clock()
        session = Session(id=uuid.uuid4().hex, owner=owner, title=title, brief=brief,
                          preset=self.preset.name, created=now, updated=now)
        self.store.save_session(session)
        return session

    def list_sessions(self, owner: str) -> list[SessionSummary]:
        return self.store.list_sessions(checks.owner(owner))

    def open_session(self, owner: str, session_id: str) -> Session:
        owner = checks.owner(owner)
        session = self.store.load_session(checks.session_id(session_id))
        if session is None or session.owner != owner:  # another owner's session looks just like a missing one
            raise StudioError("No such session. It may have been deleted; pick one from your list.")
        return session

    def rename(self, owner: str, session_id: str, title: str) -> Session:
        session = self.open_session(owner, session_id)
        title = checks.text("The title", title, limits.MAX_TITLE_CHARS, required=True)
        return self.store.update_session(session.id, lambda s: replace(s, title=title, updated=self.clock()))

    def delete(self, owner: str, session_id: str) -> None:
        session = self.open_session(owner, session_id)
        if session.id in self._jobs:
            raise StudioError("A round is running in this session. Stop it first, then delete.")
        self.store.delete_session(session.id)

    def give_feedback(self, owner: str, session_id: str, round_index: int, kind: str,
                      candidate: int | None = None, text: str = "") -> Session:
        """Pick or reject a candidate (with a reason), or add a correction for the next round."""
        session = self.open_session(owner, session_id)
        if not isinstance(kind, str) or kind not in {k.value for k in FeedbackKind}:
            raise StudioError(f"Feedback is one of pick, reject or correction, not {shown(kind)}.")
        round_index = checks.whole("The round", round_index, 0, 10**6)
        round_ = find_round(session, round_index)
        if round_ is None:
            raise StudioError(f"There is no round {round_index + 1} in this session.")
        text = checks.text("Your note", text, limits.MAX_MESSAGE_CHARS, required=kind == FeedbackKind.CORRECTION)
        if kind != FeedbackKind.CORRECTION and round_.status is RoundStatus.RUNNING:
            raise StudioError(f"Round {round_.index + 1} is still running; pick or reject once it is done.")
        if kind == FeedbackKind.CORRECTION:
            candidate = None
        elif candidate is None:
            raise StudioError(f"Say which candidate to {kind}.")
        else:
            candidate = checks.whole("The candidate", candidate, 0, 10**6)  # stored as checked: 1.0 -> 1
            if candidate not in {c.index for c in round_.candidates}:
                raise StudioError(f"Round {round_.index + 1} has no candidate {candidate + 1}.")
        fb = Feedback(round_index=round_.index, kind=FeedbackKind(kind), text=text, candidate=candidate,
                      created=self.clock())
        return self.store.update_session(session.id, lambda s: replace(apply_feedback(s, fb), updated=self.clock()))

    # ------------------------------------------------------------ the design loop
    def set_checklist(self, owner: str, session_id: str, items) -> Session:
        """The designer's edit of the checklist: rows of (text, kind, pinned); blank rows are dropped."""
        session = self.open_session(owner, session_id)
        clean = checks.checklist(items)
        return self.store.update_session(session.id, lambda s: replace(
            s, checklist=clean, checklist_fallback=False, checklist_stale=False, updated=self.clock()))

    def edit_brief(self, owner: str, session_id: str, brief: str) -> Session:
        """A new brief: pinned checklist items stay, the rest is rewritten from it at the next round."""
        session = self.open_session(owner, session_id)
        brief = checks.text("The brief", brief, limits.MAX_BRIEF_CHARS, required=True)
        return self.store.update_session(session.id, lambda s: replace(
            s, brief=brief, checklist=tuple(i for i in s.checklist if i.pinned), checklist_stale=True,
            updated=self.clock()))

    def set_preferences(self, owner: str, session_id: str, items) -> Session:
        """The designer's edit of their remembered tastes: rows of (text, 'like' | 'dislike')."""
        session = self.open_session(owner, session_id)
        clean = checks.preferences(items)
        known = {p.text: p for p in session.preferences}
        kept = tuple(replace(known[t], polarity=p) if t in known else Preference(t, p, "added by you")
                     for t, p in clean)
        return self.store.update_session(session.id, lambda s: replace(s, preferences=kept, updated=self.clock()))

    def ask(self, owner: str, session_id: str, round_index: int, candidate: int, question: str) -> Question:
        """Ask the VQA model about one candidate; the answer is kept in the conversation."""
        session = self.open_session(owner, session_id)
        question = checks.text("Your question", question, limits.MAX_QUESTION_CHARS, required=True)
        round_, chosen = self._candidate(session, round_index, candidate)
        image = Image.open(self.store.image_path(chosen.image)).convert("RGB")
        try:
            with self._model_lock:
                answer = self.models.captioner().answer([image], [question])[0]
        except ModelLoadError as err:
            raise StudioError(str(err)) from err
        asked = Question(round_.index, chosen.index, question, answer, self.clock())
        self.store.update_session(session.id, lambda s: replace(s, questions=s.questions + (asked,),
                                                                updated=self.clock()))
        return asked

    def agreement(self, owner: str, session_id: str) -> Agreement:
        return agreement(self.open_session(owner, session_id))

    def _candidate(self, session: Session, round_index, candidate):
        r = checks.whole("The round", round_index, 0, 10**6)
        c = checks.whole("The candidate", candidate, 0, 10**6)
        round_ = find_round(session, r)
        chosen = next((x for x in round_.candidates if x.index == c), None) if round_ else None
        if chosen is None:
            raise StudioError(f"There is no candidate {c + 1} in round {r + 1}.")
        return round_, chosen

    # ------------------------------------------------------------ rounds
    def cancel(self, owner: str, session_id: str) -> bool:
        """Stop the caller's running round in this session; True if one was running."""
        session = self.open_session(owner, session_id)  # refuses another owner's session
        with self._jobs_lock:
            job = self._jobs.get(session.id)
        auto = self._autos.get(session.id)
        if auto is not None:
            auto.set()
        if job is not None:
            job.cancel.set()
        return job is not None or auto is not None

    def run_round(self, owner: str, session_id: str, message: str = "",
                  params: RoundParams = RoundParams()) -> Iterator[RoundEvent]:
        """Refine, render, critique. Yields events; the last is `Finished` with the stored round.

        Everything is checked before the first event, so bad input raises and changes nothing.
        """
        session = self.open_session(owner, session_id)
        return self._stream(*self._prepare(session, message, params))

    def _prepare(self, session: Session, message: str, params: RoundParams, auto: bool = False):
        message = checks.text("Your message", message, limits.MAX_MESSAGE_CHARS)
        if not isinstance(params, RoundParams):
            raise StudioError("Round settings must be a RoundParams.")
        style = self._style(params.style)
        directions = checks.whole("Directions", params.directions, 0, MAX_DIRECTIONS)
        if directions:  # one candidate per direction
            params = replace(params, count=directions)
        request = self._render_request(params, style)
        init_image, mask = self._start_images(session, params)
        job = RoundJob(session, Round(index=-1, message="", auto=auto), request, threading.Event(), style, directions)
        return job, message, init_image, mask

    def run_auto(self, owner: str, session_id: str, rounds: int,
                 params: RoundParams = RoundParams()) -> Iterator[RoundEvent]:
        """Run up to `rounds` rounds on the studio's own judgement, keeping each round's best candidate.

        Stops early when every checklist item passes, when the best score stops improving, or on Stop.
        """
        session = self.open_session(owner, session_id)
        total = checks.whole("Rounds", rounds, 1, limits.MAX_AUTO_ROUNDS)
        self._prepare(session, "", params)  # refuse bad settings now, before the first round
        return self._auto(session, total, params)

    def _auto(self, session: Session, total: int, params: RoundParams) -> Iterator[RoundEvent]:
        stop = threading.Event()
        self._autos[session.id] = stop
        best, reason, index = None, f"all {total} round{'s' if total != 1 else ''} ran", len(session.rounds)
        try:
            for number in range(1, total + 1):
                if stop.is_set():
                    reason = "stopped by the designer"
                    break
                yield AutoProgress(session.id, index, number, total, best)
                finished = None
                for event in self._stream(*self._prepare(self.open_session(session.owner, session.id), "",
                                                         params, auto=True)):
                    finished = event.round if isinstance(event, Finished) else finished
                    yield event
                index = finished.index + 1
                if finished.status is not RoundStatus.DONE:
                    reason = "stopped by the designer" if finished.status is RoundStatus.INTERRUPTED else \
                        f"round {finished.index + 1} failed"
                    break
                top = ranked(finished)[0]
                self.store.update_session(session.id, lambda s: apply_feedback(s, Feedback(
                    finished.index, FeedbackKind.PICK, "the studio's own pick (best score)", top.index, self.clock(),
                    auto=True)))
                improved = best is None or top.score >= best + MIN_SCORE_GAIN
                best = top.score if best is None else max(best, top.score)
                if top.critique and top.critique.checks and all(c.verdict == "pass" for c in top.critique.checks):
                    reason = "every checklist item passes"
                    break
                if not improved:
                    reason = "the best score stopped improving"
                    break
        finally:
            self._autos.pop(session.id, None)
        yield AutoStopped(session.id, index, reason, best)

    def _style(self, key) -> Style | None:
        if key in (None, ""):
            return None
        if not isinstance(key, str) or key not in self.styles:
            raise StudioError(f"There is no style {shown(key)}. Choose one of: {', '.join(self.styles)}.")
        return self.styles[key]

    def _stream(self, job: RoundJob, message: str, init_image, mask) -> Iterator[RoundEvent]:
        with self._jobs_lock:
            if job.session.id in self._jobs:
                raise StudioError("A round is already running in this session. Wait for it, or press Stop.")
            self._jobs[job.session.id] = job
        try:
            try:
                self._save_running_round(job, message, init_image, mask)
            except OSError as err:  # disk full or read-only while keeping the start image
                raise StudioError(human_error(err)) from err
            # The worker starts before the first event: a caller that leaves at once still ends it.
            events: queue.Queue = queue.Queue()
            threading.Thread(target=self._worker.run, args=(job, events.put), daemon=True,
                             name=f"round-{job.session.id[:8]}-{job.round.index}").start()
            yield Started(job.session.id, job.round.index, job.round)
            while True:
                event = events.get()
                yield event
                if isinstance(event, Finished):
                    return
        finally:
            job.cancel.set()  # the caller went away (closed page, Stop): the worker stops at its next step
            with self._jobs_lock:
                self._jobs.pop(job.session.id, None)

    def _save_running_round(self, job: RoundJob, message: str, init_image, mask) -> None:
        """The round is stored as running before any work: a crash from here on leaves it 'interrupted'."""
        session = self.store.load_session(job.session.id)  # as it is now, not as it was when asked
        if session is None:
            raise StudioError("No such session. It may have been deleted; pick one from your list.")
        index = max((r.index for r in session.rounds), default=-1) + 1
        request = job.request
        if init_image is not None and math.floor(request.steps * request.strength) < 1:
            # A distilled model's 1 step at strength 0.6 would denoise nothing: take the fewest that do.
            request = replace(request, steps=math.ceil(1 / request.strength))
        reference = mask_file = None
        if init_image is not None:
            reference = self.store.save_image(session.id, f"r{index}-start", init_image)
            request = replace(request, init_image=init_image)
        if mask is not None:
            mask_file = self.store.save_image(session.id, f"r{index}-mask", mask)
            request = replace(request, mask=mask)
        parent = last_done_round(session)
        round_ = Round(index=index, message=message if session.rounds else (message or session.brief),
                       status=RoundStatus.RUNNING, auto=job.round.auto, parent=parent.index if parent else None,
                       params=self._params(request, reference, mask_file), created=self.clock())
        job.session = self.store.update_session(session.id, lambda s: with_round(replace(s, updated=self.clock()),
                                                                                 round_))
        job.round, job.request = round_, request

    def _render_request(self, p: RoundParams, style: Style | None = None) -> RenderRequest:
        preset = self.preset
        if style is not None:  # a style's suggested settings fill in what the designer left open
            p = replace(p, **{k: v for k, v in style.suggested.items() if getattr(p, k) is None})
        count = checks.whole("The number of candidates", p.count, limits.MIN_CANDIDATES, limits.MAX_CANDIDATES)
        steps = checks.whole("Steps", preset.steps if p.steps is None else p.steps, limits.MIN_STEPS, limits.MAX_STEPS)
        guidance = checks.number("Guidance", preset.guidance if p.guidance is None else p.guidance,
                                 limits.MIN_GUIDANCE, limits.MAX_GUIDANCE)
        width = checks.size("Width", preset.size if p.width is None else p.width, preset.max_size)
        height = checks.size("Height", preset.size if p.height is None else p.height, preset.max_size)
        seed = random.randrange(limits.MAX_SEED - count) if p.seed is None else \
            checks.whole("The seed", p.seed, 0, limits.MAX_SEED - count)
        return RenderRequest(
            prompt="", seeds=tuple(range(seed, seed + count)), width=width, height=height, steps=steps,
            guidance=guidance, negative=checks.text("The negative prompt", p.negative, limits.MAX_MESSAGE_CHARS),
            strength=checks.number("Strength", p.strength, limits.MIN_STRENGTH, limits.MAX_STRENGTH))

    def _start_images(self, session: Session, p: RoundParams) -> tuple[Image.Image | None, Image.Image | None]:
        init = None
        if p.from_candidate is not None:
            if not isinstance(p.from_candidate, (tuple, list)) or len(p.from_candidate) != 2:
                raise StudioError("Say which candidate to start from as (round, candidate).")
            _, chosen = self._candidate(session, *p.from_candidate)
            init = Image.open(self.store.image_path(chosen.image)).convert("RGB")
        if p.reference is not None:
            if init is not None:
                raise StudioError("Start from a candidate or from an uploaded reference, not both.")
            init = open_upload(p.reference, "The reference", self.upload_roots).convert("RGB")
        mask = open_upload(p.mask, "The mask", self.upload_roots).convert("L") if p.mask is not None else None
        if mask is not None and init is None:
            raise StudioError("A mask marks a region of an image: choose a candidate or upload a reference too.")
        return init, mask

    def _params(self, request: RenderRequest, reference: str | None, mask: str | None) -> RenderParams:
        return RenderParams(
            preset=self.preset.name, model_ids={role: spec.model_id for role, spec in self.preset.models.items()},
            steps=request.steps, guidance=request.guidance, width=request.width, height=request.height,
            seeds=request.seeds, scheduler="", negative_prompt=request.negative,
            strength=request.strength if reference else None, reference=reference, mask=mask)


def title_from(brief: str) -> str:
    first_line = brief.splitlines()[0]
    return first_line if len(first_line) <= 60 else first_line[:57].rsplit(" ", 1)[0] + "..."
