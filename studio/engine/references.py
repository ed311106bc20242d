"""Images the designer brings: each checked like any upload, read by the captioner and the VQA model, kept with the
session (stripped of metadata), and from a photo alone, a brief and a checklist proposed by the refiner.

What the models read in an image is data the refiner reads later (studio/core/memory.py), never instructions.
"""
from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Callable

from PIL import Image

from pipelines.briefing import QUESTIONS, ImageReport, propose_brief
from pipelines.checklist import make_checklist
from studio.core import limits
from studio.core.session import REFERENCE_USES, Reference, Session
from studio.engine import uploads, validation as checks
from studio.engine.validation import StudioError
from studio.engine.worker import with_checklist
from studio.services.sessions import Store

MAX_PER_CALL = 4  # images read in one action
MAX_PER_SESSION = 12


class References:
    def __init__(self, store: Store, models, upload_roots: tuple[Path, ...], clock: Callable[[], float],
                 follows_style: Callable[[], bool]):
        self.store, self.models, self.upload_roots, self.clock = store, models, upload_roots, clock
        self.follows_style = follows_style

    def checked_images(self, files, kept: int = 0) -> list[Image.Image]:
        """The uploaded files as pictures, every one checked before any model reads one."""
        if isinstance(files, (str, Path)):
            files = [files]
        if not isinstance(files, (list, tuple)) or not files:
            raise StudioError("reference.none")
        if len(files) > MAX_PER_CALL or kept + len(files) > MAX_PER_SESSION:
            raise StudioError("reference.too_many", limit=MAX_PER_CALL, most=MAX_PER_SESSION)
        return [uploads.open_picture(f, "reference_file", self.upload_roots) for f in files]

    def read(self, images: list[Image.Image]) -> list[ImageReport]:
        """A caption and the answers to `QUESTIONS` for each image."""
        questions = [q for _, q in QUESTIONS]
        captioner = self.models.captioner()
        captions = captioner.caption(images)
        answers = captioner.answer([im for im in images for _ in questions], questions * len(images))
        per_image = len(questions)
        return [ImageReport(caption, tuple(zip(questions, answers[i * per_image:(i + 1) * per_image])))
                for i, caption in enumerate(captions)]

    def add(self, session: Session, files, use, strength) -> Session:
        """Read the images and keep them with the session, used as `use` ("context" or "style")."""
        use, strength = self.check_use(use, strength)
        images = self.checked_images(files, len(session.references))
        return self.keep(session, images, self.read(images), use, strength)

    def keep(self, session: Session, images: list[Image.Image], reports: list[ImageReport], use: str = "context",
             strength: float = 0.5) -> Session:
        files = self.store.save_images(session.id, [(f"ref-{uuid.uuid4().hex[:12]}", im) for im in images])
        now = self.clock()
        added = tuple(Reference(file, r.caption, r.answers, use, strength, now) for file, r in zip(files, reports))
        return self.store.update_session(session.id, lambda s: replace(
            s, references=s.references + added, updated=self.clock()))

    def propose(self, images: list[Image.Image], words: str) -> tuple[list[ImageReport], str]:
        """What the images show, and a brief the refiner writes from them and the designer's words."""
        reports = self.read(images)
        brief, _ = propose_brief(self.models.refiner(), reports, words)
        if len(brief) > limits.MAX_BRIEF_CHARS:
            brief = brief[:limits.MAX_BRIEF_CHARS].rsplit(" ", 1)[0]
        return reports, checks.text("brief", brief, limits.MAX_BRIEF_CHARS, required=True)

    def write_checklist(self, session: Session) -> Session:
        """The checklist of a brief proposed from images, written now: the designer reviews both before round 1."""
        items, fallback = make_checklist(self.models.refiner(), session.brief)
        return self.store.update_session(session.id, lambda s: replace(with_checklist(s, items, fallback),
                                                                         updated=self.clock()))

    def set_use(self, session: Session, number, use, strength) -> Session:
        """Use reference `number` (from 1, as the page counts) as context or as the style rounds follow."""
        use, strength = self.check_use(use, strength)
        number = checks.whole("reference_number", number, 1, 10**6)
        if number > len(session.references):
            raise StudioError("reference.missing", number=number)

        def changed(s: Session) -> Session:
            refs = list(s.references)
            refs[number - 1] = replace(refs[number - 1], use=use, strength=strength)
            return replace(s, references=tuple(refs), updated=self.clock())

        return self.store.update_session(session.id, changed)

    def check_use(self, use, strength) -> tuple[str, float]:
        if use in (None, ""):
            use = "context"
        if use not in REFERENCE_USES:
            raise StudioError("reference.use", value=limits.shown(use))
        if use == "style" and not self.follows_style():
            raise StudioError("reference.no_style")
        strength = 0.5 if strength is None else checks.number("style_strength", strength, 0.0, 1.0)
        return use, strength
