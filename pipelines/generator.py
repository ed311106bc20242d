"""The generator: one diffusers pipeline for text-to-image, image-to-image and inpainting."""
from __future__ import annotations

import inspect
import math
from importlib import metadata

import diffusers
import torch
from diffusers import AutoencoderTiny, AutoPipelineForImage2Image, AutoPipelineForInpainting
from PIL import Image

from pipelines.base import OFFLOAD_MODES, RenderRequest, SpeedOptions, StepCallback, StepEvent
from pipelines.device import Placement
from pipelines.masks import binary, feather_for, feathered, keep_outside
from pipelines.presets import IPAdapterSpec

diffusers.utils.logging.disable_progress_bar()  # pipelines made by from_pipe ignore the per-pipe setting

# Latent -> RGB by a fixed linear map: a preview for free at every step, no decoder call.
# The SD / SDXL latent space factors published by the community (e.g. ComfyUI's previewer).
_SD_LATENT_RGB = torch.tensor([
    [0.3512, 0.2297, 0.3227],
    [0.3250, 0.4974, 0.2350],
    [-0.2829, 0.1762, 0.2721],
    [-0.2120, -0.2616, -0.7177],
])


class DiffusersGenerator:
    def __init__(self, model_id: str, source: str, pipeline_class: str, placement: Placement,
                 speed: SpeedOptions = SpeedOptions(), preview_source: str | None = None,
                 ip_adapter: IPAdapterSpec | None = None):
        """`ip_adapter`: loaded with the pipeline, so the generator takes style references; its `repo` is where to
        read it from (a hub id, or the local folder of a tiny one)."""
        self.model_id = model_id
        self.speed = speed
        cls = getattr(diffusers, pipeline_class)
        self.pipe = cls.from_pretrained(source, dtype=placement.dtype)
        self.pipe.set_progress_bar_config(disable=True)
        self.style_reference = ip_adapter is not None
        if ip_adapter is not None:  # before placing: the image encoder then moves (or offloads) with the rest
            self.pipe.load_ip_adapter(ip_adapter.repo, subfolder=ip_adapter.subfolder,
                                      weight_name=ip_adapter.weight_name,
                                      image_encoder_folder=ip_adapter.image_encoder_folder)
        self._place(placement)
        self.placement = placement
        # A tiny autoencoder decodes a real preview at every step for a few milliseconds.
        self.previewer = None
        if preview_source is not None:
            self.previewer = AutoencoderTiny.from_pretrained(preview_source, dtype=placement.dtype)
            self.previewer.to(placement.device).eval()
        self.scheduler = type(self.pipe.scheduler).__name__
        self._derived: dict[str, diffusers.DiffusionPipeline] = {}
        tokenizer = self.pipe.tokenizer
        self.max_prompt_tokens = tokenizer.model_max_length - 2  # start and end tokens
        self.prompt_language = "English"  # CLIP (SD, SDXL) and CLIP + T5 (FLUX) were trained on English captions

    def _place(self, placement: Placement) -> None:
        speed, pipe = self.speed, self.pipe
        if speed.offload not in OFFLOAD_MODES:
            raise ValueError(f"offload is one of {', '.join(OFFLOAD_MODES)}, not {speed.offload!r}.")
        if speed.offload == "model":
            pipe.enable_model_cpu_offload()
        elif speed.offload == "sequential":
            pipe.enable_sequential_cpu_offload()
        else:
            pipe.to(placement.device)
        if speed.vae_tiling:
            pipe.vae.enable_tiling()
        if speed.vae_slicing:
            pipe.vae.enable_slicing()
        denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
        if speed.fast_layout and placement.device.startswith("cuda"):
            for convolutional in (denoiser, pipe.vae):  # no-op for the 2-D weights of a transformer
                convolutional.to(memory_format=torch.channels_last)
            # Fusing sets one attention processor everywhere: it would drop the IP-Adapter's.
            if hasattr(pipe, "fuse_qkv_projections") and not self.style_reference:
                pipe.fuse_qkv_projections()
        if speed.compile:
            compiled = torch.compile(denoiser, mode="max-autotune-no-cudagraphs", fullgraph=False)
            setattr(pipe, "unet" if hasattr(pipe, "unet") else "transformer", compiled)

    def warm_up(self, width: int, height: int, steps: int, count: int) -> None:
        """One throw-away render at the round's shape: compilation and allocation happen here, not mid-round."""
        self.render(RenderRequest("warm-up", tuple(range(count)), width=width, height=height, steps=steps))

    @property
    def size_multiple(self) -> int:
        """What the pipeline's sides must be a multiple of: the VAE's scale (8), twice that for FLUX's 2x2 packing."""
        return int(self.pipe.image_processor.config.vae_scale_factor)

    def count_prompt_tokens(self, text: str) -> int:
        return len(self.pipe.tokenizer(text, add_special_tokens=False).input_ids)

    def describe_environment(self) -> dict[str, str]:
        """Where and in which precision it renders, and the libraries that do it: the same seed and recipe give
        the same pixels only where all of these are the same."""
        return {"device": self.placement.device, "dtype": str(self.placement.dtype).removeprefix("torch."),
                **{name: metadata.version(name) for name in ("torch", "diffusers", "transformers")}}

    def _pipeline_for(self, request: RenderRequest) -> diffusers.DiffusionPipeline:
        if request.init_image is None:
            return self.pipe
        kind = "inpaint" if request.mask is not None else "img2img"
        if kind not in self._derived:  # from_pipe shares the loaded modules: no second copy of the weights
            auto = AutoPipelineForInpainting if kind == "inpaint" else AutoPipelineForImage2Image
            self._derived[kind] = auto.from_pipe(self.pipe)
            self._derived[kind].set_progress_bar_config(disable=True)
        return self._derived[kind]

    def check_inputs(self, request: RenderRequest) -> None:
        if not request.seeds:
            raise ValueError("`seeds` must name at least one seed: one candidate is rendered per seed.")
        if request.width % 8 or request.height % 8:
            raise ValueError(f"`width` and `height` have to be divisible by 8, got {request.width}x{request.height}.")
        if request.prompts and len(request.prompts) != len(request.seeds):
            raise ValueError(f"`prompts` must hold one prompt per seed: {len(request.prompts)} prompts, "
                             f"{len(request.seeds)} seeds.")
        if request.mask is not None and request.init_image is None:
            raise ValueError("Inpainting needs `init_image`: the mask marks a region of an image.")
        if request.style_image is not None and not self.style_reference:
            raise ValueError(f"{self.model_id} takes no style reference here: its preset loads no IP-Adapter. "
                             f"Render without the style image, or choose a preset that has one.")
        if not 0 <= request.style_strength <= 1:
            raise ValueError(f"`style_strength` is from 0 (ignore the style image) to 1, got {request.style_strength}.")
        if request.feather < 0:
            raise ValueError(f"`feather` is a number of pixels, 0 or more (0: the generator's choice), "
                             f"not {request.feather}.")
        if request.init_image is not None and math.floor(request.steps * request.strength) < 1:
            raise ValueError(f"{request.steps} step(s) at strength {request.strength} leave no denoising step; "
                             f"use at least {math.ceil(1 / request.strength)} steps or a higher strength.")

    def render(self, request: RenderRequest, on_step: StepCallback | None = None) -> list[Image.Image]:
        """All candidates of `request` in one batched call.

        Inpainting (`mask` given) redraws the mask and keeps the rest: each result is composited over `init_image`
        (at the request's size) with the mask feathered over `feather` pixels (0: `feather_for(width, height)`).
        Guarantee, with d the distance from a pixel to the nearest redraw pixel counted along rows or columns (the
        max-norm: a diagonal step counts 1): where d > feather the pixel is the original's, byte for byte; where
        the (2·feather + 1)-square around a pixel lies wholly inside the mask it is the model's, byte for byte;
        between the two it is a rounded linear blend (`pipelines.masks.feathered`).
        """
        self.check_inputs(request)
        pipe = self._pipeline_for(request)
        # One CPU generator per candidate: a seed gives the same image whatever its place in the batch
        # and whatever the device.
        generators = [torch.Generator("cpu").manual_seed(seed) for seed in request.seeds]
        if request.prompts:  # one prompt per candidate, still one batched call
            kwargs = dict(prompt=list(request.prompts), num_images_per_prompt=1)
        else:
            kwargs = dict(prompt=request.prompt, num_images_per_prompt=len(request.seeds))
        kwargs.update(generator=generators, num_inference_steps=request.steps, guidance_scale=request.guidance)
        accepted = inspect.signature(pipe.__call__).parameters
        if request.guidance > 1 and "negative_prompt" in accepted:  # only classifier-free guidance reads it
            kwargs["negative_prompt"] = [request.negative] * len(request.prompts) if request.prompts else request.negative
        if request.init_image is None or request.mask is not None:
            kwargs.update(width=request.width, height=request.height)
        if request.init_image is not None:
            kwargs.update(image=request.init_image.convert("RGB").resize((request.width, request.height)),
                          strength=request.strength)
        if request.mask is not None:
            kwargs["mask_image"] = request.mask.convert("L").resize((request.width, request.height))
        if self.style_reference:
            kwargs["ip_adapter_image"] = self._style_reference(request)
        if on_step is not None:
            kwargs["callback_on_step_end"] = self._step_callback(on_step, request.previews, self.previewer,
                                                                 (request.height, request.width))
        with torch.inference_mode():
            images = list(pipe(**kwargs).images)
        if request.mask is not None:
            images = self._keep_outside_the_mask(request, images)
        return images

    def _style_reference(self, request: RenderRequest) -> list[Image.Image]:
        """The IP-Adapter's image, its scale set for this call (the UNet is shared: every call sets it). Without a
        style image the scale is 0, which skips the adapter's attention altogether (same pixels as without an
        adapter), and a blank image stands in: diffusers' UNet fails when an adapter is loaded and none is given."""
        style = request.style_image
        self.pipe.set_ip_adapter_scale(request.style_strength if style is not None else 0.0)
        # One image per loaded adapter (not per candidate): diffusers repeats its embedding for the batch.
        return [style.convert("RGB") if style is not None else Image.new("RGB", (64, 64), (127, 127, 127))]

    @staticmethod
    def _keep_outside_the_mask(request: RenderRequest, images: list[Image.Image]) -> list[Image.Image]:
        # The pipeline re-encodes and decodes the whole image: without this the kept part drifts (colour, detail).
        size = (request.width, request.height)
        original = request.init_image.convert("RGB").resize(size)
        weight = feathered(binary(request.mask, size), request.feather or feather_for(*size))
        return [keep_outside(original, image, weight) for image in images]

    @staticmethod
    def _step_callback(on_step: StepCallback, previews: bool, previewer, size: tuple[int, int]):
        def callback(pipe, step: int, timestep, tensors: dict) -> dict:
            total = getattr(pipe, "num_timesteps", None) or step + 1
            latents = tensors.get("latents")
            images = ()
            if previews and latents is not None:
                if latents.ndim == 3:  # FLUX packs 2x2 latent patches into tokens: back to an image's layout
                    latents = pipe._unpack_latents(latents, *size, pipe.vae_scale_factor)
                images = decoded_previews(previewer, latents) if previewer else latent_previews(latents)
            on_step(StepEvent(step=step + 1, total=total, previews=images))  # may raise Interrupted
            return tensors

        return callback


def decoded_previews(previewer, latents: torch.Tensor) -> tuple[Image.Image, ...]:
    """Previews through a tiny autoencoder (TAESD, TAEF1): real colours and shapes, a few ms a step.
    It reads the denoiser's latents as they are: TAE models are trained on the scaled latent space."""
    if latents.ndim != 4 or latents.shape[1] != previewer.config.latent_channels:
        return latent_previews(latents)
    with torch.inference_mode():
        pixels = previewer.decode(latents.to(previewer.dtype)).sample
    pixels = ((pixels.float().clamp(-1, 1) + 1) * 127.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    return tuple(Image.fromarray(p) for p in pixels)


def latent_previews(latents: torch.Tensor) -> tuple[Image.Image, ...]:
    """Cheap RGB previews of 4-channel SD/SDXL latents; none for other latent spaces (FLUX has TAEF1)."""
    if latents.ndim != 4 or latents.shape[1] != 4:
        return ()
    rgb = torch.einsum("bchw,cr->bhwr", latents.float().cpu(), _SD_LATENT_RGB)
    pixels = ((rgb + 1) * 127.5).clamp(0, 255).to(torch.uint8).numpy()
    return tuple(Image.fromarray(p) for p in pixels)
