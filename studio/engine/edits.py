"""Work on an image as a round: a region redrawn, a failed checklist item fixed, variations, upscales.

Each action is checked and decided here as a `RoundPlan` (plans.py) that the runner stores and the worker runs like
any round: its kind and the candidates it was made from are recorded, and the critic checks the result against the
checklist. The prompt is decided here, not by the refiner: the source's own prompt carries its look, and the
designer's words (or the item fixed) lead it.
"""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from PIL import Image

from pipelines.base import Segment, UpscaleRequest
from pipelines.masks import MASK_THRESHOLD, feather_for
from studio.core import limits
from studio.core.critique import ChecklistItem
from studio.core.memory import item_phrase
from studio.core.messages import Message
from studio.core.params import RoundParams
from studio.core.session import Candidate, Round, RoundKind, Session
from studio.engine import gallery, uploads, validation as checks
from studio.engine.planner import RoundPlanner
from studio.engine.plans import ImageWork, RoundPlan
from studio.engine.validation import StudioError

# Fooocus' Vary (Subtle) and Vary (Strong): image-to-image at these strengths, new seeds.
VARIATIONS = {"subtle": 0.5, "strong": 0.85}
# Image-to-image denoises floor(steps x strength) steps: below 4 steps, subtle and strong would start from the same
# timestep and be the same variation (2 steps: 1 and 1; 4 steps: 2 and 3).
VARY_MIN_STEPS = 4
EDIT_STRENGTH = 0.9  # a region edit's default: the region is redrawn, little of what was there survives
UPSCALE_FACTORS = (2, 4)
# How a region shows in the page's editor (its brush, and the segmenter's proposals): a see-through pink, so the
# designer sees what is under it; its opacity is above the mask's threshold, so every painted pixel is redrawn.
MASK_PAINT, MASK_OPACITY = (255, 59, 142), 166


class EditPlanner:
    def __init__(self, rounds: RoundPlanner, models, upload_roots: tuple[Path, ...]):
        self.rounds, self.models, self.upload_roots = rounds, models, upload_roots
        self.store, self.preset = rounds.store, rounds.preset

    # ------------------------------------------------------------ the actions
    def region(self, session: Session, round_index, candidate, instruction, mask, strength,
               params: RoundParams) -> RoundPlan:
        """Redraw the region `mask` marks on a candidate, as `instruction` says."""
        settings_checked(params)
        words = checks.text("instruction", instruction, limits.MAX_MESSAGE_CHARS, required=True)
        strength = checks.number("edit_strength", EDIT_STRENGTH if strength is None else strength,
                                 limits.MIN_STRENGTH, limits.MAX_STRENGTH)
        round_, chosen, image = self.source(session, round_index, candidate)
        if mask is None or mask == "":
            raise StudioError("mask.missing")
        region, notes = self.region_of(mask, image)
        work = ImageWork(RoundKind.EDIT, f"{words}, {prompt_of(round_, chosen)}", ((round_.index, chosen.index),),
                         (image,), keep=(words,), translate=words)
        return self._plan(session, work, words, params, strength, image, region, notes)

    def fix(self, session: Session, round_index, candidate, item, mask, params: RoundParams) -> RoundPlan:
        """Redraw where a checklist item is (or should be) so that it holds: the designer's mask, or else where the
        segmenter finds it (refused when it finds nothing: the designer paints the region)."""
        settings_checked(params)
        round_, chosen, image = self.source(session, round_index, candidate)
        wanted = checklist_item(session, item)
        if mask is None or mask == "":
            found = self.locate(image, wanted)
            if not found.found:
                raise StudioError("fix.not_found", item=wanted.text)
            mask = found.mask
        phrase = item_phrase(wanted)
        base = prompt_of(round_, chosen)
        if wanted.kind == "avoid":  # redraw the region as the rest of the image, with the item in the negative
            work = ImageWork(RoundKind.FIX, base, ((round_.index, chosen.index),), (image,), negative=(wanted.text,))
        else:
            work = ImageWork(RoundKind.FIX, f"{phrase}, {base}", ((round_.index, chosen.index),), (image,),
                             keep=(phrase,))
        region, notes = self.region_of(mask, image)
        return self._plan(session, work, wanted.text, params, EDIT_STRENGTH, image, region, notes)

    def vary(self, session: Session, round_index, candidate, how, params: RoundParams) -> RoundPlan:
        """New seeds from a candidate: "subtle" keeps its composition, "strong" keeps its idea."""
        settings_checked(params)
        if not isinstance(how, str) or how not in VARIATIONS:
            raise StudioError("vary.how", value=limits.shown(how))
        round_, chosen, image = self.source(session, round_index, candidate)
        work = ImageWork(RoundKind.VARY, prompt_of(round_, chosen), ((round_.index, chosen.index),), (image,),
                         variation=how)
        plan = self._plan(session, work, "", params, VARIATIONS[how], image)
        return replace(plan, request=replace(plan.request, steps=max(plan.request.steps, VARY_MIN_STEPS)))

    def upscale(self, session: Session, round_index, candidates, factor, params: RoundParams) -> RoundPlan:
        """Candidates of one round enlarged `factor` times, their detail redrawn: one new candidate each."""
        settings_checked(params)
        most = self.preset.max_upscale
        factor = checks.whole("upscale_factor", factor, 2, most)
        if factor not in UPSCALE_FACTORS:
            raise StudioError("upscale.factor", factors=" or ".join(str(f) for f in UPSCALE_FACTORS if f <= most))
        numbers = candidates if isinstance(candidates, (list, tuple)) else [candidates]
        if not numbers or len(numbers) > limits.MAX_CANDIDATES:
            raise StudioError("upscale.which", limit=limits.MAX_CANDIDATES)
        numbers = [checks.whole("candidate", c, 0, 10**6) for c in numbers]
        sources = [self.source(session, round_index, c) for c in dict.fromkeys(numbers)]
        round_ = sources[0][0]
        prompts = tuple(prompt_of(r, c) for r, c, _ in sources)
        work = ImageWork(RoundKind.UPSCALE, prompts[0], tuple((r.index, c.index) for r, c, _ in sources),
                         tuple(image for *_, image in sources), factor=factor, prompts=prompts)
        width, height = (side * factor for side in sources[0][2].size)
        params = replace(params, count=len(sources))
        plan = self._plan(session, work, "", params, UpscaleRequest.strength, None)
        request = plan.request
        steps = max(request.steps, math.ceil(1 / UpscaleRequest.strength))  # the detail pass needs a step
        return replace(plan, request=replace(request, width=width, height=height, steps=steps),
                       start_from=(round_.index, sources[0][1].index) if len(sources) == 1 else None,
                       parent=round_.index)

    # ------------------------------------------------------------ helpers
    def source(self, session: Session, round_index, candidate) -> tuple[Round, Candidate, Image.Image]:
        """A candidate of the session (as the engine counts: from 0) and its pixels."""
        round_, chosen = checks.candidate_with_image(session, round_index, candidate)
        return round_, chosen, gallery.opened(self.store, chosen.image).convert("RGB")

    def region_of(self, mask, image: Image.Image) -> tuple[Image.Image, tuple[Message, ...]]:
        """A mask (an uploaded file, or an image: the editor's layer, the segmenter's) as the 0/255 region of
        `image`'s size, and the note that it was resized when it had to be."""
        if isinstance(mask, Image.Image):
            region, resized = uploads.binary_mask(mask, image.size)
        else:
            region, resized = uploads.open_mask(mask, image.size, self.upload_roots)
        return region, (Message("mask.resized", {"width": image.width, "height": image.height}),) if resized else ()

    def locate(self, image: Image.Image, item: ChecklistItem) -> Segment:
        """Where the segmenter finds `item` in `image`."""
        return self.models.segmenter().segment(image, [item_phrase(item)])[0]

    def _plan(self, session: Session, work: ImageWork, message: str, params: RoundParams, strength: float,
              start: Image.Image | None, mask: Image.Image | None = None, notes: tuple = ()) -> RoundPlan:
        """The shared round settings, at the source's size: seeds by the seed policy, no style preset (the
        source's prompt has its look already); the session's kept settings stay as they are."""
        width, height = work.images[0].size
        request = self.rounds.render_request(replace(params, style="", width=None, height=None))
        request = replace(request, width=width, height=height, strength=strength,
                          feather=feather_for(width, height) if mask is not None else 0)
        (round_index, candidate), = work.sources[:1]
        return RoundPlan(session.id, "round", message, request, start, mask, (round_index, candidate), round_index,
                         work=work, style_image=None if work.kind is RoundKind.UPSCALE else
                         self.rounds.style_image(session), notes=notes)


def settings_checked(params) -> None:
    if not isinstance(params, RoundParams):
        raise StudioError("settings.not_round_params")


def prompt_of(round_: Round, candidate: Candidate) -> str:
    """What a candidate was rendered from: its own prompt (a direction's), else its round's."""
    return candidate.prompt or round_.prompt


def checklist_item(session: Session, item) -> ChecklistItem:
    """The session's checklist item named by its words (any case), or by its number as the page counts."""
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        number = checks.whole("checklist_item", item, 1, max(1, len(session.checklist)))
        if number <= len(session.checklist):
            return session.checklist[number - 1]
    if isinstance(item, str):
        wanted = item.strip().lower()
        found = next((i for i in session.checklist if i.text.lower() == wanted), None)
        if found is not None:
            return found
    raise StudioError("fix.which_item", value=limits.shown(item),
                      items="; ".join(i.text for i in session.checklist) or "-")


# ------------------------------------------------------------ the page's mask editor, in pixels
def painted_region(layers) -> Image.Image | None:
    """What the designer painted in the editor: the first layer with an opaque pixel, or None when nothing was."""
    for layer in layers or []:
        if isinstance(layer, Image.Image) and "A" in layer.getbands() and layer.getchannel("A").getextrema()[1] > 0:
            return layer
    return None


def editor_layer(mask: Image.Image) -> Image.Image:
    """A mask as a layer the editor shows over the image: painted as the brush paints where it is white,
    see-through elsewhere."""
    layer = Image.new("RGBA", mask.size, (*MASK_PAINT, 0))
    layer.putalpha(mask.convert("L").point(lambda v: MASK_OPACITY if v >= MASK_THRESHOLD else 0))
    return layer

