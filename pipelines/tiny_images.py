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
