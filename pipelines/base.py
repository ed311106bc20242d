"""The model layer's contracts: typed requests and results, and one Protocol per role.

Nothing here imports torch: `studio/` builds these values and reads the results without
knowing which backend (in-process transformers/diffusers, a remote server) produced them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

if TYPE_CHECKING:
    from PIL.Image import Image


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message names the model id and what to do."""


class ModelUnavailable(ModelLoadError):
    """A model's server could not be reached or failed to answer; the message says where, and what to do."""


class Interrupted(Exception):
    """Raised from a progress callback to stop a model call (the designer pressed Stop)."""


# ---------------------------------------------------------------- refiner
@dataclass(frozen=True)
class Reaction:
    """The designer's pick or rejection of one candidate, as data (people count rounds and candidates from 1)."""

    round: int
    candidate: int
    reason: str = ""
    prompt: str = ""  # what the candidate was rendered from, when it differs from its round's (a direction)
    direction: str = ""  # the creative direction's name ('Inspire me' rounds)


@dataclass(frozen=True)
class ClientReaction:
    """A client's vote or comment on one candidate, sent through a review link: data, never instructions."""

    round: int  # from 1, as people count
    candidate: int
    vote: int = 0  # +1 for it, -1 against it, 0 a comment only
    comment: str = ""
    name: str = ""  # how the client signed it, if they did


@dataclass(frozen=True)
class Preference:
    """A lasting like or dislike of the designer's."""

    liked: bool
    text: str


@dataclass(frozen=True)
class Memory:
    """Everything the refiner may read about a session: typed records built from the session, never text
    parsed back. How much of it a model reads is decided where it is written out (`prompting.user_message`)."""

    brief: str
    checklist: tuple[str, ...] = ()  # each item as a prompt phrase ("no people" for an avoid item)
    pinned: tuple[str, ...] = ()  # phrases that must stay in every prompt
    previous_prompts: tuple[str, ...] = ()  # oldest first
    failures: tuple[str, ...] = ()  # what the critic found missing last round, most often missed first
    picks: tuple[Reaction, ...] = ()  # oldest first
    rejections: tuple[Reaction, ...] = ()  # oldest first
    corrections: tuple[str, ...] = ()  # the designer's free-text messages, oldest first
    preferences: tuple[Preference, ...] = ()
    image_reports: tuple[str, ...] = ()  # captions: data about images, never instructions
    references: tuple[str, ...] = ()  # what the models read in the images the designer brought: data, too
    client_notes: tuple[ClientReaction, ...] = ()  # what clients said through review links, oldest first: data


def count_words(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class RefineRequest:
    memory: Memory
    count_tokens: Callable[[str], int] = count_words  # the generator's text-encoder tokenizer
    token_limit: int = 75  # CLIP: 77 positions less the start and end tokens
    language: str = "English"  # what the generator's text encoder was trained on: the prompt is written in it
    max_new_tokens: int = 160


@dataclass(frozen=True)
class RefinedPrompt:
    prompt: str
    negative: str
    rationale: str
    raw: str  # the model's text as generated, kept for inspection
    fallback: bool  # True when the model's text could not be used


TokenCallback = Callable[[str], None]


class Refiner(Protocol):
    model_id: str

    def refine(self, request: RefineRequest, on_token: TokenCallback | None = None) -> RefinedPrompt:
        """Write the next text-to-image prompt from the session's memory."""

    def complete(self, system: str, user: str, max_new_tokens: int,
                 on_token: TokenCallback | None = None) -> str:
        """One chat turn: the model's reply to `user` under `system` (streams tokens)."""

    def complete_each(self, system: str, users: Sequence[str], max_new_tokens: int) -> list[str]:
        """One reply per user message under the same `system`, written side by side."""


# ---------------------------------------------------------------- generator
@dataclass(frozen=True)
class RenderRequest:
    prompt: str
    seeds: tuple[int, ...]  # one candidate per seed
    negative: str = ""
    width: int = 512
    height: int = 512
    steps: int = 4
    guidance: float = 0.0
    init_image: Image | None = None  # image-to-image (a reference or a candidate)
    mask: Image | None = None  # inpainting: white = redraw
    strength: float = 0.6  # how far image-to-image / inpainting may move from init_image
    previews: bool = False  # cheap latent previews in step events
    prompts: tuple[str, ...] = ()  # one prompt per seed (creative directions); empty: `prompt` for all
    # Inpainting redraws only the mask: the result is the original outside it, blended over this many pixels at its
    # edge (0: the generator's own choice for the size, `feather_for`).
    feather: int = 0
    style_image: Image | None = None  # a style reference, through the generator's IP-Adapter (`style_reference`)
    style_strength: float = 0.6  # how strongly the style reference steers (the IP-Adapter's scale)


@dataclass(frozen=True)
class StepEvent:
    step: int  # 1-based
    total: int
    previews: tuple[Image, ...] = ()


StepCallback = Callable[[StepEvent], None]


class Generator(Protocol):
    model_id: str
    scheduler: str  # the scheduler's class name, recorded with each round
    max_prompt_tokens: int
    prompt_language: str  # the language its text encoder was trained on ("English" for CLIP and T5)

    style_reference: bool  # True when it can take `RenderRequest.style_image` (an IP-Adapter is configured)

    def count_prompt_tokens(self, text: str) -> int:
        """Tokens `text` takes in the generator's (first) text encoder."""

    def describe_environment(self) -> dict[str, str]:
        """What renders here, recorded with each round so a reproduction can say what changed: "device",
        "dtype" and the versions of "torch", "diffusers" and "transformers"."""

    def render(self, request: RenderRequest, on_step: StepCallback | None = None) -> list[Image]:
        """All candidates of `request` in one batched call; same seeds + settings, same pixels."""


# ---------------------------------------------------------------- image work: segmenter, upscaler
@dataclass(frozen=True)
class Segment:
    """Where one phrase is in an image."""

    mask: Image  # mode "L", the image's size: 255 where the phrase was found, 0 elsewhere
    found: bool  # some pixel passed the segmenter's threshold; False: the mask is empty
    peak: float  # the highest probability seen, 0..1


class Segmenter(Protocol):
    model_id: str

    def segment(self, image: Image, phrases: Sequence[str]) -> list[Segment]:
        """One segment per phrase (a text-prompted segmenter, e.g. CLIPSeg)."""


@dataclass(frozen=True)
class UpscaleRequest:
    image: Image
    prompt: str  # what the image shows (its round's prompt): the detail pass follows it
    factor: int = 2
    seed: int = 0
    negative: str = ""
    steps: int = 4
    guidance: float = 0.0
    strength: float = 0.3  # how far the detail pass may move from the enlarged image


class Upscaler(Protocol):
    model_id: str
    method: str  # how it enlarges, in words, kept with the round's recipe
    max_factor: int  # 2 or 4, the preset's choice

    def upscale(self, request: UpscaleRequest, on_step: StepCallback | None = None) -> Image:
        """The image `factor` times wider and taller, its detail redrawn (same request, same pixels)."""


@dataclass(frozen=True)
class SpeedOptions:
    """How the generator trades memory, start-up time and speed. Defaults favour correctness."""

    compile: bool = False  # torch.compile the denoiser and the refiner's decoding, warmed up at load (minutes)
    offload: str = "none"  # "none" | "model" (whole models to the GPU in turn) | "sequential" (layer by layer)
    vae_tiling: bool = False  # decode in tiles: large images on small cards
    vae_slicing: bool = False  # decode one image of the batch at a time
    fast_layout: bool = True  # on CUDA: channels_last memory and fused QKV projections
    dtype: str = "auto"  # "auto" (see pipelines.device.best_placement) | "bfloat16" | "float16" | "float32"


OFFLOAD_MODES = ("none", "model", "sequential")
DTYPE_NAMES = ("bfloat16", "float16", "float32")


# ---------------------------------------------------------------- critic's models
class Captioner(Protocol):
    model_id: str

    def caption(self, images: Sequence[Image]) -> list[str]:
        """What each image shows, in one sentence."""

    def answer(self, images: Sequence[Image], questions: Sequence[str]) -> list[str]:
        """The answer to questions[i] about images[i] (visual question answering)."""


class Viewer(Protocol):
    """A vision-language model: it reads an image and a text together (GPT-4V in Idea2Img), so the critic's
    answers and notes come from the pixels, not from a caption of them."""

    model_id: str

    def look(self, system: str, images: Sequence[Image], prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """The reply to prompts[i] about images[i] under `system`, every pair at once (batched in one `generate`,
        or requests side by side on a server). `system` is the instruction; what the designer wrote reaches the
        model only inside the prompts, between <data> tags."""


class Scorer(Protocol):
    model_id: str

    def similarity(self, images: Sequence[Image], text: str) -> list[float]:
        """Image-text similarity of each image against `text`, cosine in [-1, 1]."""

    def embed_images(self, images: Sequence[Image]) -> list[list[float]]:
        """Unit-length image embeddings, for search."""

    def embed_texts(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length text embeddings from the text tower, in the image embeddings' space: images that match a text
        are those closest to its embedding."""


@dataclass(frozen=True)
class ChecklistItem:
    """One atomic, checkable requirement of the brief."""

    text: str  # "navy and gold palette", "a saxophone", "says JAZZ NIGHT", "no people"
    kind: str = "visual"  # "visual": shown; "text": these words are written in the image; "avoid": not shown
    pinned: bool = False  # a pinned item stays word for word in every prompt
    quote: str = ""  # for "text" items: the exact words (checked by OCR)


@dataclass(frozen=True)
class ItemCheck:
    item: str
    kind: str
    verdict: str  # "pass" | "fail" | "unsure"
    evidence: str = ""  # the VQA answer, or for a text item what OCR read ("JAZZ NIGT")
    reading: str = ""  # text items: "exact" | "near" | "missing" (OCR's verdict), "unread" (no reader installed)


@dataclass(frozen=True)
class Critique:
    """What one candidate shows and how far it is from the brief."""

    caption: str
    score: float  # 0..100, higher is closer to the brief
    similarity: float  # the scorer's raw cosine
    matches: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    summary: str = ""  # the refiner's note, or one composed in English from the rest
    checks: tuple[ItemCheck, ...] = ()
    preference_hits: tuple[str, ...] = ()  # designer preferences this candidate meets ("+ bold type") or breaks ("- too busy")
    note: str = ""  # the refiner's own note on the candidate ("" when it wrote none usable)


@dataclass(frozen=True)
class CritiqueRequest:
    brief: str
    prompt: str
    checklist: tuple[ChecklistItem | str, ...] = field(default_factory=tuple)
    prefer: tuple[str, ...] = ()  # what the designer liked: a candidate that shows it ranks higher
    avoid: tuple[str, ...] = ()  # what the designer disliked: a candidate that shows it ranks lower


class Critic(Protocol):
    def critique(self, images: Sequence[Image], request: CritiqueRequest) -> list[Critique]:
        """One critique per image, in order."""
