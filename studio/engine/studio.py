"""The only door to the models and the store: every action a designer can take, checked here.

Each public method takes plain values (the caller's owner id first), checks who is asking, and hands
the action to the room that does it: validation (engine/validation.py), planning a round
(planner.py), running it (running.py, worker.py), auto-rounds (auto.py), the session's images
(gallery.py), a designer's API keys (key_actions.py, services/keys.py); work on images (image_actions.py, edits.py, references.py). Bad input raises `StudioError` with a message meant for a
person and changes nothing.
`run_round` and `run_auto` are generators of typed events (engine/events.py). A store that fails (a full or
failing disk) or has closed refuses the action too (store_failures.py); `shut_down` drains the rounds (running.py).
"""
from __future__ import annotations

import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Protocol

from PIL import Image

from pipelines.base import Captioner, Critic, Generator, Refiner, Scorer, Segmenter, Upscaler
from pipelines.checklist import words_to_show
from pipelines.presets import Preset
from pipelines.safety import SafetyChecker
from studio.core import limits
from studio.core.memory import Agreement, agreement
from studio.core.params import RoundParams
from studio.core.session import (Candidate, Feedback, FeedbackKind, Preference, Question, RoundStatus, Session,
                                 SessionSummary, apply_feedback, find_round)
from studio.engine import gallery, validation as checks
from studio.engine.archive_actions import ArchiveActions
from studio.engine.auto import AutoRounds
from studio.engine.compare_actions import CompareActions
from studio.engine.edits import EditPlanner
from studio.engine.events import RoundEvent
from studio.engine.history_actions import HistoryActions
from studio.engine.image_actions import ImageActions
from studio.engine.key_actions import KeyActions
from studio.engine.search_actions import SearchActions
from studio.engine.planner import RoundPlanner
from studio.engine.references import References
from studio.engine.review_actions import ReviewActions
from studio.engine.running import MAX_STOP_GRACE_S, RoundRunner, ShutdownReport
from studio.engine.store_failures import refusing_store_failures
from studio.engine.validation import StudioError, shown
from studio.engine.worker import RoundWorker
from studio.services.keys import ApiKeys
from studio.services.reviews import ReviewLinks
from studio.services.sessions import Store
from studio.services.styles import load_styles


class Models(Protocol):
    """What the engine needs of the model layer (pipelines.registry.ModelRegistry, or a fake)."""

    preset: Preset

    def refiner(self) -> Refiner: ...
    def generator(self) -> Generator: ...
    def critic(self) -> Critic: ...
    def captioner(self) -> Captioner: ...
    def segmenter(self) -> Segmenter: ...
    def upscaler(self) -> Upscaler: ...
    def scorer(self) -> Scorer: ...
    def add_listener(self, listener: Callable) -> None: ...
    def remove_listener(self, listener: Callable) -> None: ...


class Studio(ImageActions, HistoryActions, ReviewActions, CompareActions, SearchActions, ArchiveActions,
             KeyActions):
    def __init__(self, store: Store, models: Models, clock: Callable[[], float] = time.time,
                 safety: SafetyChecker | None = None, upload_roots: tuple[Path, ...] | None = None,
                 keys: ApiKeys | None = None, quotas: limits.Quotas = limits.Quotas(),
                 reviews: ReviewLinks | None = None):
        self.store = store
        self.quotas = quotas
        self.keys = keys or ApiKeys(store)
        self.review_links = reviews or ReviewLinks(store)  # links a designer shares with a client (review_actions.py)
        self.models = models
        self.preset = models.preset
        self.clock = clock
        self.styles = load_styles()
        # Uploads are read only from these folders (Gradio's upload cache lives in the temp folder).
        self.upload_roots = upload_roots or (Path(tempfile.gettempdir()),)
        self._planner = RoundPlanner(store, self.preset, self.styles, self.upload_roots, clock)
        self._worker = RoundWorker(store, models, clock, safety)
        self._runner = RoundRunner(self._planner, self._worker)
        self._auto = AutoRounds(store, self._planner, self._runner, clock)
        self._edits = EditPlanner(self._planner, models, self.upload_roots)  # image work (image_actions.py)
        self._references = References(store, models, self.upload_roots, clock, self._planner.preset_follows_style)
        # For the host's metrics (engine/observing.py): `observers.add(listener)` hears each stage's time and each
        # round's end; the page reports its refusals and unexpected errors there too.
        self.observers = self._worker.observers
        self._embeddings = self._worker.embeddings  # search (search_actions.py): the worker embeds each round's
        self._search = self._embeddings.search

    # ------------------------------------------------------------ sessions
    @refusing_store_failures
    def start_session(self, owner: str, brief: str, title: str = "") -> Session:
        owner = checks.owner(owner)
        brief = checks.text("brief", brief, limits.MAX_BRIEF_CHARS, required=True)
        title = checks.text("title", title, limits.MAX_TITLE_CHARS) or title_from(brief)
        if self.store.holdings(owner)[0] >= self.quotas.sessions:
            raise StudioError("quota.sessions", limit=self.quotas.sessions)
        now = self.clock()
        session = Session(id=uuid.uuid4().hex, owner=owner, title=title, brief=brief,
                          preset=self.preset.name, created=now, updated=now)
        self.store.save_session(session)
        return session

    @refusing_store_failures
    def list_sessions(self, owner: str) -> list[SessionSummary]:
        return self.store.list_sessions(checks.owner(owner))

    @refusing_store_failures
    def open_session(self, owner: str, session_id: str) -> Session:
        owner = checks.owner(owner)
        session = self.store.load_session(checks.session_id(session_id))
        if session is None or session.owner != owner:  # another owner's session looks just like a missing one
            raise StudioError("session.missing")
        return session

    @refusing_store_failures
    def rename(self, owner: str, session_id: str, title: str) -> Session:
        session = self.open_session(owner, session_id)
        title = checks.text("title", title, limits.MAX_TITLE_CHARS, required=True)
        return self.store.update_session(session.id, lambda s: replace(s, title=title, updated=self.clock()))

    @refusing_store_failures
    def delete(self, owner: str, session_id: str) -> None:
        session = self.open_session(owner, session_id)
        if self._runner.is_running(session.id):
            raise StudioError("session.running_delete")
        self.store.delete_session(session.id)

    @refusing_store_failures
    def round_images(self, owner: str, session_id: str, round_index: int) -> list[tuple[Image.Image, Candidate]]:
        """Each candidate of one round with its image, opened: the page never opens files itself."""
        return gallery.round_images(self.store, self.open_session(owner, session_id), round_index)

    @refusing_store_failures
    def image(self, owner: str, session_id: str, relative_path: str) -> Image.Image:
        """One stored image of the session's rounds (a candidate, a start image, a mask), by its stored path."""
        return gallery.session_image(self.store, self.open_session(owner, session_id), relative_path)

    # ------------------------------------------------------------ the design loop
    @refusing_store_failures
    def give_feedback(self, owner: str, session_id: str, round_index: int, kind: str,
                      candidate: int | None = None, text: str = "") -> Session:
        """Pick or reject a candidate (with a reason), or add a correction for the next round."""
        session = self.open_session(owner, session_id)
        if not isinstance(kind, str) or kind not in {k.value for k in FeedbackKind}:
            raise StudioError("feedback.bad_kind", value=shown(kind))
        round_index = checks.whole("round", round_index, 0, 10**6)
        round_ = find_round(session, round_index)
        if round_ is None:
            raise StudioError("round.missing", round=round_index + 1)
        text = checks.text("note", text, limits.MAX_MESSAGE_CHARS, required=kind == FeedbackKind.CORRECTION)
        if kind != FeedbackKind.CORRECTION and round_.status is RoundStatus.RUNNING:
            raise StudioError("feedback.round_running", round=round_.index + 1)
        if kind == FeedbackKind.CORRECTION:
            candidate = None
        elif candidate is None:
            raise StudioError(f"feedback.which_candidate.{kind}")
        else:  # stored as checked: 1.0 -> 1
            candidate = checks.chosen_candidate(session, round_.index, candidate)[1].index
        fb = Feedback(round_index=round_.index, kind=FeedbackKind(kind), text=text, candidate=candidate,
                      created=self.clock())
        return self.store.update_session(session.id, lambda s: replace(apply_feedback(s, fb), updated=self.clock()))

    @refusing_store_failures
    def set_checklist(self, owner: str, session_id: str, items) -> Session:
        """The designer's edit of the checklist: rows of (text, kind, pinned); blank rows are dropped."""
        session = self.open_session(owner, session_id)
        clean = checks.checklist(items)
        return self.store.update_session(session.id, lambda s: replace(
            s, checklist=clean, checklist_fallback=False, checklist_stale=False, updated=self.clock()))

    @refusing_store_failures
    def edit_brief(self, owner: str, session_id: str, brief: str) -> Session:
        """A new brief: pinned checklist items stay, the rest is rewritten from it at the next round. Words the old
        brief quoted (pinned on their own) go with it, unless the new brief quotes them too."""
        session = self.open_session(owner, session_id)
        brief = checks.text("brief", brief, limits.MAX_BRIEF_CHARS, required=True)

        def rewritten(s: Session) -> Session:
            dropped = {q.lower() for q in words_to_show(s.brief)} - {q.lower() for q in words_to_show(brief)}
            kept = tuple(i for i in s.checklist if i.pinned and i.quote.lower() not in dropped)
            return replace(s, brief=brief, checklist=kept, checklist_stale=True, updated=self.clock())

        return self.store.update_session(session.id, rewritten)

    @refusing_store_failures
    def set_preferences(self, owner: str, session_id: str, items) -> Session:
        """The designer's edit of their remembered tastes: rows of (text, 'like' | 'dislike')."""
        session = self.open_session(owner, session_id)
        clean = checks.preferences(items)
        known = {p.text: p for p in session.preferences}
        kept = tuple(replace(known[t], polarity=p) if t in known else Preference(t, p)
                     for t, p in clean)
        return self.store.update_session(session.id, lambda s: replace(s, preferences=kept, updated=self.clock()))

    @refusing_store_failures
    def ask(self, owner: str, session_id: str, round_index: int, candidate: int, question: str) -> Question:
        """Ask the VQA model about one candidate; the answer is kept in the conversation."""
        session = self.open_session(owner, session_id)
        question = checks.text("question", question, limits.MAX_QUESTION_CHARS, required=True)
        round_, chosen = checks.chosen_candidate(session, round_index, candidate)
        image = gallery.opened(self.store, chosen.image).convert("RGB")
        with checks.refusing_model_load_errors():
            answer = self._worker.answer(image, question)
        asked = Question(round_.index, chosen.index, question, answer, self.clock())
        self.store.update_session(session.id, lambda s: replace(s, questions=s.questions + (asked,),
                                                                updated=self.clock()))
        return asked

    @refusing_store_failures
    def agreement(self, owner: str, session_id: str) -> Agreement:
        return agreement(self.open_session(owner, session_id))

    # ------------------------------------------------------------ round settings
    def round_params(self, settings: Mapping[str, Any]) -> RoundParams:
        """The designer's round settings (studio.core.params.ROUND_SETTINGS names) as the engine takes them."""
        return checks.round_params(settings, self.preset.max_size, self.styles)

    @refusing_store_failures
    def keep_settings(self, owner: str, session_id: str, settings: dict) -> Session:
        """Keep round settings with the session (any subset; the rest stay as kept). `reference` and
        `start_from` name one round's start and are not kept."""
        session = self.open_session(owner, session_id)
        kept = checks.settings_to_keep(settings, session.settings, self.preset, self.styles)
        return self.store.update_session(session.id, lambda s: replace(s, settings=kept, updated=self.clock()))

    # ------------------------------------------------------------ rounds
    @refusing_store_failures
    def cancel(self, owner: str, session_id: str) -> bool:
        """Stop the caller's running round in this session; True if one was running."""
        return self._runner.cancel(self.open_session(owner, session_id).id)  # refuses another owner's session

    @refusing_store_failures
    def run_round(self, owner: str, session_id: str, message: str = "",
                  params: RoundParams = RoundParams()) -> Iterator[RoundEvent]:
        """Refine, render, critique. Yields events; the last is `Finished` with the stored round.

        Everything is checked before the first event, so bad input raises and changes nothing.
        """
        session = self.open_session(owner, session_id)
        plan = self._planner.plan(session, message, params)
        self._room_for(owner, len(plan.request.seeds))
        return self._runner.stream(plan)

    @refusing_store_failures
    def run_auto(self, owner: str, session_id: str, rounds: int,
                 params: RoundParams = RoundParams()) -> Iterator[RoundEvent]:
        """Run up to `rounds` rounds on the studio's own judgement (engine/auto.py)."""
        session = self.open_session(owner, session_id)
        total = checks.whole("rounds", rounds, 1, limits.MAX_AUTO_ROUNDS)
        plan = self._planner.plan(session, "", params)  # refuse bad settings now, before the first round
        self._room_for(owner, len(plan.request.seeds))
        return self._auto.run(session, total, params)

    def _room_for(self, owner: str, count: int) -> None:
        """Refuse a round whose images would take the owner past their quota."""
        if self.store.holdings(owner)[1] + count > self.quotas.images:
            raise StudioError("quota.images", limit=self.quotas.images)

    # ------------------------------------------------------------ the host
    def shut_down(self, grace_s: float) -> ShutdownReport:
        """Stop taking rounds (a clear refusal), give running ones `grace_s` seconds to finish, stop the rest (stored
        `interrupted`: the studio was shut down), wait for their workers to end, and close the store. Every action
        after it is refused: the studio is shutting down."""
        grace = checks.number("stop_grace", grace_s, 0, MAX_STOP_GRACE_S)
        report = self._runner.shut_down(grace)
        self.store.close()
        return report


def title_from(brief: str) -> str:
    first_line = brief.splitlines()[0]
    return first_line if len(first_line) <= 60 else first_line[:57].rsplit(" ", 1)[0] + "..."
