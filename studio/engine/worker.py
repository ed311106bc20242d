"""One round's work, on a worker thread, stage by stage:
0. load the models, 1. the checklist (once per brief), 2. directions (when asked for), 3. refine the prompt,
4. render the candidates, 5. store them, 6. critique them.

Every outcome (done, failed, stopped) ends in exactly one `Finished` event, and every change is
written to the store as it happens: a crash at any point leaves the round readable. The model
layer's results are turned into the studio's own stored types here, at the boundary.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace
from typing import Any, Callable

from PIL import Image

from pipelines import base
from pipelines.base import CritiqueRequest, Interrupted, ModelLoadError, RefineRequest, UpscaleRequest
from pipelines.checklist import make_checklist, propose_directions
from pipelines.oom import OneCandidateTooBig, is_out_of_memory
from pipelines.prompting import fit_prompt, left_out, region_phrase
from pipelines.safety import SafetyChecker, placeholder
from studio.core.critique import ChecklistItem, Critique, ItemCheck
from studio.core.history import with_round_state
from studio.core.memory import avoided, build_memory, pinned_phrases
from studio.core.messages import Message
from studio.core.session import Candidate, RoundKind, RoundStatus, Session, find_round, with_round
from studio.engine.embeddings import CandidateEmbeddings
from studio.engine.events import Critiquing, Finished, Planning, RoundEvent
from studio.engine.jobs import RoundJob, RoundState
from studio.engine.observing import Observers, StageTimed
from studio.engine.plans import ImageWork
from studio.services.disk import disk_message
from studio.services.search import SqliteSearch
from studio.services.sessions import Store

log = logging.getLogger(__name__)


class RoundWorker:
    def __init__(self, store: Store, models, clock: Callable[[], float], safety: SafetyChecker | None = None):
        self.store = store
        self.safety = safety
        self.models = models  # studio.engine.studio.Models: each backend keeps its own locks and retries
        self.clock = clock
        self.observers = Observers()  # operations: each stage's time, each round's end (Studio.observe)
        self.embeddings = CandidateEmbeddings(SqliteSearch(store), store, models)  # search by image (Studio's too)

    def run(self, job: RoundJob, emit: Callable[[RoundEvent], None]) -> None:
        state = RoundState(job, emit, job.session, job.round)
        self.models.add_listener(state.on_load)
        try:
            self.load_models(state)
            self.write_checklist(state)
            self.propose_directions(state)
            self.refine_prompt(state)
            self.render_candidates(state)
            self.store_candidates(state)
            self.critique_candidates(state)
        except Interrupted:
            self._end(state, RoundStatus.INTERRUPTED, job.cancel.reason)
        except ModelLoadError as err:
            self._end(state, RoundStatus.FAILED, Message("model.error", {"detail": str(err)}))
        except Exception as err:  # the round's boundary: whatever broke, the session stays intact
            log.exception("round %s of session %s failed", state.index, state.sid)
            self._end(state, RoundStatus.FAILED, human_error(err))
        finally:
            self.models.remove_listener(state.on_load)
            finished = Finished(state.sid, state.index, state.round)
            self.observers.report(finished)  # before the caller hears it: counted by the time anyone looks
            emit(finished)

    # ------------------------------------------------------------ the stages, in order
    def load_models(self, state: RoundState) -> None:
        """0. Each role's model, loaded once per process (the registry reports progress)."""
        for role in ("generator", "refiner", "critic"):
            state.models[role] = self._stage(state, "load", getattr(self.models, role))

    def write_checklist(self, state: RoundState) -> None:
        """1. The brief as a checklist, once per brief; pinned items stay."""
        if state.session.checklist and not state.session.checklist_stale:
            return
        state.emit(Planning(state.sid, state.index, "checklist"))
        items, fallback = self._stage(state, "checklist",
                                      lambda: make_checklist(state.models["refiner"], state.session.brief))
        state.session = self.store.update_session(state.sid, lambda s: with_checklist(s, items, fallback))

    def propose_directions(self, state: RoundState) -> None:
        """2. Creative directions, one candidate each, when the designer asked for them."""
        if not state.job.directions:
            return
        state.emit(Planning(state.sid, state.index, "directions"))
        state.directions, _ = self._stage(state, "directions", lambda: propose_directions(
            state.models["refiner"], state.session.brief, state.job.directions))

    def refine_prompt(self, state: RoundState) -> None:
        """3. The memory of the whole session -> the next prompt (tokens streamed), fitted to the generator.
        Image work's prompt was decided with it: fitted here, with the pinned items and the words it must keep."""
        if state.job.work is not None:
            return self._image_work_prompt(state)
        job, session, generator = state.job, state.session, state.models["generator"]
        memory = build_memory(session)
        refined = self._stage(state, "refine", lambda: state.models["refiner"].refine(RefineRequest(
            memory, generator.count_prompt_tokens, generator.max_prompt_tokens,
            language=generator.prompt_language), state.on_token))
        pinned = memory.pinned

        def fit(text: str, *keep: str) -> str:
            return fit_prompt(text, generator.count_prompt_tokens, generator.max_prompt_tokens, keep=(*pinned, *keep))

        prompt = fit(job.style.apply(refined.prompt)) if job.style else refined.prompt
        prompts = tuple(fit(f"{d.prompt}, {prompt}", d.prompt) for d in state.directions)
        # Stored as data: the refiner's own words (none when its reply was unusable: the page says the prompt was
        # composed, in the reader's language).
        self._use_prompt(state, prompt, prompts,
                         [refined.negative, job.style.negative if job.style else "", job.request.negative], pinned,
                         rationale="" if refined.fallback else refined.rationale, fallback=refined.fallback,
                         style=job.style.name if job.style else "")

    def _image_work_prompt(self, state: RoundState) -> None:
        work, session, generator = state.job.work, state.session, state.models["generator"]
        if work.translate:  # a Chinese request for an English-reading generator: the refiner puts it in English
            phrase = self._stage(state, "refine", lambda: region_phrase(
                state.models["refiner"], work.translate, generator.prompt_language))
            work = replace(work, prompt=work.prompt.replace(work.translate, phrase, 1),
                           keep=tuple(phrase if k == work.translate else k for k in work.keep))
        pinned = pinned_phrases(session) if work.kind is not RoundKind.UPSCALE else ()

        def fit(text: str) -> str:
            return fit_prompt(text, generator.count_prompt_tokens, generator.max_prompt_tokens,
                              keep=(*work.keep, *pinned))

        prompt, prompts = fit(work.prompt), tuple(fit(p) for p in work.prompts)
        self._use_prompt(state, prompt, prompts if len(set(prompts)) > 1 else (),
                         [state.job.request.negative, *work.negative], pinned)

    def _use_prompt(self, state: RoundState, prompt: str, prompts: tuple[str, ...], negatives: list[str],
                    pinned: tuple[str, ...], **stored) -> None:
        """The round's prompt and negative (its parts and the session's avoid items, without repeats, fitted to the
        generator) into the render request, and stored with the round: with the pinned items the prompt could not
        hold beside the others."""
        generator = state.models["generator"]
        parts = [*negatives, *avoided(state.session)]
        negative = fit_prompt(", ".join(dict.fromkeys(p for p in parts if p)), generator.count_prompt_tokens,
                              generator.max_prompt_tokens)
        state.request = replace(state.job.request, prompt=prompt, prompts=prompts, negative=negative,
                                previews=self.safety is None)  # a preview would show what the check withholds
        self._save(state, prompt=prompt, negative_prompt=negative, left_out=left_out(prompt, pinned),
                   params=replace(state.round.params, negative_prompt=negative, scheduler=generator.scheduler,
                                  environment=rendered_by(self.models.preset.name, generator)),
                   **stored)

    def render_candidates(self, state: RoundState) -> None:
        """4. Every candidate in one batched call (the backend's out-of-memory policy applies); an upscale enlarges
        its candidates one by one."""
        work = state.job.work
        if work is not None and work.kind is RoundKind.UPSCALE:
            state.images = self._stage(state, "render", lambda: self._upscale(state, work))
            return
        state.images = self._stage(state, "render", lambda: state.models["generator"].render(
            state.request, state.on_step))

    def _upscale(self, state: RoundState, work: ImageWork) -> list[Image.Image]:
        upscaler, request = self.models.upscaler(), state.request
        prompts = request.prompts or (request.prompt,) * len(work.images)
        asked = [UpscaleRequest(image, prompt, work.factor, seed, request.negative, request.steps, request.guidance,
                                request.strength) for image, prompt, seed in zip(work.images, prompts, request.seeds)]
        self._save(state, params=replace(state.round.params, method=upscaler.describe(asked[0])))
        return [upscaler.upscale(one, state.on_step) for one in asked]

    def store_candidates(self, state: RoundState) -> None:
        """5. The safety check, then files first, rows after."""
        images, request = state.images, state.request
        withheld = self.safety.flag(images) if self.safety else [""] * len(images)
        for i, why in enumerate(withheld):
            if why:  # never stored, never served: a grey placeholder takes its place
                log.warning("safety check withheld candidate %d of round %d of session %s: %s",
                            i, state.index, state.sid, why)
                images[i] = placeholder(images[i].size)
        started = time.perf_counter()
        files = self.store.save_images(state.sid, [(f"r{state.index}-c{i}-{uuid.uuid4().hex[:8]}", image)
                                                   for i, image in enumerate(images)])
        directions, work = state.directions, state.job.work
        sources = (work.sources * len(files))[:len(files)] if work and len(work.sources) == 1 else \
            work.sources if work else (None,) * len(files)
        state.candidates = tuple(
            Candidate(index=i, seed=seed, image=file, label=directions[i].name if directions else "",
                      prompt=request.prompts[i] if request.prompts else "", withheld=withheld[i], source=source)
            for i, (file, seed, source) in enumerate(zip(files, request.seeds, sources)))
        state.timings["store"] = round(time.perf_counter() - started, 3)
        self._save(state, candidates=state.candidates)

    def critique_candidates(self, state: RoundState) -> None:
        """6. Every candidate against the checklist and the designer's tastes; a Stop meanwhile is seen
        before the round is written done (its candidates stay, uncritiqued)."""
        session = state.session
        state.emit(Critiquing(state.sid, state.index, len(state.images)))
        request = CritiqueRequest(
            session.brief, state.request.prompt,
            tuple(base.ChecklistItem(i.text, i.kind, i.pinned, i.quote) for i in session.checklist),
            prefer=tuple(p.text for p in session.preferences if p.polarity == "like"),
            avoid=tuple(p.text for p in session.preferences if p.polarity == "dislike"))
        critiques = self._stage(state, "critique", lambda: state.models["critic"].critique(state.images, request))
        self._stage(state, "embed", lambda: self.embeddings.keep_round(state.sid, state.index, state.candidates,
                                                                        state.images))  # for search by image
        state.check_stop()
        self._save(state, status=RoundStatus.DONE, candidates=tuple(
            replace(c, caption=k.caption, score=k.score, critique=stored_critique(k)) if not c.withheld else
            replace(c, score=0.0)  # the page says why (`withheld`); the critic saw nothing
            for c, k in zip(state.candidates, critiques)))

    # ------------------------------------------------------------ helpers
    def _stage(self, state: RoundState, name: str, fn: Callable[[], Any]) -> Any:
        """`fn()`, timed; a Stop is seen before and after it. Each backend keeps its own concurrency: in-process
        models hold the device lock call by call (two sessions' rounds interleave, never collide), a server queues."""
        state.check_stop()
        started = time.perf_counter()
        try:
            return fn()
        finally:
            seconds = time.perf_counter() - started
            state.timings[name] = round(state.timings.get(name, 0.0) + seconds, 3)
            self.observers.report(StageTimed(name, seconds))

    def _save(self, state: RoundState, **changes) -> None:
        state.round = replace(state.round, timings=dict(state.timings), **changes)

        def saved(s: Session) -> Session:
            s = with_round(replace(s, updated=self.clock()), state.round)
            # A finished round keeps its branch's brief, checklist and tastes: a branch started from it gets them.
            return with_round_state(s, state.round.index) if state.round.status is RoundStatus.DONE else s

        stored = self.store.update_session(state.sid, saved)
        state.round = find_round(stored, state.round.index) if stored else state.round  # as stored: what Finished says

    def _end(self, state: RoundState, status: RoundStatus, error: Message) -> None:
        """The round's end, stored. When the disk refuses even that, the store keeps it in memory: the session
        stays usable (the round is not left 'running'), and its next write, or recover() at the next start,
        mends the row."""
        try:
            self._save(state, status=status, error=error)
        except Exception as err:
            log.exception("could not store the end of round %s of session %s", state.index, state.sid)
            if status is not RoundStatus.INTERRUPTED:
                error = human_error(err)  # the disk's own failure is what the designer can act on
            state.round = replace(state.round, status=status, error=error)
            self.store.keep_unwritten(state.sid, state.round)

    def answer(self, image: Image.Image, question: str) -> str:
        """The VQA model's answer to one question about one image."""
        return self.models.captioner().answer([image], [question])[0]


def with_checklist(session: Session, items, fallback: bool) -> Session:
    """The session with the checklist the refiner wrote (`items`, the model layer's), after its pinned items."""
    pinned = tuple(i for i in session.checklist if i.pinned)
    taken = {i.text.lower() for i in pinned}
    written = tuple(ChecklistItem(i.text, i.kind, i.pinned, i.quote) for i in items if i.text.lower() not in taken)
    return replace(session, checklist=pinned + written, checklist_fallback=fallback, checklist_stale=False)


def rendered_by(preset: str, generator: base.Generator) -> dict[str, str]:
    """What renders a round, as its recipe records it: the preset, the device, the dtype and the libraries'
    versions (a reproduction compares them with its own, studio/engine/reproduce.py)."""
    return {"preset": preset, **generator.describe_environment()}


def stored_critique(k: base.Critique) -> Critique:
    """The critic's result as the studio stores it."""
    return Critique(k.caption, k.score, k.similarity, tuple(k.matches), tuple(k.missing), k.note,
                    tuple(ItemCheck(c.item, c.kind, c.verdict, c.evidence, c.reading) for c in k.checks),
                    tuple(k.preference_hits))


def human_error(err: Exception) -> Message:
    """Why a round failed, as the studio stores and says it."""
    if isinstance(err, OneCandidateTooBig):
        return Message("model.error", {"detail": str(err)})
    if is_out_of_memory(err):
        return Message("round.out_of_memory")
    if isinstance(err, OSError):  # a disk full, read-only or failing; the database's failures come as OSError too
        return disk_message(err) or Message("round.files_not_written", {"reason": str(err.strerror or err)})
    # A bug, not something the designer can act on: the log has the traceback under this reference, the person
    # reads the reference (never the Python error, which may name the server's paths).
    ref = uuid.uuid4().hex[:6].upper()
    log.error("unexpected failure, ref %s: %s: %s", ref, type(err).__name__, err)
    return Message("round.failed_ref", {"ref": ref})
