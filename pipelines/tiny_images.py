"""Tiny twins of the models that work from images: the segmenter (CLIPSeg) and the style reference (IP-Adapter).

Part of `pipelines.tiny` (its `BUILDERS` lists these): same classes as the real checkpoints, random seeded weights.
"""
from __future__ import annotations

from pathlib import Path


def build_clipseg(folder: Path) -> None:
    import torch
    from transformers import CLIPSegConfig, CLIPSegForImageSegmentation, CLIPSegProcessor, ViTImageProcessor

    from pipelines.tiny import IMAGE_SIZE, _clip_text_config, clip_tokenizer

    torch.manual_seed(0)
    tokenizer = clip_tokenizer()
    vision = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=3, num_attention_heads=4,
                  image_size=IMAGE_SIZE, patch_size=8)
    config = CLIPSegConfig(text_config=_clip_text_config(len(tokenizer)).to_dict(), vision_config=vision,
                           projection_dim=32, extract_layers=[0, 1, 2], reduce_dim=16, decoder_num_attention_heads=2,
                           decoder_intermediate_size=37)
    # CIDAS/clipseg-rd64-refined's processor: a ViT image processor with ImageNet's mean and deviation.
    image_processor = ViTImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
                                        image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
    CLIPSegForImageSegmentation(config).save_pretrained(folder)
    CLIPSegProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)


def build_ip_adapter_sd(folder: Path) -> None:
    """An IP-Adapter for the tiny SD UNet (the tiny preset's style reference)."""
    _build_ip_adapter(folder, "sd", "models")


def build_ip_adapter_sdxl(folder: Path) -> None:
    """An IP-Adapter for the tiny SDXL UNet: the twin of the turbo preset's (h94/IP-Adapter sdxl_models)."""
    _build_ip_adapter(folder, "sdxl", "sdxl_models")


def _build_ip_adapter(folder: Path, generator_family: str, subfolder: str) -> None:
    """An IP-Adapter for the tiny `generator_family` UNet, laid out as h94/IP-Adapter's: the weights in
    `<subfolder>/ip-adapter.safetensors` (the `image_proj.*` and `ip_adapter.*` keys diffusers' `load_ip_adapter`
    reads), the image encoder (a `CLIPVisionModelWithProjection`) in `models/image_encoder`."""
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    from pipelines.tiny import IMAGE_SIZE, ensure

    torch.manual_seed(0)
    unet = UNet2DConditionModel.from_pretrained(ensure(generator_family) / "unet")
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4, image_size=IMAGE_SIZE,
        patch_size=8, projection_dim=32))
    encoder.save_pretrained(folder / "models" / "image_encoder")
    width, embed = unet.config.cross_attention_dim, encoder.config.projection_dim
    # The image projection of the plain IP-Adapter: 4 tokens of the text's width from one image embedding.
    weights = {"image_proj.proj.weight": torch.randn(4 * width, embed) * 0.2,
               "image_proj.proj.bias": torch.zeros(4 * width),
               "image_proj.norm.weight": torch.ones(width), "image_proj.norm.bias": torch.zeros(width)}
    # One key and one value projection per cross-attention layer, numbered as `load_ip_adapter` walks the UNet's
    # attention processors (1, 3, 5, ...: the original checkpoints counted self-attention layers too).
    channels = unet.config.block_out_channels
    cross_attention = [name for name in unet.attn_processors if name.endswith("attn2.processor")]
    for key_id, name in zip(range(1, 2 * len(cross_attention), 2), cross_attention):
        block = int(name.split(".")[1]) if not name.startswith("mid_block") else -1
        hidden = (channels[-1] if block < 0 else list(reversed(channels))[block] if name.startswith("up_blocks")
                  else channels[block])
        for projection in ("to_k_ip", "to_v_ip"):
            weights[f"ip_adapter.{key_id}.{projection}.weight"] = torch.randn(hidden, width) * 0.2
    (folder / subfolder).mkdir(parents=True, exist_ok=True)
    save_file({key: value.contiguous() for key, value in weights.items()}, folder / subfolder / "ip-adapter.safetensors")
