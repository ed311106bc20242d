"""Where a design round's time goes: `python bench/round.py --preset tiny --rounds 5`.

Runs real rounds through the studio's engine (store, worker, events: the path a designer's
click takes) and times each model call on the way. Prints per-stage medians over the rounds
after one warm-up round, time to first preview, peak memory, and two ratios measured in the
same run: generator stage / a bare diffusers call with identical settings, and studio
overhead (round - sum of model calls) / round. The last line is the same figures as JSON.

Tiny-preset figures are plumbing figures: random-weight models of toy size.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from pipelines.base import DTYPE_NAMES, RenderRequest, SpeedOptions  # noqa: E402
from pipelines.presets import PRESETS  # noqa: E402
from pipelines.registry import ModelRegistry  # noqa: E402
from studio.engine import RoundParams, Studio  # noqa: E402
from studio.engine.events import Finished, Rendering, Started  # noqa: E402
from studio.services.sessions import Store  # noqa: E402


class Timed:
    """A model behind the same interface, adding the seconds of each named call to `times`."""

    def __init__(self, inner, times: dict[str, float], calls: dict[str, str], starts: dict[str, float] | None = None):
        self._inner, self._times, self._calls, self._starts = inner, times, calls, starts

    def __getattr__(self, name):
        value = getattr(self._inner, name)
        if name not in self._calls:
            return value

        def timed(*args, **kwargs):
            started = time.perf_counter()
            if self._starts is not None:  # when the first such call of the round began
                self._starts.setdefault(self._calls[name], started)
            try:
                return value(*args, **kwargs)
            finally:
                self._times[self._calls[name]] += time.perf_counter() - started
        return timed


class TimedModels:
    """The registry, with every model call timed: what the studio adds is the rest of the round."""

    def __init__(self, registry: ModelRegistry):
        self.registry = registry
        self.preset = registry.preset
        self.times: dict[str, float] = defaultdict(float)
        self.starts: dict[str, float] = {}

    def refiner(self):
        return Timed(self.registry.refiner(), self.times,
                     {"refine": "refine", "complete": "refiner_other", "complete_each": "refiner_other"})

    def generator(self):
        return Timed(self.registry.generator(), self.times, {"render": "generate"}, self.starts)

    def captioner(self):
        return Timed(self.registry.captioner(), self.times, {"caption": "caption", "answer": "vqa"})

    def critic(self):
        from pipelines.critic import ModelCritic

        registry = self.registry
        return ModelCritic(self.captioner(), Timed(registry.scorer(), self.times, {"similarity": "score"}),
                           self.refiner(), Timed(registry.text_reader, self.times, {"read": "ocr"}))

    def exclusive(self):
        return self.registry.exclusive()

    def free_memory(self):
        self.registry.free_memory()

    def add_listener(self, listener):
        self.registry.add_listener(listener)

    def remove_listener(self, listener):
        self.registry.remove_listener(listener)


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()  # time the kernels, not their launch


def time_inner_calls(module, times: dict[str, float], key: str) -> None:
    """Adds the seconds of every `module.decode` call to times[key]: a part of the generator stage."""
    decode = module.decode

    def timed(*args, **kwargs):
        sync()
        started = time.perf_counter()
        try:
            return decode(*args, **kwargs)
        finally:
            sync()
            times[key] += time.perf_counter() - started

    module.decode = timed


def count_generated_tokens(refiner, counts: dict[str, float]) -> None:
    """Adds the tokens the refiner's LLM generates to counts["tokens"]: tokens, not the streamed text (a
    random-weight model's tokens may decode to nothing)."""
    generate = refiner.model.generate

    def counted(*args, **kwargs):
        output = generate(*args, **kwargs)
        counts["tokens"] += output.shape[1] - kwargs["input_ids"].shape[1]
        return output

    refiner.model.generate = counted


def bare_call_seconds(generator, request) -> float:
    """The same render straight through diffusers: what the generator stage is compared with."""
    pipe = generator.pipe
    generators = [torch.Generator("cpu").manual_seed(s) for s in request.seeds]
    extra = {}
    if generator.style_reference:  # an IP-Adapter is loaded: diffusers needs its image, which at scale 0 it skips
        pipe.set_ip_adapter_scale(0.0)
        extra["ip_adapter_image"] = [Image.new("RGB", (64, 64), (127, 127, 127))]
    started = time.perf_counter()
    with torch.inference_mode():
        pipe(prompt=request.prompt, num_images_per_prompt=len(request.seeds), generator=generators,
             num_inference_steps=request.steps, guidance_scale=request.guidance, width=request.width,
             height=request.height, **extra)
    return time.perf_counter() - started


def run(preset_name: str, rounds: int, count: int, brief: str, speed: SpeedOptions = SpeedOptions()) -> dict:
    preset = PRESETS[preset_name]
    registry = ModelRegistry(preset, speed=speed)
    started = time.perf_counter()
    registry.generator(), registry.refiner(), registry.critic()
    load_s = time.perf_counter() - started
    models = TimedModels(registry)
    generated: dict[str, float] = defaultdict(float)  # refiner tokens; decode and preview seconds (inside generate)
    count_generated_tokens(registry.refiner(), generated)
    generator = registry.generator()
    time_inner_calls(generator.pipe.vae, generated, "decode")
    if generator.previewer is not None:
        time_inner_calls(generator.previewer, generated, "previews")
    with tempfile.TemporaryDirectory() as data:
        studio = Studio(Store(Path(data)), models)
        session = studio.start_session("bench", brief)
        samples: list[dict] = []
        for number in range(rounds + 1):  # the first round warms up and is not counted
            models.times.clear()
            models.starts.clear()
            generated.clear()
            first_preview, t0 = None, time.perf_counter()
            for event in studio.run_round("bench", session.id, "", RoundParams(count=count, seed=number)):
                if isinstance(event, Started):
                    t0 = time.perf_counter()
                elif isinstance(event, Rendering) and event.previews and first_preview is None:
                    first_preview = time.perf_counter()
                elif isinstance(event, Finished):
                    finished = event.round
            round_s = time.perf_counter() - t0
            inner = dict(generated)  # before the comparison renders below add to it
            if number == 0:
                continue
            params = finished.params

            request = RenderRequest(finished.prompt, params.seeds, width=params.width, height=params.height,
                                    steps=params.steps, guidance=params.guidance)
            bare = bare_call_seconds(registry.generator(), request)
            started = time.perf_counter()  # the studio's generator without previews: what the previews cost
            registry.generator().render(request, on_step=lambda step: None)
            no_previews = time.perf_counter() - started
            model_s = sum(models.times.values())
            refiner_s = models.times["refine"] + models.times["refiner_other"]  # every call of the LLM
            samples.append({**models.times, "store": finished.timings.get("store", 0.0), "round": round_s,
                            "first_preview": first_preview - t0 if first_preview else float("nan"),
                            "first_preview_from_render": first_preview - models.starts["generate"]
                            if first_preview else float("nan"), "bare_diffusers": bare,
                            "generate_without_previews": no_previews,
                            "decode": inner.get("decode", 0.0), "previews": inner.get("previews", 0.0),
                            "refiner_tokens": inner.get("tokens", 0.0),
                            "refiner_tokens_per_s": inner.get("tokens", 0.0) / refiner_s if refiner_s else 0.0,
                            "overhead": round_s - model_s})
    median = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    cuda_peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    return {
        "preset": preset_name, "device": registry.placement.device, "dtype": str(registry.placement.dtype),
        "compile": speed.compile,
        "candidates": count, "size": preset.size, "steps": preset.steps, "rounds": len(samples),
        "load_s": load_s, **{k if k.startswith("refiner_tokens") else f"{k}_s": v for k, v in median.items()},
        "generator_over_bare": median["generate"] / median["bare_diffusers"],
        "generator_without_previews_over_bare": median["generate_without_previews"] / median["bare_diffusers"],
        "overhead_share": median["overhead"] / median["round"],
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "cuda_peak_gb": cuda_peak,
        "plumbing_only": preset_name == "tiny",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="tiny", choices=list(PRESETS))
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds, after one warm-up round")
    parser.add_argument("--count", type=int, default=4, help="candidates a round")
    parser.add_argument("--brief", default="a poster for a jazz night, art deco, navy and gold")
    parser.add_argument("--dtype", default="auto", choices=["auto", *DTYPE_NAMES],
                        help="model precision, as the studio's --dtype")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile the denoiser and the refiner's decoding, as the studio's --compile")
    args = parser.parse_args(argv)
    figures = run(args.preset, args.rounds, args.count, args.brief, SpeedOptions(compile=args.compile, dtype=args.dtype))
    if figures["plumbing_only"]:
        print("tiny preset: plumbing figures (random-weight toy models), not what real models take")
    for key, value in figures.items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"{key:>24}  {shown}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
