"""One round from the command line: `python -m pipelines --preset tiny --brief "..."`."""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from pipelines.base import CritiqueRequest, Memory, ModelLoadError, RefineRequest, RenderRequest
from pipelines.presets import PRESETS, get_preset
from pipelines.registry import ModelRegistry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    parser.add_argument("--preset", default="tiny", choices=["auto", *PRESETS])
    parser.add_argument("--brief", required=True)
    parser.add_argument("--count", type=int, default=4, help="candidates to render")
    parser.add_argument("--seed", type=int, default=None, help="first seed (random if not given)")
    parser.add_argument("--out", type=Path, default=Path("outputs"))
    args = parser.parse_args(argv)

    preset = get_preset(args.preset)
    registry = ModelRegistry(preset)
    registry.add_listener(lambda e: print(f"  [{e.state}] {e.role}: {e.model_id}"
                                          + (f" in {e.seconds:.1f} s" if e.seconds else ""), file=sys.stderr))
    timings: dict[str, float] = {}

    def timed(stage: str, fn):
        started = time.perf_counter()
        result = fn()
        timings[stage] = time.perf_counter() - started
        return result

    try:
        timed("load", lambda: [registry.refiner(), registry.generator(), registry.critic()])
        generator = registry.generator()
        refined = timed("refine", lambda: registry.refiner().refine(RefineRequest(
            Memory(brief=args.brief), generator.count_prompt_tokens, generator.max_prompt_tokens)))
        first = args.seed if args.seed is not None else random.randrange(2**31)
        seeds = tuple(first + i for i in range(args.count))
        images = timed("render", lambda: generator.render(RenderRequest(
            refined.prompt, seeds, refined.negative, preset.size, preset.size, preset.steps, preset.guidance)))
        critiques = timed("critique", lambda: registry.critic().critique(
            images, CritiqueRequest(args.brief, refined.prompt)))
    except ModelLoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    print(f"preset:    {preset.name}" + (" (random weights: plumbing only)" if preset.name == "tiny" else ""))
    print(f"prompt:    {refined.prompt}" + ("   [fallback: the refiner's reply was unusable]" if refined.fallback else ""))
    print(f"negative:  {refined.negative}")
    print(f"rationale: {refined.rationale}")
    for i, (image, seed, critique) in enumerate(zip(images, seeds, critiques), 1):
        path = args.out / f"candidate-{i}-seed{seed}.png"
        image.save(path)
        print(f"\ncandidate {i}  seed {seed}  score {critique.score:.1f}  ->  {path}")
        print(f"  caption:  {critique.caption}")
        print(f"  critique: {critique.summary}")
    print("\ntimings: " + "  ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
