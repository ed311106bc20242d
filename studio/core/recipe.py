"""A candidate's recipe: everything that made its image, as one record, and as A1111 writes its `parameters` text, so
other tools (A1111, Forge, ComfyUI's readers, Civitai) read an exported PNG. Pure: no I/O, no torch, no gradio."""
from __future__ import annotations

import json
from typing import Any

from studio.core.session import SCHEMA_VERSION, Candidate, Round, Session

STUDIO_NAME = "Design Collaborator"
STUDIO_VERSION = "0.17.0"  # the repository has no release numbers: this one names the issue that added export
CHUNK_PREFIX = "dc."  # our PNG text keys: "prompt" alone is ComfyUI's (a JSON graph it would try to read)

# diffusers' scheduler classes under the names A1111 gives its samplers; any other keeps its class name.
A1111_SAMPLERS = {
    "EulerAncestralDiscreteScheduler": "Euler a", "EulerDiscreteScheduler": "Euler",
    "FlowMatchEulerDiscreteScheduler": "Euler", "DPMSolverMultistepScheduler": "DPM++ 2M",
    "DPMSolverSDEScheduler": "DPM++ SDE", "DDIMScheduler": "DDIM", "LCMScheduler": "LCM", "PNDMScheduler": "PLMS",
    "LMSDiscreteScheduler": "LMS", "HeunDiscreteScheduler": "Heun", "UniPCMultistepScheduler": "UniPC",
}


def candidate_recipe(session: Session, round_: Round, candidate: Candidate) -> dict[str, Any]:
    """What made this candidate's image: the prompt it was rendered from (its own, for a direction), the render's
    settings, where it came from (start image, mask, source candidate), and which studio and session it is of."""
    p = round_.params
    recipe: dict[str, Any] = {
        "prompt": candidate.prompt or round_.prompt,
        "negative_prompt": (p.negative_prompt if p else "") or round_.negative_prompt,
        "seed": candidate.seed,
    }
    if p is not None:
        recipe |= {"steps": p.steps, "guidance": p.guidance, "width": p.width, "height": p.height,
                   "scheduler": p.scheduler, "model_ids": dict(p.model_ids), "preset": p.preset}
        optional = {"strength": p.strength, "start_image": p.reference, "mask": p.mask, "feather": p.feather,
                    "start_from": _label(p.start_from), "style_reference": p.style_reference,
                    "style_strength": p.style_strength, "upscale": p.upscale, "method": p.method or None,
                    "variation": p.variation or None}
        recipe |= {k: v for k, v in optional.items() if v is not None}
        if p.environment:
            recipe["environment"] = dict(p.environment)
    recipe |= {"kind": round_.kind.value, "direction": candidate.label or None, "source": _label(candidate.source),
               "session_id": session.id, "round": round_.index + 1, "candidate": candidate.index + 1,
               "studio": STUDIO_NAME, "studio_version": STUDIO_VERSION, "schema": SCHEMA_VERSION}
    return {k: v for k, v in recipe.items() if v is not None}


def _label(where: tuple[int, int] | None) -> str | None:
    """(round, candidate) from 0 as the page names it: "2.3"."""
    return f"{where[0] + 1}.{where[1] + 1}" if where else None


def a1111_quote(value: Any) -> str:
    """A value as A1111's infotext writes it (modules/infotext_utils.py `quote`): JSON-quoted when it holds a comma,
    a colon or a line break, which would end the value early."""
    text = str(value)
    if "," not in text and "\n" not in text and ":" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def a1111_parameters(recipe: dict[str, Any]) -> str:
    """The `parameters` text A1111 writes (modules/processing.py `create_infotext`): the prompt, a "Negative
    prompt:" line when there is one, then "Key: value" pairs on one line."""
    models = recipe.get("model_ids", {})
    pairs = {
        "Steps": recipe.get("steps"),
        "Sampler": A1111_SAMPLERS.get(recipe.get("scheduler", ""), recipe.get("scheduler") or None),
        "CFG scale": recipe.get("guidance"),
        "Seed": recipe["seed"],
        "Size": f"{recipe['width']}x{recipe['height']}" if "width" in recipe else None,
        "Model": models.get("generator"),
        "Denoising strength": recipe.get("strength"),
        "Version": f"{STUDIO_NAME} {STUDIO_VERSION}",
    }
    line = ", ".join(f"{k}: {a1111_quote(v)}" for k, v in pairs.items() if v is not None)
    negative = f"\nNegative prompt: {recipe['negative_prompt']}" if recipe.get("negative_prompt") else ""
    return f"{recipe['prompt']}{negative}\n{line}".strip()


def png_text(recipe: dict[str, Any]) -> list[tuple[str, str]]:
    """The PNG text chunks of an exported image: A1111's `parameters`, the whole recipe as JSON, and each field on
    its own (dicts as JSON), under our prefix."""
    chunks = [("parameters", a1111_parameters(recipe)),
              (f"{CHUNK_PREFIX}recipe", json.dumps(recipe, ensure_ascii=False, sort_keys=True))]
    for key, value in recipe.items():
        chunks.append((f"{CHUNK_PREFIX}{key}", json.dumps(value, ensure_ascii=False, sort_keys=True)
                       if isinstance(value, dict) else str(value)))
    return chunks
