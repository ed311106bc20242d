"""Real-size, random-weight models of the presets, built offline from the architecture configs in bench/configs.

Each model has the published checkpoint's class and config, so the same shapes, FLOPs and memory; only the
weights are random. Tokenizers and processors are the tiny ones of pipelines/tiny.py: their token ids stay below
every real vocabulary size, so the embeddings are indexed exactly as with real text, and the image processors
use the real image sizes. The images are noise and the text gibberish: these models time the studio, never
judge it.

`save()` writes a folder that the studio's own loaders read (`DiffusersGenerator(model_id, folder, ...)`,
`ChatRefiner(model_id, folder, ...)`, ...); `save_to_hub_cache()` writes a whole preset into a Hugging Face cache
layout, so that with HF_HUB_CACHE pointing there and HF_HUB_OFFLINE=1 the unchanged `ModelRegistry` loads it.
Build time is mostly random initialisation: initialise on the GPU where there is one (`device="cuda"`).
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python bench/shapes.py`

import diffusers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

from pipelines import tiny  # noqa: E402
from pipelines.presets import PRESETS, ModelSpec  # noqa: E402

CONFIGS = Path(__file__).resolve().parent / "configs"
ROLES = ("refiner", "generator", "captioner", "vqa", "scorer", "previewer")
# The snapshot name save_to_hub_cache gives every model: a fixed fake commit, so reruns overwrite in place.
CACHE_REVISION = hashlib.sha1(b"design-collaborator bench random weights").hexdigest()


@dataclass(frozen=True)
class ModelWithProcessor:
    """A transformers model and the processor (tokenizer or image + text processor) the studio loads with it."""

    model: torch.nn.Module
    processor: object


def spec_of(preset_name: str, role: str) -> ModelSpec:
    if preset_name not in PRESETS or PRESETS[preset_name].generator.is_tiny:
        real = [name for name, p in PRESETS.items() if not p.generator.is_tiny]
        raise ValueError(f"No real-size shapes for preset {preset_name!r}; choose one of: {', '.join(real)}.")
    models = PRESETS[preset_name].models
    if role not in models:
        raise ValueError(f"The {preset_name} preset has no {role!r} model; its roles: {', '.join(models)}.")
    return models[role]


def config_dir(preset_name: str, role: str) -> Path:
    """The folder of the role's architecture config."""
    spec_of(preset_name, role)
    folder = CONFIGS / preset_name / role
    if not folder.exists():
        raise FileNotFoundError(f"No architecture config at {folder}; see bench/configs/README.md for what is missing.")
    return folder


# ---------------------------------------------------------------- building
def build(preset_name: str, role: str, device: str = "cpu", dtype: torch.dtype = torch.float32) -> object:
    """The role's model with random weights, created directly on `device` in `dtype`.

    The generator is the diffusers pipeline the preset names, the previewer a diffusers `AutoencoderTiny`;
    every other role is a `ModelWithProcessor`.
    """
    spec = spec_of(preset_name, role)
    folder = config_dir(preset_name, role)
    torch.manual_seed(0)
    with torch.device(device):  # parameters are born on the device: no CPU init and copy of billions of weights
        if role == "generator":
            return _build_pipeline(spec, folder, dtype)
        if role == "previewer":
            return _build_component(spec.classes[0], folder, dtype).eval()
        model = getattr(transformers, spec.classes[0])._from_config(_config(folder), dtype=dtype)
    return ModelWithProcessor(model.eval(), _processor(spec, model.config))


def _config(folder: Path) -> transformers.PretrainedConfig:
    return transformers.AutoConfig.from_pretrained(folder)


def _build_pipeline(spec: ModelSpec, folder: Path, dtype: torch.dtype) -> diffusers.DiffusionPipeline:
    index = json.loads((folder / "model_index.json").read_text())
    pipeline_class = spec.classes[0]
    if index["_class_name"] != pipeline_class:
        raise ValueError(f"{folder / 'model_index.json'} names {index['_class_name']}, but the {spec.family!r} "
                         f"family loads with {pipeline_class}.")
    cls = getattr(diffusers, pipeline_class)
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {}
    for name, value in index.items():
        if name.startswith("_") or name not in accepted:
            continue
        if isinstance(value, list):  # a component: [library, class name], or [null, null] when absent
            kwargs[name] = _build_component(value[1], folder / name, dtype)
        else:  # a pipeline setting such as force_zeros_for_empty_prompt
            kwargs[name] = value
    return cls(**kwargs)


def _build_component(class_name: str | None, folder: Path, dtype: torch.dtype):
    if class_name is None:
        return None
    if class_name == "CLIPTokenizer":
        return tiny.clip_tokenizer()
    if class_name.startswith("T5Tokenizer"):
        return tiny.t5_tokenizer()
    if not hasattr(diffusers, class_name):
        return getattr(transformers, class_name)._from_config(_config(folder), dtype=dtype)
    cls = getattr(diffusers, class_name)
    if not issubclass(cls, torch.nn.Module):  # a scheduler: a few small CPU tensors, whatever the device
        with torch.device("cpu"):
            return cls.from_config(cls.load_config(folder))
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # diffusers' from_config takes no dtype: create in it rather than convert
    try:
        component = cls.from_config(cls.load_config(folder))
    finally:
        torch.set_default_dtype(previous)
    return component if all(p.dtype == dtype for p in component.parameters()) else component.to(dtype)


def _processor(spec: ModelSpec, config: transformers.PretrainedConfig):
    if spec.family == "qwen2":
        return tiny.qwen_tokenizer()
    size = config.vision_config.image_size  # the published model's input size, not the tiny one
    if spec.family.startswith("blip"):
        image_processor = transformers.BlipImageProcessor(size={"height": size, "width": size})
        return transformers.BlipProcessor(image_processor=image_processor, tokenizer=tiny.bert_tokenizer())
    image_processor = transformers.CLIPImageProcessor(size={"shortest_edge": size},
                                                      crop_size={"height": size, "width": size})
    return transformers.CLIPProcessor(image_processor=image_processor, tokenizer=tiny.clip_tokenizer())


# ---------------------------------------------------------------- saving
def save(preset_name: str, role: str, folder: str | Path, device: str = "cpu",
         dtype: torch.dtype = torch.float32) -> Path:
    """Build the role's model and write it where `from_pretrained` (and so the studio's loaders) can read it.

    Weights are written in `dtype`: save in the dtype the studio will load them in, to halve the disk in bf16.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    built = build(preset_name, role, device, dtype)
    if isinstance(built, diffusers.DiffusionPipeline):
        built.save_pretrained(folder)
        return folder
    if not isinstance(built, ModelWithProcessor):  # the previewer
        built.save_pretrained(folder)
        # The published config, not diffusers' re-serialisation (whose extra keys warn at every load).
        shutil.copyfile(config_dir(preset_name, role) / "config.json", folder / "config.json")
        return folder
    model, processor = built.model, built.processor
    if role == "refiner":
        # Random weights never learned to stop: suppressing the end tokens makes every reply exactly
        # max_new_tokens long, so refiner timings count a fixed number of new tokens.
        end = processor.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])
        model.generation_config = transformers.GenerationConfig(eos_token_id=end, pad_token_id=end[1],
                                                                suppress_tokens=end)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def hub_cache_folder(hub_dir: str | Path, model_id: str) -> Path:
    """Where the Hugging Face cache under `hub_dir` keeps the snapshot of `model_id` that save_to_hub_cache writes."""
    return Path(hub_dir) / f"models--{model_id.replace('/', '--')}" / "snapshots" / CACHE_REVISION


def save_to_hub_cache(preset_name: str, hub_dir: str | Path, roles: tuple[str, ...] | None = None,
                      device: str = "cpu", dtype: torch.dtype = torch.float32) -> dict[str, Path]:
    """Write the preset's models as cached hub snapshots under their published ids.

    Point HF_HUB_CACHE at `hub_dir` and set HF_HUB_OFFLINE=1 (before importing the studio) and the studio's
    ModelRegistry loads these random weights through its unchanged loading path.
    """
    written = {}
    for role in roles or tuple(PRESETS[preset_name].models):
        model_id = spec_of(preset_name, role).model_id
        snapshot = hub_cache_folder(hub_dir, model_id)
        written[role] = save(preset_name, role, snapshot, device, dtype)
        refs = snapshot.parent.parent / "refs"
        refs.mkdir(exist_ok=True)
        (refs / "main").write_text(CACHE_REVISION)
    return written


# ---------------------------------------------------------------- sizes
def parameter_counts(preset_name: str, role: str) -> dict[str, int]:
    """Parameters per model of the role, counted on the meta device: no memory, no initialisation."""
    built = build(preset_name, role, device="meta")
    if isinstance(built, diffusers.DiffusionPipeline):
        return {name: sum(p.numel() for p in module.parameters())
                for name, module in built.components.items() if isinstance(module, torch.nn.Module)}
    model = built.model if isinstance(built, ModelWithProcessor) else built
    return {spec_of(preset_name, role).classes[0]: sum(p.numel() for p in model.parameters())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Real-size random-weight models of a preset, without downloads.")
    parser.add_argument("--preset", required=True, choices=[n for n, p in PRESETS.items() if not p.generator.is_tiny])
    parser.add_argument("--hub-dir", help="write the preset here as a Hugging Face cache (omit: only count)")
    parser.add_argument("--device", default="cpu", help="where to initialise the weights (cuda is much faster)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"],
                        help="the dtype the studio will load in: bfloat16 on a GPU and on CPUs with bf16 instructions")
    args = parser.parse_args(argv)
    for role in PRESETS[args.preset].models:
        counts = parameter_counts(args.preset, role)
        print(f"{role:10s} {sum(counts.values()) / 1e9:7.3f} B  " +
              ", ".join(f"{name} {count / 1e6:,.1f} M" for name, count in counts.items()))
    if args.hub_dir:
        for role, folder in save_to_hub_cache(args.preset, args.hub_dir, device=args.device,
                                              dtype=getattr(torch, args.dtype)).items():
            print(f"wrote {role:10s} {folder}")
        print(f"load with: HF_HUB_CACHE={Path(args.hub_dir).resolve()} HF_HUB_OFFLINE=1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
