"""Tiny random-weight models of the very classes the real presets load, built offline.

Each family is built once (seeded), saved with `save_pretrained` under a cache folder, and then
loaded by the same `from_pretrained` code as a published checkpoint: only where the weights come
from differs. Tiny models prove plumbing, never quality: their images are noise and their text
is gibberish.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable

from pipelines.tiny_images import build_clipseg, build_ip_adapter_sd, build_ip_adapter_sdxl
from pipelines.tiny_vlm import build_llava

TINY_VERSION = "3"  # bump when a builder changes, so stale caches are rebuilt
IMAGE_SIZE = 32  # what the tiny captioner and scorer see
VOCAB_SIZE = 1200  # of the tiny BPE tokenizers

# Words the tiny tokenizers learn, so prompts take a realistic number of tokens (not one per
# character) and the 77-token limit means roughly what it means for the real CLIP tokenizer.
_CORPUS = """
a an the of and with in on for at by from to as is it its this that no not without very
poster logo flyer cover album book packaging label card invitation banner sign menu website app
icon illustration photo photograph render painting drawing sketch print pattern typography
jazz night concert festival party wedding coffee shop bakery restaurant bar studio gallery
art deco nouveau bauhaus swiss modernist minimal minimalist brutalist retro vintage futuristic
flat vector isometric watercolor oil gouache ink pencil charcoal collage risograph screen
navy gold red blue green yellow orange purple pink black white grey gray teal cream beige brown
warm cool muted bright vivid pastel neon dark light soft bold high low contrast gradient palette
centered symmetric asymmetric grid layout composition close up wide shot portrait landscape
background foreground texture grain noise clean sharp blurry busy cluttered simple detailed
text title headline says reads letter font serif sans script hand lettering readable
woman man person people child dog cat fox bird tree flower mountain sea city street room chair
table lamp window light sun moon star sky cloud rain night day morning evening sunset
saxophone trumpet piano guitar microphone music sound record vinyl
elegant playful calm dramatic moody cozy luxurious geometric organic abstract realistic
cinematic studio lighting shadow glow reflection lens depth field focus highly quality
one two three four five six many small large tall round square circle line shape frame border
""".split()


# ---------------------------------------------------------------- cache
def cache_root() -> Path:
    base = os.environ.get("DC_TINY_DIR") or Path.home() / ".cache" / "design-collaborator" / "tiny"
    return Path(base) / f"v{TINY_VERSION}"


def ensure(family: str) -> Path:
    """The folder of tiny `family`, building and saving it first if it is not cached."""
    if family not in BUILDERS:
        raise ValueError(f"no tiny model for family {family!r}; known: {', '.join(sorted(BUILDERS))}")
    target = cache_root() / family
    if (target / "built.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build into a temp folder and rename: two processes building at once never see half a model.
    staging = Path(tempfile.mkdtemp(prefix=f".{family}-", dir=target.parent))
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Writing model shards" for a model of kilobytes
    try:
        BUILDERS[family](staging)
        (staging / "built.json").write_text(json.dumps({"family": family, "version": TINY_VERSION}))
        try:
            staging.rename(target)
        except OSError:  # another process won the race; its copy is as good as ours
            if not (target / "built.json").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# ---------------------------------------------------------------- tokenizers
def _bpe(special: list[str], suffix: str = "") -> tuple[dict, list]:
    """A byte-level BPE vocabulary and its merges, learnt from the corpus: the same at every build.

    The `tokenizers` trainer breaks ties between equally frequent pairs in hash order, which with CLIP's
    end-of-word suffix changes from one process to the next; here the pair itself breaks the tie.
    """
    from tokenizers import pre_tokenizers

    if suffix:  # CLIP style: lower case, split at spaces and punctuation, words end in </w>
        split = pre_tokenizers.Sequence(
            [pre_tokenizers.Whitespace(), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    else:  # GPT-2 / Qwen style: a space becomes a Ġ at the start of the word after it
        split = pre_tokenizers.ByteLevel(add_prefix_space=False)
    texts = [" ".join(_CORPUS[i:i + 12]) for i in range(0, len(_CORPUS), 6)] + [w.capitalize() for w in _CORPUS]
    words: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        for word, _ in split.pre_tokenize_str(text.lower() if suffix else text):
            words[(*word[:-1], word[-1] + suffix)] += 1
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    symbols = special + alphabet + ([ch + suffix for ch in alphabet] if suffix else [])
    merges: list[tuple[str, str]] = []
    while len(symbols) + len(merges) < VOCAB_SIZE:
        pairs: Counter[tuple[str, str]] = Counter()
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += n
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merges.append(best)
        merged: Counter[tuple[str, ...]] = Counter()
        for word, n in words.items():
            merged[_merge(word, best)] += n
        words = merged
    vocab = {token: i for i, token in enumerate(dict.fromkeys(symbols + ["".join(m) for m in merges]))}
    return vocab, merges


def _merge(word: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    out, i = [], 0
    while i < len(word):
        if word[i:i + 2] == pair:
            out.append(pair[0] + pair[1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def clip_tokenizer():
    from transformers import CLIPTokenizer

    vocab, merges = _bpe(["<|startoftext|>", "<|endoftext|>"], "</w>")
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def bert_tokenizer():
    from transformers import BertTokenizer

    chars = sorted({c for w in _CORPUS for c in w} | set("0123456789.,!?'-:;\"()"))
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"] + sorted(set(_CORPUS)) + chars
    words += [f"##{c}" for c in chars]
    vocab = {w: i for i, w in enumerate(dict.fromkeys(words))}
    # `vocab=` (a dict), not `vocab_file=`: transformers 5 ignores the file and every word is [UNK].
    return BertTokenizer(vocab=vocab, model_max_length=64, bos_token="[DEC]")


CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def qwen_tokenizer():
    from transformers import Qwen2Tokenizer

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    vocab, merges = _bpe(special)
    tok = Qwen2Tokenizer(vocab=vocab, merges=merges, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                         model_max_length=4096)
    tok.chat_template = CHATML_TEMPLATE
    return tok


def _clip_text_config(vocab_size: int, **overrides):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(bos_token_id=0, eos_token_id=1, pad_token_id=1, vocab_size=vocab_size,
                          hidden_size=32, intermediate_size=37, num_attention_heads=4,
                          num_hidden_layers=2, max_position_embeddings=77, projection_dim=32,
                          **overrides)


# ---------------------------------------------------------------- diffusers families
def _tiny_vae(latent_channels: int = 4, blocks: int = 4, **kw):
    from diffusers import AutoencoderKL

    # 4 blocks: the usual x8 spatial scale of SD / SDXL, so sizes behave like the real thing.
    return AutoencoderKL(in_channels=3, out_channels=3, latent_channels=latent_channels,
                         block_out_channels=(8,) * blocks, layers_per_block=1, norm_num_groups=4,
                         down_block_types=("DownEncoderBlock2D",) * blocks,
                         up_block_types=("UpDecoderBlock2D",) * blocks, sample_size=64, **kw)


def _turbo_scheduler():
    from diffusers import EulerDiscreteScheduler

    # sd-turbo / sdxl-turbo ship Euler with trailing timesteps: 1-4 steps start at pure noise.
    return EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                  timestep_spacing="trailing", steps_offset=1)


def _tiny_unet(**kw):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        block_out_channels=(16, 32), layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), norm_num_groups=8, **kw)


def build_sd(folder: Path) -> None:
    import torch
    from diffusers import StableDiffusionPipeline
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    tokenizer = clip_tokenizer()
    unet = _tiny_unet(cross_attention_dim=32, attention_head_dim=4)
    pipe = StableDiffusionPipeline(
        vae=_tiny_vae(), text_encoder=CLIPTextModel(_clip_text_config(len(tokenizer))), tokenizer=tokenizer,
        unet=unet, scheduler=_turbo_scheduler(), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False)
    pipe.save_pretrained(folder)


def build_sdxl(folder: Path) -> None:
    import torch
    from diffusers import StableDiffusionXLPipeline
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    tokenizer = clip_tokenizer()
    # SDXL's UNet also reads pooled text + size/crop ids ("text_time"), and both encoders' states.
    unet = _tiny_unet(attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
                      addition_time_embed_dim=8, projection_class_embeddings_input_dim=6 * 8 + 32,
                      cross_attention_dim=64)
    pipe = StableDiffusionXLPipeline(
        vae=_tiny_vae(), unet=unet, scheduler=_turbo_scheduler(),
        text_encoder=CLIPTextModel(_clip_text_config(len(tokenizer))), tokenizer=tokenizer,
        text_encoder_2=CLIPTextModelWithProjection(_clip_text_config(len(tokenizer))),
        tokenizer_2=clip_tokenizer())
    pipe.save_pretrained(folder)


def t5_tokenizer():
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces += [("\u2581" + w, -float(i % 50)) for i, w in enumerate(dict.fromkeys(_CORPUS))]
    pieces += [(c, -60.0) for c in "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-"]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=512)


def build_flux(folder: Path) -> None:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel
    from transformers import CLIPTextModel, T5Config, T5EncoderModel

    torch.manual_seed(0)
    tokenizer, tokenizer_2 = clip_tokenizer(), t5_tokenizer()
    # FLUX's own latent space: 16 channels, packed 2x2 into 64 per token; its VAE's scale and shift.
    transformer = FluxTransformer2DModel(
        patch_size=1, in_channels=64, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=32, pooled_projection_dim=32, axes_dims_rope=[4, 4, 8])
    t5 = T5EncoderModel(T5Config(vocab_size=len(tokenizer_2), d_model=32, d_kv=8, d_ff=37, num_layers=2,
                                 num_heads=4, relative_attention_num_buckets=8, decoder_start_token_id=0))
    pipe = FluxPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(shift=1.0),
        vae=_tiny_vae(latent_channels=16, shift_factor=0.1159, scaling_factor=0.3611),
        text_encoder=CLIPTextModel(_clip_text_config(len(tokenizer))), tokenizer=tokenizer,
        text_encoder_2=t5, tokenizer_2=tokenizer_2, transformer=transformer)
    pipe.save_pretrained(folder)


def _tiny_autoencoder(folder: Path, latent_channels: int) -> None:
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(0)
    AutoencoderTiny(latent_channels=latent_channels, encoder_block_out_channels=(8,) * 4,
                    decoder_block_out_channels=(8,) * 4, num_encoder_blocks=(1,) * 4,
                    num_decoder_blocks=(1,) * 4).save_pretrained(folder)


def build_taesd(folder: Path) -> None:
    """TAESD / TAESDXL: previews of the 4-channel SD and SDXL latents."""
    _tiny_autoencoder(folder, latent_channels=4)


def build_taef1(folder: Path) -> None:
    """TAEF1: previews of FLUX's 16-channel latents."""
    _tiny_autoencoder(folder, latent_channels=16)


# ---------------------------------------------------------------- transformers families
def build_qwen2(folder: Path) -> None:
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    tokenizer = qwen_tokenizer()
    eos = tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])
    model = Qwen2ForCausalLM(Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
        tie_word_embeddings=True, eos_token_id=eos[0], pad_token_id=eos[1], bos_token_id=None))
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=eos[1])
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def _blip_processor():
    from transformers import BlipImageProcessor, BlipProcessor

    image_processor = BlipImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    return BlipProcessor(image_processor=image_processor, tokenizer=bert_tokenizer())


def _blip_config(tokenizer):
    from transformers import BlipConfig

    text = dict(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                num_attention_heads=4, encoder_hidden_size=32, max_position_embeddings=64,
                bos_token_id=tokenizer.convert_tokens_to_ids("[DEC]"), pad_token_id=tokenizer.pad_token_id,
                sep_token_id=tokenizer.sep_token_id)
    vision = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                  image_size=IMAGE_SIZE, patch_size=8)
    return BlipConfig(text_config=text, vision_config=vision, projection_dim=32)


def _build_blip(folder: Path, model_class: str) -> None:
    import torch
    import transformers

    torch.manual_seed(0)
    processor = _blip_processor()
    model = getattr(transformers, model_class)(_blip_config(processor.tokenizer))
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


def build_blip_caption(folder: Path) -> None:
    _build_blip(folder, "BlipForConditionalGeneration")


def build_blip_vqa(folder: Path) -> None:
    _build_blip(folder, "BlipForQuestionAnswering")


def build_clip(folder: Path) -> None:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    torch.manual_seed(0)
    tokenizer = clip_tokenizer()
    vision = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                  image_size=IMAGE_SIZE, patch_size=8, projection_dim=32)
    config = CLIPConfig(text_config=_clip_text_config(len(tokenizer)).to_dict(), vision_config=vision,
                        projection_dim=32)
    image_processor = CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE},
                                         crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    CLIPModel(config).save_pretrained(folder)
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)


BUILDERS: dict[str, Callable[[Path], None]] = {
    "sd": build_sd,
    "sdxl": build_sdxl,
    "flux": build_flux,
    "taesd": build_taesd,
    "taef1": build_taef1,
    "qwen2": build_qwen2,
    "blip-caption": build_blip_caption,
    "blip-vqa": build_blip_vqa,
    "clip": build_clip,
    "clipseg": build_clipseg,
    "llava": build_llava,
    "ip-adapter-sd": build_ip_adapter_sd,
    "ip-adapter-sdxl": build_ip_adapter_sdxl,
}
