"""The engine's doors for work on images: region edits, fixes, variations, upscales, and the images a designer
brings. Part of `Studio` (studio.py): each method checks who is asking, then hands the action to its room
(edits.py plans a round, references.py reads images); rounds run like any other (running.py, worker.py).
"""
from __future__ import annotations

from typing import Iterator

from pipelines.base import Segment
from studio.core import limits
from studio.core.params import RoundParams
from studio.core.session import Session
from studio.engine import validation as checks
from studio.engine.edits import checklist_item
from studio.engine.events import RoundEvent
from studio.engine.store_failures import refusing_store_failures
from studio.engine.validation import refusing_model_load_errors


class ImageActions:
    """Mixed into `Studio`, which provides `open_session`, `start_session`, `_room_for`, `_runner`, `_edits` and
    `_references`."""

    def follows_style(self) -> bool:
        """Whether this preset's generator can follow a style image (an IP-Adapter)."""
        return self._planner.preset_follows_style()

    # ------------------------------------------------------------ rounds that work on a candidate
    @refusing_store_failures
    def edit_region(self, owner: str, session_id: str, round_index, candidate, instruction: str, mask,
                    strength=None, params: RoundParams = RoundParams()) -> Iterator[RoundEvent]:
        """Redraw the region `mask` marks (a file or an image: white = redraw) on a candidate, as `instruction`
        says; pixels outside it are kept."""
        session = self.open_session(owner, session_id)
        return self._run(owner, self._edits.region(session, round_index, candidate, instruction, mask, strength,
                                                   params))

    @refusing_store_failures
    def fix_item(self, owner: str, session_id: str, round_index, candidate, item, mask=None,
                 params: RoundParams = RoundParams()) -> Iterator[RoundEvent]:
        """Redraw where checklist `item` (its words, or its number from 1) is or should be, so that it holds; the
        region is `mask`, or where the segmenter finds the item."""
        session = self.open_session(owner, session_id)
        with refusing_model_load_errors():  # the segmenter, when no mask is given
            plan = self._edits.fix(session, round_index, candidate, item, mask, params)
        return self._run(owner, plan)

    @refusing_store_failures
    def vary(self, owner: str, session_id: str, round_index, candidate, how: str = "subtle",
             params: RoundParams = RoundParams()) -> Iterator[RoundEvent]:
        """Variations of a candidate: "subtle" or "strong", new seeds, its prompt."""
        session = self.open_session(owner, session_id)
        return self._run(owner, self._edits.vary(session, round_index, candidate, how, params))

    @refusing_store_failures
    def upscale(self, owner: str, session_id: str, round_index, candidates, factor=2,
                params: RoundParams = RoundParams()) -> Iterator[RoundEvent]:
        """Candidates of one round (indices from 0) enlarged `factor` times, one new candidate each."""
        session = self.open_session(owner, session_id)
        return self._run(owner, self._edits.upscale(session, round_index, candidates, factor, params))

    def _run(self, owner: str, plan) -> Iterator[RoundEvent]:
        self._room_for(owner, len(plan.request.seeds))
        return self._runner.stream(plan)

    @refusing_store_failures
    def propose_fix_mask(self, owner: str, session_id: str, round_index, candidate, item) -> tuple[Segment, str]:
        """Where the segmenter finds checklist `item` on a candidate, for the designer to accept or repaint:
        (the segment, the item's words). Nothing is stored."""
        session = self.open_session(owner, session_id)
        _, _, image = self._edits.source(session, round_index, candidate)
        wanted = checklist_item(session, item)
        with refusing_model_load_errors():
            return self._edits.locate(image, wanted), wanted.text

    # ------------------------------------------------------------ images the designer brings
    @refusing_store_failures
    def add_references(self, owner: str, session_id: str, files, use: str = "context",
                       strength=None) -> Session:
        """Read images (captions and answers) and keep them with the session: as context the refiner reads, or as
        the style its rounds follow."""
        session = self.open_session(owner, session_id)
        with refusing_model_load_errors():
            return self._references.add(session, files, use, strength)

    @refusing_store_failures
    def start_from_images(self, owner: str, files, words: str = "") -> Session:
        """A session from images alone (and any words): the refiner proposes its brief and checklist from what the
        captioner and the VQA model read in them; the images stay as the session's references."""
        words = checks.text("message", words, limits.MAX_MESSAGE_CHARS)
        references = self._references
        images = references.checked_images(files)
        with refusing_model_load_errors():
            reports, brief = references.propose(images, words)
            session = self.start_session(owner, brief)
            session = references.keep(session, images, reports)
            return references.write_checklist(session)

    @refusing_store_failures
    def set_reference_use(self, owner: str, session_id: str, number, use: str, strength=None) -> Session:
        session = self.open_session(owner, session_id)
        return self._references.set_use(session, number, use, strength)
