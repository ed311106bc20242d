"""Reproduce a candidate from its stored recipe, and say whether the pixels came back and what rendered them.

The recipe is the round's: its prompt (the candidate's own when it has one), negative, seeds, steps, guidance,
size, strength with the stored start image, mask and feather, style reference and strength; image work starts
from the candidate it was made from (`Candidate.source`), and an upscale repeats the upscaler's call.

Why the whole batch: the generator renders every candidate of a round in one batched call, with one CPU generator
per seed. On this machine's CPU (torch 2.13, diffusers 0.42.1) a seed rendered alone still differs from the same
seed inside its batch: by 1 in a few pixels for text-to-image and image-to-image (kernels take other paths for
another batch shape), and everywhere for inpainting (the pipeline encodes the start image once, with the first
seed's generator, for the whole batch). So a reproduction renders the candidate's round again, every seed in its
place, and takes the candidate: then the pixels are identical. An upscale was rendered one candidate per call, and
is reproduced the same way.

A reproduction is a check: nothing is stored and the session does not change (no image counts against the quota).
It runs under the one model lock, like every model call.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from pipelines.base import RenderRequest, UpscaleRequest
from pipelines.safety import SafetyChecker, placeholder
from studio.core.reproduction import ReproductionReport, environment_changes, report_messages
from studio.core.session import Candidate, RenderParams, Round, RoundKind, Session
from studio.engine import gallery, validation as checks
from studio.engine.validation import StudioError, refusing_model_load_errors
from studio.engine.worker import rendered_by
from studio.services.sessions import Store


@dataclass(frozen=True, eq=False)
class Reproduction:
    round_index: int
    candidate: int
    image: Image.Image  # rendered now
    original: Image.Image  # as the round stored it
    report: ReproductionReport

    @property
    def messages(self):
        """The report as codes and arguments (studio.core.reproduction.report_messages)."""
        return report_messages(self.report)


class Reproducer:
    def __init__(self, store: Store, models, safety: SafetyChecker | None = None):
        self.store, self.models, self.safety = store, models, safety

    def reproduce(self, session: Session, round_index, candidate) -> Reproduction:
        round_, chosen = checks.candidate_with_image(session, round_index, candidate)
        params = round_.params
        if params is None:
            raise StudioError("reproduce.no_recipe", round=round_.index + 1)
        stored = gallery.opened(self.store, chosen.image).convert("RGB")
        with refusing_model_load_errors():
            generator = self.models.generator()
            if round_.kind is RoundKind.UPSCALE:
                image, rendered = self.models.upscaler().upscale(self._upscale_request(session, round_, chosen)), 1
            else:
                request = self._batch_request(session, round_)
                image = generator.render(request)[round_.candidates.index(chosen)]
                rendered = len(request.seeds)
            now = rendered_by(self.models.preset.name, generator)
        if self.safety is not None and self.safety.flag([image])[0]:
            image = placeholder(image.size)  # never shown, as a round never shows it
        count, largest = difference(image, stored)
        report = ReproductionReport(count == 0, count, largest, stored.width * stored.height, rendered,
                                    environment_changes(params.preset, params.environment, now))
        return Reproduction(round_.index, chosen.index, image, stored, report)

    def _batch_request(self, session: Session, round_: Round) -> RenderRequest:
        """The round's render request as the worker sent it: every candidate's seed in its place."""
        p = round_.params
        candidates = round_.candidates
        own = any(c.prompt for c in candidates)  # creative directions: one prompt per candidate, in one batch
        init = self._start_image(session, round_, p)
        return RenderRequest(
            prompt=round_.prompt, seeds=tuple(c.seed for c in candidates), negative=p.negative_prompt,
            width=p.width, height=p.height, steps=p.steps, guidance=p.guidance, init_image=init,
            mask=self._opened(p.mask) if p.mask else None,
            strength=p.strength if p.strength is not None else RenderRequest.strength,
            prompts=tuple(c.prompt or round_.prompt for c in candidates) if own else (), feather=p.feather or 0,
            style_image=self._opened(p.style_reference).convert("RGB") if p.style_reference else None,
            style_strength=p.style_strength if p.style_strength is not None else RenderRequest.style_strength)

    def _start_image(self, session: Session, round_: Round, p: RenderParams) -> Image.Image | None:
        """Image work starts from its source candidate; a round from its stored start image (an upload, or the
        copy of a candidate as it was)."""
        if round_.kind is not RoundKind.ROUND:
            source = next((c.source for c in round_.candidates if c.source), None)
            return self._candidate_image(session, round_, source)
        return self._opened(p.reference).convert("RGB") if p.reference else None

    def _upscale_request(self, session: Session, round_: Round, chosen: Candidate) -> UpscaleRequest:
        p = round_.params
        return UpscaleRequest(self._candidate_image(session, round_, chosen.source), chosen.prompt or round_.prompt,
                              p.upscale, chosen.seed, p.negative_prompt, p.steps, p.guidance, p.strength)

    def _candidate_image(self, session: Session, round_: Round, source: tuple[int, int] | None) -> Image.Image:
        if source is None:  # image work always names its source; a row without one cannot be reproduced
            raise StudioError("reproduce.no_recipe", round=round_.index + 1)
        return self._opened(checks.chosen_candidate(session, *source)[1].image).convert("RGB")

    def _opened(self, relative: str) -> Image.Image:
        return gallery.opened(self.store, relative)


def difference(image: Image.Image, stored: Image.Image) -> tuple[int, int]:
    """(pixels where any channel differs, the largest difference of one channel); every pixel when the sizes
    differ."""
    if image.size != stored.size:
        return stored.width * stored.height, 255
    delta = np.abs(np.asarray(image.convert("RGB"), np.int16) - np.asarray(stored, np.int16))
    return int((delta.max(axis=2) > 0).sum()), int(delta.max())
