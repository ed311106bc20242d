"""A tiny random-weight LLaVA (the class the presets' local VLM critic loads), built offline in seconds.

Saved with its processor and a chat template that places images, so both `LocalViewer` and
`transformers serve` (the remote path, through image parts) load the very same folder.
Why LLaVA and not Qwen2.5-VL: transformers 5.23 builds every Qwen2-VL processor with a video processor,
which needs torchvision, and no torchvision wheel here runs with the CPU build of torch (PyPI's is linked
against CUDA's libc10_cuda.so): neither this process nor `transformers serve` could load one.
"""
from __future__ import annotations

from pathlib import Path

IMAGE_SIZE = 32  # what the tiny vision tower sees: patches of 8 px, 16 image tokens an image
IMAGE_TOKEN = "<image>"

# LLaVA's chat templates, shortened to ChatML: a content part of type image becomes the placeholder the processor
# expands to one token per patch; text parts are written as they are.
VLM_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<image>\n"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def vlm_tokenizer():
    from transformers import Qwen2Tokenizer

    from pipelines.tiny import _bpe

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", IMAGE_TOKEN]
    vocab, merges = _bpe(special)
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=merges, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                               model_max_length=4096)
    tokenizer.add_special_tokens({"additional_special_tokens": special[1:]})
    tokenizer.chat_template = VLM_CHAT_TEMPLATE
    return tokenizer


def build_llava(folder: Path) -> None:
    import torch
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, GenerationConfig, LlavaConfig,
                              LlavaForConditionalGeneration, LlavaProcessor, Qwen2Config)

    torch.manual_seed(0)
    tokenizer = vlm_tokenizer()
    eos = tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                              image_size=IMAGE_SIZE, patch_size=8, projection_dim=32)
    text = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                       eos_token_id=eos[0], pad_token_id=eos[1], bos_token_id=None)
    config = LlavaConfig(vision_config=vision, text_config=text,
                         image_token_id=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
                         vision_feature_select_strategy="default", vision_feature_layer=-1)
    model = LlavaForConditionalGeneration(config)
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=eos[1])
    image_processor = CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE},
                                         crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=8,
                               vision_feature_select_strategy="default", image_token=IMAGE_TOKEN,
                               num_additional_image_tokens=1, chat_template=VLM_CHAT_TEMPLATE)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
