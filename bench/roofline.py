"""The floor under a round's GPU time, from the real presets' shapes: FLOPs counted, not guessed.

    python bench/roofline.py --preset turbo --count 4
    python bench/roofline.py --preset quality --count 1 --peak-tflops 989 --bandwidth-tbs 3.35

Builds the preset's generator and previewer on the meta device (real shapes, no memory, no weights),
runs each stage of a render under `torch.utils.flop_counter.FlopCounterMode` at the preset's size and
steps, and prints the FLOPs of each stage and the least time they can take at the given bf16 peak
(default: one H100 SXM, dense). The refiner's decoding is bound by memory, not FLOPs: every token reads
all its weights, so its ceiling is bandwidth / weight bytes. These are floors, not predictions: real
kernels reach a fraction of peak (bench/round.py measures what they do). The last line is JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python bench/roofline.py`

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from bench.shapes import build, parameter_counts  # noqa: E402
from pipelines.base import RefineRequest  # noqa: E402
from pipelines.checklist import CHECKLIST_TOKENS  # noqa: E402
from pipelines.critic import NOTE_TOKENS  # noqa: E402
from pipelines.presets import PRESETS  # noqa: E402

H100_SXM = {"peak_tflops": 989.0, "bandwidth_tbs": 3.35}  # bf16 dense tensor-core peak; HBM3
TEXT_TOKENS = {"sd": 77, "sdxl": 77, "flux": 256}  # FLUX.1-schnell's T5 reads up to 256 tokens


def flops(call) -> int:
    with torch.device("meta"), torch.inference_mode(), FlopCounterMode(display=False) as counter:
        call()
    return counter.get_total_flops()


def meta(*shape: int, dtype=torch.bfloat16) -> torch.Tensor:
    return torch.empty(*shape, dtype=dtype, device="meta")


def ids(count: int, length: int) -> torch.Tensor:
    return torch.zeros(count, length, dtype=torch.long, device="meta")


def generator_stages(preset_name: str, count: int) -> dict[str, int]:
    """FLOPs of one round's render: text encoding, every denoising step, the final decode, the previews."""
    preset = PRESETS[preset_name]
    pipe = build(preset_name, "generator", device="meta", dtype=torch.bfloat16)
    family, size, steps = preset.generator.family, preset.size, preset.steps
    latent = size // pipe.vae_scale_factor
    tokens = TEXT_TOKENS[family]
    stages = {"text encoders": flops(lambda: pipe.text_encoder(ids(count, 77)))}
    if family == "sd":
        denoise = lambda: pipe.unet(meta(count, 4, latent, latent), meta(count), meta(count, tokens, 1024))  # noqa: E731
    elif family == "sdxl":
        stages["text encoders"] += flops(lambda: pipe.text_encoder_2(ids(count, 77)))
        extra = {"text_embeds": meta(count, 1280), "time_ids": meta(count, 6)}
        denoise = lambda: pipe.unet(meta(count, 4, latent, latent), meta(count), meta(count, tokens, 2048),  # noqa: E731
                                    added_cond_kwargs=extra)
    else:  # flux: 2x2 latent patches packed into tokens
        stages["text encoders"] += flops(lambda: pipe.text_encoder_2(ids(count, tokens)))
        patches = (latent // 2) ** 2
        denoise = lambda: pipe.transformer(  # noqa: E731
            hidden_states=meta(count, patches, 64), encoder_hidden_states=meta(count, tokens, 4096),
            pooled_projections=meta(count, 768), timestep=meta(count), img_ids=meta(patches, 3),
            txt_ids=meta(tokens, 3))
    channels = pipe.vae.config.latent_channels
    stages[f"denoiser x {steps} steps"] = flops(denoise) * steps
    stages["VAE decode"] = flops(lambda: pipe.vae.decode(meta(count, channels, latent, latent)))
    if preset.previewer is not None:
        previewer = build(preset_name, "previewer", device="meta", dtype=torch.bfloat16)
        stages[f"previews x {steps} steps"] = flops(
            lambda: previewer.decode(meta(count, channels, latent, latent))) * steps
    return stages


def refiner_ceiling_tokens_per_s(preset_name: str, bandwidth_tbs: float) -> float:
    """Batch-1 decoding reads every weight once a token: bandwidth / bytes of bf16 weights."""
    weight_bytes = 2 * sum(parameter_counts(preset_name, "refiner").values())
    return bandwidth_tbs * 1e12 / weight_bytes


def refiner_tokens_a_round() -> tuple[int, int]:
    """The most decoding steps the refiner may take in a round (the prompt, then the notes on all candidates
    side by side, one token each a step), and in a session's first round (with the checklist). Real models
    stop earlier; random weights write all of them."""
    later = RefineRequest.__dataclass_fields__["max_new_tokens"].default + NOTE_TOKENS
    return later, later + CHECKLIST_TOKENS


def run(preset_name: str, count: int, peak_tflops: float, bandwidth_tbs: float) -> dict:
    stages = generator_stages(preset_name, count)
    preset = PRESETS[preset_name]
    ceiling = refiner_ceiling_tokens_per_s(preset_name, bandwidth_tbs)
    tokens, first_tokens = refiner_tokens_a_round()
    return {"preset": preset_name, "candidates": count, "size": preset.size, "steps": preset.steps,
            "peak_tflops": peak_tflops, "bandwidth_tbs": bandwidth_tbs,
            "stages_tflop": {name: value / 1e12 for name, value in stages.items()},
            "render_tflop": sum(stages.values()) / 1e12,
            "render_floor_s": sum(stages.values()) / (peak_tflops * 1e12),
            "refiner_ceiling_tokens_per_s": ceiling, "refiner_max_tokens_a_round": tokens,
            "refiner_max_tokens_first_round": first_tokens, "refiner_floor_s": tokens / ceiling}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", required=True, choices=[n for n, p in PRESETS.items() if not p.generator.is_tiny])
    parser.add_argument("--count", type=int, default=4, help="candidates a round")
    parser.add_argument("--peak-tflops", type=float, default=H100_SXM["peak_tflops"],
                        help="dense bf16 peak of the GPU (default: H100 SXM)")
    parser.add_argument("--bandwidth-tbs", type=float, default=H100_SXM["bandwidth_tbs"],
                        help="memory bandwidth of the GPU in TB/s (default: H100 SXM)")
    args = parser.parse_args(argv)
    figures = run(args.preset, args.count, args.peak_tflops, args.bandwidth_tbs)
    print(f"{args.preset}: {args.count} x {figures['size']} px, {figures['steps']} steps, "
          f"at {args.peak_tflops:g} TFLOP/s and {args.bandwidth_tbs:g} TB/s")
    for name, tflop in figures["stages_tflop"].items():
        print(f"  {name:22s} {tflop:9.3f} TFLOP  >= {tflop / args.peak_tflops * 1e3:8.2f} ms")
    print(f"  {'render':22s} {figures['render_tflop']:9.3f} TFLOP  >= {figures['render_floor_s'] * 1e3:8.2f} ms")
    ceiling, tokens = figures["refiner_ceiling_tokens_per_s"], figures["refiner_max_tokens_a_round"]
    print(f"  refiner decoding      <= {ceiling:,.0f} tokens/s (bf16); at most {tokens} decoding steps a round "
          f"({figures['refiner_max_tokens_first_round']} in the first) >= {tokens / ceiling * 1e3:,.0f} ms, "
          f"{tokens / 150:.2f} s at 150 tokens/s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
