"""Named model sets: one published checkpoint per role, its license, and what it needs.

Each model names a `family`: the classes it loads with. `pipelines/tiny.py` builds a random-weight
model of every family, so the `tiny` preset (and the tests) run the very same classes offline.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

# The classes each family loads with; tiny models of a family are built from the same classes.
FAMILY_CLASSES: dict[str, tuple[str, ...]] = {
    "sd": ("StableDiffusionPipeline",),
    "sdxl": ("StableDiffusionXLPipeline",),
    "flux": ("FluxPipeline",),
    "qwen2": ("Qwen2ForCausalLM", "Qwen2Tokenizer"),
    "blip-caption": ("BlipForConditionalGeneration", "BlipProcessor"),
    "blip-vqa": ("BlipForQuestionAnswering", "BlipProcessor"),
    "clip": ("CLIPModel", "CLIPProcessor"),
    "llava": ("LlavaForConditionalGeneration", "LlavaProcessor"),  # a critic that sees (pipelines/vision.py)
    "clipseg": ("CLIPSegForImageSegmentation", "CLIPSegProcessor"),
    "taesd": ("AutoencoderTiny",),
    "taef1": ("AutoencoderTiny",),
}

TINY_PREFIX = "tiny/"  # model ids under this prefix are built locally by pipelines/tiny.py


@dataclass(frozen=True)
class ModelSpec:
    model_id: str  # published id on the Hugging Face hub, or tiny/<family>
    family: str
    license: str
    processor_id: str | None = None  # where the processor lives when the repo has none

    @property
    def classes(self) -> tuple[str, ...]:
        return FAMILY_CLASSES[self.family]

    @property
    def is_tiny(self) -> bool:
        return self.model_id.startswith(TINY_PREFIX)


@dataclass(frozen=True)
class IPAdapterSpec:
    """An IP-Adapter: the generator takes a style reference image through it. The fields are the arguments of
    diffusers' `load_ip_adapter`: the weights are `repo`/`subfolder`/`weight_name`; the CLIP image encoder is
    `image_encoder_folder`, inside `subfolder` when it has no "/", else from the repo's root."""

    repo: str  # published id on the Hugging Face hub, or tiny/<family> (a folder pipelines/tiny.py builds)
    subfolder: str
    weight_name: str
    image_encoder_folder: str
    license: str

    @property
    def is_tiny(self) -> bool:
        return self.repo.startswith(TINY_PREFIX)

    @property
    def family(self) -> str:
        """The tiny builder of a tiny adapter (`pipelines.tiny.BUILDERS`)."""
        return self.repo.removeprefix(TINY_PREFIX)

    @property
    def files(self) -> tuple[str, str]:
        """The weights' and the image encoder's config's paths in the repo (what must be in the local cache)."""
        encoder = (self.image_encoder_folder if "/" in self.image_encoder_folder
                   else f"{self.subfolder}/{self.image_encoder_folder}")
        return f"{self.subfolder}/{self.weight_name}".lstrip("/"), f"{encoder}/config.json".lstrip("/")


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    refiner: ModelSpec
    generator: ModelSpec
    captioner: ModelSpec
    vqa: ModelSpec
    scorer: ModelSpec
    segmenter: ModelSpec  # finds a phrase in an image (a region to redraw); loads at its first use
    memory_gb: float  # GPU memory (or RAM for cpu/tiny) the whole set needs, loaded together
    speed: str
    steps: int  # the generator's sensible defaults
    guidance: float
    size: int
    max_size: int
    previewer: ModelSpec | None = None  # a tiny autoencoder (TAESD, TAEF1) that decodes live previews
    # Upscaling redraws detail with the generator in tiles of at most `upscale_tile` px a side (about the largest size
    # it renders well). A tile should show a quarter of the picture or more (the prompt describes all of it), so
    # `max_upscale` = 2 x upscale_tile / size.
    upscale_tile: int = 512
    max_upscale: int = 2
    ip_adapter: IPAdapterSpec | None = None  # loaded with the generator: style references (`RenderRequest.style_image`)
    # A vision-language model the critic asks about each candidate's pixels (`pipelines.vision.LocalViewer`):
    # its yes/no answers and notes replace BLIP's VQA and the refiner's notes. None: the captioner + VQA critic.
    vlm: ModelSpec | None = None

    @property
    def models(self) -> dict[str, ModelSpec]:
        roles = {"refiner": self.refiner, "generator": self.generator, "captioner": self.captioner,
                 "vqa": self.vqa, "scorer": self.scorer, "segmenter": self.segmenter}
        return (roles | ({"previewer": self.previewer} if self.previewer else {})
                | ({"vlm": self.vlm} if self.vlm else {}))


def _tiny(family: str) -> ModelSpec:
    return ModelSpec(TINY_PREFIX + family, family, "random weights, built locally (no license needed)")


APACHE = "Apache-2.0"
BSD3 = "BSD-3-Clause"
LLAMA2 = "Llama 2 Community License (free below 700M monthly users; read the model card)"
SAI = "Stability AI Community License (free below $1M yearly revenue; read the model card)"

# CLIPSeg (refined decoder, reduce dim 64): text-prompted masks, ~150M parameters (~0.6 GB in fp32, counted in every
# preset's memory_gb), one for every preset; Apache-2.0 on its model card.
CLIPSEG = ModelSpec("CIDAS/clipseg-rd64-refined", "clipseg", APACHE)

# SDXL's IP-Adapter with the ViT-H image encoder (632M parameters, ~1.3 GB in bf16, h94/IP-Adapter models/) rather
# than ip-adapter_sdxl.safetensors with sdxl_models/image_encoder (ViT-bigG, 1.84B, ~3.7 GB): the turbo preset is
# sized for a 16 GB card. Same authors, same training recipe; Apache-2.0 on its model card.
SDXL_IP_ADAPTER = IPAdapterSpec("h94/IP-Adapter", "sdxl_models", "ip-adapter_sdxl_vit-h.safetensors",
                                "models/image_encoder", APACHE)

PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset(
        "tiny", "Random-weight models of the real classes, built offline in seconds. Plumbing only: "
        "the images are noise and the text is gibberish.",
        refiner=_tiny("qwen2"), generator=_tiny("sd"), captioner=_tiny("blip-caption"),
        vqa=_tiny("blip-vqa"), scorer=_tiny("clip"), segmenter=_tiny("clipseg"),
        memory_gb=0.2, speed="plumbing", steps=2, guidance=0.0, size=64, max_size=256, previewer=_tiny("taesd"),
        upscale_tile=128, max_upscale=4,
        ip_adapter=IPAdapterSpec(TINY_PREFIX + "ip-adapter-sd", "models", "ip-adapter.safetensors", "image_encoder",
                                 "random weights, built locally (no license needed)")),
    # No IP-Adapter: SD-Turbo is SD 2.1 (cross-attention width 1024, OpenCLIP-H text encoder), and the published
    # IP-Adapters are for SD 1.5 (width 768: h94/IP-Adapter models/) and SDXL (2048: sdxl_models/); their key and
    # value projections do not fit SD 2.x's attention, and we found no IP-Adapter published for SD 2.x.
    # SD-Turbo is distilled for 1-4 steps without guidance: the only diffusion model that gives a
    # round in seconds on a laptop CPU. Qwen2.5-0.5B-Instruct follows the prompt format reliably.
    Preset(
        "cpu", "Runs on a laptop CPU: SD-Turbo in one step at 512 px, a 0.5B refiner, BLIP base.",
        refiner=ModelSpec("Qwen/Qwen2.5-0.5B-Instruct", "qwen2", APACHE),
        generator=ModelSpec("stabilityai/sd-turbo", "sd", SAI),
        captioner=ModelSpec("Salesforce/blip-image-captioning-base", "blip-caption", BSD3),
        vqa=ModelSpec("Salesforce/blip-vqa-base", "blip-vqa", BSD3),
        scorer=ModelSpec("openai/clip-vit-base-patch32", "clip", "MIT"), segmenter=CLIPSEG,
        memory_gb=7.1, speed="about a minute a round on 2 CPU cores", steps=1, guidance=0.0, size=512, max_size=768,
        previewer=ModelSpec("madebyollin/taesd", "taesd", "MIT"), upscale_tile=512, max_upscale=2),
    # SDXL-Turbo: SDXL quality at 1-4 steps, 512 px; fits a 16 GB card with the rest in bf16. The style reference
    # (ViT-H image encoder ~1.3 GB + adapter ~0.7 GB, loaded with the generator) and the segmenter (~0.3 GB, at
    # its first use) took it from 14 to 16 GB: estimated from parameter counts, not yet measured on a card.
    Preset(
        "turbo", "One consumer GPU: SDXL-Turbo in 4 steps at 512 px, a 1.5B refiner, BLIP large, CLIP-L.",
        refiner=ModelSpec("Qwen/Qwen2.5-1.5B-Instruct", "qwen2", APACHE),
        generator=ModelSpec("stabilityai/sdxl-turbo", "sdxl", SAI),
        captioner=ModelSpec("Salesforce/blip-image-captioning-large", "blip-caption", BSD3),
        vqa=ModelSpec("Salesforce/blip-vqa-capfilt-large", "blip-vqa", BSD3),
        scorer=ModelSpec("openai/clip-vit-large-patch14", "clip", "MIT"), segmenter=CLIPSEG,
        memory_gb=16.0, speed="about a second a round on an H100", steps=4, guidance=0.0, size=512,
        max_size=1024, previewer=ModelSpec("madebyollin/taesdxl", "taesd", "MIT"), upscale_tile=1024, max_upscale=4,
        ip_adapter=SDXL_IP_ADAPTER),
    # No IP-Adapter: the one diffusers loads for FLUX (XLabs-AI/flux-ip-adapter) was trained for FLUX.1-dev, not
    # schnell, and its weights are under the FLUX.1 [dev] Non-Commercial License: it would take away the reason
    # this preset uses schnell (Apache-2.0). Its loader also differs (FluxIPAdapterMixin.load_ip_adapter takes the
    # image encoder as a repo of its own, openai/clip-vit-large-patch14): wiring it is a change to the generator.
    # FLUX.1-schnell is the best open model that renders legible text in 4 steps, and it is
    # Apache-2.0 (FLUX.1-dev is not). Qwen2.5-7B writes and critiques far better than the small ones.
    # No VLM critic in the preset: LLaVA-1.5-7B would take it from 48.5 to 62.6 GB, off the 48 GB cards it is for.
    # On an 80 GB card add it with `--vlm-model llava-hf/llava-1.5-7b-hf` (LOCAL_VLM below), or serve a VLM.
    Preset(
        "quality", "A 48 GB+ GPU: FLUX.1-schnell in 4 steps at 1024 px, a 7B refiner, CLIP-H.",
        refiner=ModelSpec("Qwen/Qwen2.5-7B-Instruct", "qwen2", APACHE),
        generator=ModelSpec("black-forest-labs/FLUX.1-schnell", "flux", APACHE),
        captioner=ModelSpec("Salesforce/blip-image-captioning-large", "blip-caption", BSD3),
        vqa=ModelSpec("Salesforce/blip-vqa-capfilt-large", "blip-vqa", BSD3),
        scorer=ModelSpec("laion/CLIP-ViT-H-14-laion2B-s32B-b79K", "clip", "MIT"), segmenter=CLIPSEG,
        memory_gb=48.5, speed="a few seconds a round on an H100", steps=4, guidance=0.0, size=1024,
        max_size=1024, previewer=ModelSpec("madebyollin/taef1", "taef1", "MIT"), upscale_tile=1024, max_upscale=2),
]}

# A critic that sees, in this process (`--vlm-model`, pipelines/vision.py): LLaVA-1.5-7B (7.06B parameters, ~14.1 GB
# in bf16). Its yes/no answers about objects are what POPE measures (~86 F1), which is what a checklist asks.
# Qwen2.5-VL-7B (Apache-2.0) sees better, but in transformers 5.23 every Qwen2-VL processor holds a video processor
# that needs torchvision: a new dependency for the whole studio, and one whose tiny twin cannot be tested here
# (PyPI's torchvision is built against CUDA torch). Serve it instead (--vlm-url).
LOCAL_VLM = ModelSpec("llava-hf/llava-1.5-7b-hf", "llava", LLAMA2)


def with_local_vlm(preset: Preset, model_id: str) -> Preset:
    """`preset` with a vision-language critic loaded in this process: a LLaVA-class checkpoint by id, or tiny/llava."""
    if not model_id:
        return preset
    license = LOCAL_VLM.license if model_id == LOCAL_VLM.model_id else "read the model card"
    return replace(preset, vlm=ModelSpec(model_id, "llava", license))


def auto_preset_name(cuda_memory_gb: float | None) -> str:
    """The preset `auto` means on this hardware: the best one that fits."""
    if cuda_memory_gb is None:
        return "cpu"
    if cuda_memory_gb >= PRESETS["quality"].memory_gb + 8:  # headroom for activations
        return "quality"
    if cuda_memory_gb >= PRESETS["turbo"].memory_gb:
        return "turbo"
    return "cpu"


def get_preset(name: str) -> Preset:
    if name == "auto":
        from pipelines.device import cuda_memory_gb

        name = auto_preset_name(cuda_memory_gb())
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}. Choose one of: auto, {', '.join(PRESETS)}.")
    return PRESETS[name]


def missing_weights(preset: Preset, served: tuple[str, ...] = ()) -> list[str]:
    """Model ids of `preset` whose weights are not in the local Hugging Face cache (roles in `served` run on a
    server: their weights are its business)."""
    from huggingface_hub import try_to_load_from_cache

    missing = []
    for role, spec in preset.models.items():
        if spec.is_tiny or role in served:
            continue
        marker = "model_index.json" if spec.family in ("sd", "sdxl", "flux") else "config.json"
        if not isinstance(try_to_load_from_cache(spec.model_id, marker), str):
            missing.append(spec.model_id)
    adapter = preset.ip_adapter
    if adapter is not None and not adapter.is_tiny:
        if not all(isinstance(try_to_load_from_cache(adapter.repo, path), str) for path in adapter.files):
            missing.append(adapter.repo)
    return list(dict.fromkeys(missing))
