"""Round settings + a session -> a frozen `RoundPlan` (plans.py); and the plan stored as a running round.

Everything a round needs is checked here, before its first event: a plan that exists is one the
worker can run. Storing it ('running', with its start image and mask) is the round's first write.
"""
from __future__ import annotations

import math
import random
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable

from PIL import Image

from pipelines.base import RenderRequest
from pipelines.presets import Preset
from studio.core import limits
from studio.core.history import on_branch
from studio.core.params import RoundParams
from studio.core.session import Candidate, RenderParams, Round, RoundKind, RoundStatus, Session, find_round, \
    last_done_round, style_reference, with_round
from studio.engine import gallery, uploads, validation as checks
from studio.engine.plans import RoundPlan, StyleImage
from studio.engine.validation import StudioError
from studio.engine.jobs import RoundJob
from studio.services.sessions import Store
from studio.services.styles import Style


class RoundPlanner:
    def __init__(self, store: Store, preset: Preset, styles: dict[str, Style], upload_roots: tuple[Path, ...],
                 clock: Callable[[], float]):
        self.store, self.preset, self.styles = store, preset, styles
        self.upload_roots, self.clock = upload_roots, clock

    def plan(self, session: Session, message: str, params: RoundParams, auto: bool = False) -> RoundPlan:
        message = checks.text("message", message, limits.MAX_MESSAGE_CHARS)
        if not isinstance(params, RoundParams):
            raise StudioError("settings.not_round_params")
        style = checks.style(params.style, self.styles)
        directions = checks.whole("directions", params.directions, 0, limits.MAX_DIRECTIONS)
        # Inspire's count is the number of directions: the designer's own count setting stays as it was.
        asked = replace(params, count=session.settings.get("count", RoundParams.count)) if directions else params
        if directions:  # one candidate per direction
            params = replace(params, count=directions)
        request = self.render_request(params, style)
        start_image, mask, start_from = self.start_images(session, params)
        preset = self.preset
        return RoundPlan(
            session.id, "auto" if auto else "directions" if directions else "round", message, request,
            start_image, mask, start_from, start_from[0] if start_from else None, style, directions,
            checks.kept_settings(asked, preset.steps, preset.size, preset.guidance),
            style_image=self.style_image(session))

    def style_image(self, session: Session) -> StyleImage | None:
        """The session's style reference, where the preset's generator can follow one."""
        reference = style_reference(session)
        if reference is None or not self.preset_follows_style():
            return None
        return StyleImage(gallery.opened(self.store, reference.image).convert("RGB"), reference.image,
                          reference.strength)

    def preset_follows_style(self) -> bool:
        return self.preset.ip_adapter is not None

    def render_request(self, p: RoundParams, style: Style | None = None) -> RenderRequest:
        preset = self.preset
        if style is not None:  # a style's suggested settings fill in what the designer left open
            p = replace(p, **{k: v for k, v in style.suggested.items() if getattr(p, k) is None})
        count = checks.whole("candidate_count", p.count, limits.MIN_CANDIDATES, limits.MAX_CANDIDATES)
        steps = checks.whole("steps", preset.steps if p.steps is None else p.steps, limits.MIN_STEPS, limits.MAX_STEPS)
        guidance = checks.number("guidance", preset.guidance if p.guidance is None else p.guidance,
                                 limits.MIN_GUIDANCE, limits.MAX_GUIDANCE)
        width = checks.size("width", preset.size if p.width is None else p.width, preset.max_size)
        height = checks.size("height", preset.size if p.height is None else p.height, preset.max_size)
        seed = random.randrange(limits.MAX_SEED - count) if p.seed is None else \
            checks.whole("first_seed", p.seed, 0, limits.MAX_SEED - count)
        return RenderRequest(
            prompt="", seeds=tuple(range(seed, seed + count)), width=width, height=height, steps=steps,
            guidance=guidance, negative=checks.text("negative_prompt", p.negative, limits.MAX_MESSAGE_CHARS),
            strength=checks.number("strength", p.strength, limits.MIN_STRENGTH, limits.MAX_STRENGTH))

    def start_images(self, session: Session, p: RoundParams):
        """(start image, mask, start candidate): a chosen candidate or an upload, and a mask over it."""
        init = start = None
        if p.from_candidate is not None:
            if not isinstance(p.from_candidate, (tuple, list)) or len(p.from_candidate) != 2:
                raise StudioError("start.which_candidate")
            round_, chosen = start_candidate(session, *p.from_candidate)
            init = Image.open(self.store.image_path(chosen.image)).convert("RGB")
            start = (round_.index, chosen.index)
        if p.reference is not None:
            if init is not None:
                raise StudioError("start.both")
            init = uploads.open_picture(p.reference, "reference_file", self.upload_roots)
        if p.mask is not None and init is None:
            raise StudioError("mask.without_image")
        mask = uploads.open_mask(p.mask, init.size, self.upload_roots)[0] if p.mask is not None else None
        return init, mask, start

    def save_running_round(self, plan: RoundPlan, cancel: threading.Event) -> RoundJob:
        """The round is stored as running before any work: a crash from here on leaves it 'interrupted'.
        The settings it runs with are kept with the session in the same write."""
        session = self.store.load_session(plan.session_id)  # as it is now, not as it was when asked
        if session is None:
            raise StudioError("session.missing")
        index = max((r.index for r in session.rounds), default=-1) + 1
        request = plan.request
        if plan.start_image is not None and math.floor(request.steps * request.strength) < 1:
            # A distilled model's 1 step at strength 0.6 would denoise nothing: take the fewest that do.
            request = replace(request, steps=math.ceil(1 / request.strength))
        reference = mask_file = None
        if plan.start_image is not None:
            if plan.work is None:  # an upload, or a copy of the candidate as it was; image work names its sources
                reference = self.store.save_image(session.id, f"r{index}-start", plan.start_image)
            request = replace(request, init_image=plan.start_image)
        if plan.mask is not None:
            mask_file = self.store.save_image(session.id, f"r{index}-mask", plan.mask)
            request = replace(request, mask=plan.mask)
        if plan.style_image is not None:
            request = replace(request, style_image=plan.style_image.image, style_strength=plan.style_image.strength)
        # A round continues the branch the designer is on (its last finished round), or the candidate it starts from.
        parent = plan.parent if plan.start_from else getattr(last_done_round(on_branch(session)), "index", None)
        work = plan.work
        round_ = Round(index=index, message=plan.message if session.rounds else (plan.message or session.brief),
                       status=RoundStatus.RUNNING, auto=plan.kind == "auto", parent=parent,
                       params=self.render_params(request, reference, mask_file, plan), created=self.clock(),
                       kind=work.kind if work else RoundKind.ROUND, notes=plan.notes)
        session = self.store.update_session(session.id, lambda s: with_round(  # the designer is on it now
            replace(s, updated=self.clock(), settings=plan.settings or s.settings, head=index, redo=()), round_))
        return RoundJob(session, round_, request, cancel, plan.style, plan.directions, work)

    def render_params(self, request: RenderRequest, reference: str | None, mask: str | None,
                      plan: RoundPlan) -> RenderParams:
        work, style = plan.work, plan.style_image
        return RenderParams(
            preset=self.preset.name, model_ids={role: spec.model_id for role, spec in self.preset.models.items()},
            steps=request.steps, guidance=request.guidance, width=request.width, height=request.height,
            seeds=request.seeds, scheduler="", negative_prompt=request.negative,
            strength=request.strength if request.init_image is not None or (work and work.factor) else None,
            reference=reference, mask=mask, start_from=plan.start_from,
            feather=request.feather or None if mask else None,
            style_reference=style.path if style else None, style_strength=style.strength if style else None,
            upscale=work.factor if work and work.factor else None, variation=work.variation if work else "")


def start_candidate(session: Session, round_index, candidate) -> tuple[Round, Candidate]:
    r = checks.whole("round", round_index, 0, 10**6)
    c = checks.whole("candidate", candidate, 0, 10**6)
    round_ = find_round(session, r)
    chosen = next((x for x in round_.candidates if x.index == c), None) if round_ else None
    if chosen is None:
        raise StudioError("candidate.missing", candidate=c + 1, round=r + 1)
    return round_, chosen
