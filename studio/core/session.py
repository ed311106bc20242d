"""A design session as plain data: the brief, every round, every candidate, every reaction.

Pure: dataclasses and functions over them. No I/O, no torch, no gradio. A session is its
full history, and it round-trips through JSON without loss (session_json.py). The JSON carries `SCHEMA_VERSION`:
the session's and each round's.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from studio.core.critique import ChecklistItem, Critique
from studio.core.messages import Message

SCHEMA_VERSION = 5  # of the stored JSON; 1 had no version. The store migrates older rows (services/migrations.py);
# 4 added image work (a round's kind and notes, a candidate's source, the recipe, references); 5 the history (a
# session's head and redo, a round's branch state), the client's review notes and a render's environment


class RoundStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class RoundKind(str, Enum):
    """What made a round: the refiner's next prompt, or work on an image (its parent candidate is recorded)."""

    ROUND = "round"  # the refiner's prompt from the whole conversation (also auto-rounds and directions)
    EDIT = "edit"  # a region of a candidate redrawn (inpainting under the designer's mask)
    FIX = "fix"  # a region redrawn for one failed checklist item, the mask found by the segmenter
    VARY = "vary"  # image-to-image variations of a candidate, subtle or strong
    UPSCALE = "upscale"  # candidates enlarged, their detail redrawn


IMAGE_WORK = (RoundKind.EDIT, RoundKind.FIX, RoundKind.VARY, RoundKind.UPSCALE)


class Mark(str, Enum):
    NONE = ""
    PICKED = "picked"
    REJECTED = "rejected"


class FeedbackKind(str, Enum):
    PICK = "pick"
    REJECT = "reject"
    CORRECTION = "correction"


@dataclass(frozen=True)
class RenderParams:
    preset: str
    model_ids: dict[str, str]  # role -> published id (or local tiny folder)
    steps: int
    guidance: float
    width: int
    height: int
    seeds: tuple[int, ...]
    scheduler: str
    negative_prompt: str = ""
    strength: float | None = None  # set for image-to-image and inpainting
    reference: str | None = None  # image file (relative to the data folder) the round started from
    mask: str | None = None
    start_from: tuple[int, int] | None = None  # (round, candidate), 0-based, when it started from a candidate
    feather: int | None = None  # region work: the pixels the mask's edge is blended over
    style_reference: str | None = None  # a style reference image (IP-Adapter), relative to the data folder
    style_strength: float | None = None
    upscale: int | None = None  # upscale rounds: the factor
    method: str = ""  # upscale rounds: how the upscaler enlarged (its own words)
    variation: str = ""  # vary rounds: "subtle" | "strong"
    environment: dict[str, str] = field(default_factory=dict)  # what rendered it: device, dtype, library versions


@dataclass(frozen=True)
class Candidate:
    index: int
    image: str  # file path relative to the data folder
    seed: int
    caption: str = ""
    score: float | None = None
    critique: Critique | None = None
    mark: Mark = Mark.NONE
    mark_reason: str = ""
    label: str = ""  # the creative direction this candidate was rendered for
    prompt: str = ""  # set when it differs from the round's prompt (directions)
    withheld: str = ""  # why the safety check replaced this image with a placeholder
    source: tuple[int, int] | None = None  # image work: the (round, candidate), 0-based, it was made from


@dataclass(frozen=True)
class Round:
    index: int
    message: str  # what the designer said to start this round (the brief for round 0)
    status: RoundStatus = RoundStatus.PENDING
    parent: int | None = None  # the round this one continues from
    prompt: str = ""
    negative_prompt: str = ""
    rationale: str = ""  # the refiner's own words on the prompt ("" when its reply was unusable)
    fallback: bool = False  # the refiner's text was unusable; the prompt was composed
    left_out: tuple[str, ...] = ()  # pinned phrases the generator's prompt could not hold beside the others
    style: str = ""  # the style preset applied to the prompt
    auto: bool = False  # run by auto-rounds: the studio picked the best candidate itself
    params: RenderParams | None = None
    candidates: tuple[Candidate, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    error: Message | None = None  # why it failed or stopped: the studio's words, as a code and its arguments
    created: float = 0.0
    kind: RoundKind = RoundKind.ROUND
    notes: tuple[Message, ...] = ()  # what the studio changed on the way, said to the designer ("mask resized")
    state: BranchState | None = None  # the branch's brief, checklist and tastes as they were here (core/history.py)


@dataclass(frozen=True)
class Feedback:
    round_index: int
    kind: FeedbackKind
    text: str = ""
    candidate: int | None = None
    created: float = 0.0
    auto: bool = False  # made by auto-rounds, not by the designer


@dataclass(frozen=True)
class Preference:
    """A taste the designer showed ("too busy" on a rejection): shapes later prompts and the ranking."""

    text: str
    polarity: str  # "like" | "dislike"
    source: str = ""  # "2.3": the candidate (round.candidate, from 1) whose reason it was; "": the designer wrote it


@dataclass(frozen=True)
class BranchState:
    """What each branch keeps of its own: the brief, the checklist and the tastes as they were on it. Stored on a
    round when it ends and when the designer leaves it for another branch; restored on arriving (core/history.py)."""

    brief: str
    checklist: tuple[ChecklistItem, ...] = ()
    checklist_fallback: bool = False
    checklist_stale: bool = False
    preferences: tuple[Preference, ...] = ()


@dataclass(frozen=True)
class ClientNote:
    """A client's vote or comment on one candidate, sent through a review link: data the refiner reads, never
    instructions."""

    round_index: int
    candidate: int
    vote: int = 0  # +1 for it, -1 against it, 0 a comment only
    comment: str = ""
    name: str = ""  # how the client signed it, if they did
    link: str = ""  # the id of the review link it came through
    created: float = 0.0
    client: str = ""  # who sent it, without an account: a hash of the id the review page keeps in their browser


@dataclass(frozen=True)
class Question:
    """A question the designer asked about one candidate, and the VQA model's answer."""

    round_index: int
    candidate: int
    question: str
    answer: str
    created: float = 0.0


@dataclass(frozen=True)
class Reference:
    """An image the designer brought: what the captioner and the VQA model read in it (data, never instructions),
    and how rounds use it."""

    image: str  # relative to the data folder, stripped of metadata
    caption: str = ""
    answers: tuple[tuple[str, str], ...] = ()  # (question, answer)
    use: str = "context"  # "context": the refiner reads it | "style": rounds follow its style (IP-Adapter)
    strength: float = 0.5  # "style": how strongly it steers (the IP-Adapter's scale)
    created: float = 0.0


REFERENCE_USES = ("context", "style")


@dataclass(frozen=True)
class Session:
    id: str
    owner: str
    title: str
    brief: str
    preset: str
    created: float
    updated: float = 0.0
    rounds: tuple[Round, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()
    checklist_fallback: bool = False  # the checklist was split from the brief, not written by the refiner
    checklist_stale: bool = False  # the brief changed: the next round rewrites the unpinned items
    preferences: tuple[Preference, ...] = ()
    questions: tuple[Question, ...] = ()
    parent_session: str | None = None  # branched from this session ...
    parent_round: int | None = None  # ... at this round
    settings: dict[str, Any] = field(default_factory=dict)  # the round settings kept (studio.core.params names)
    references: tuple[Reference, ...] = ()  # images the designer brought, oldest first
    head: int | None = None  # the round the designer is on (core/history.py); None: the newest; -1: before any round
    redo: tuple[int, ...] = ()  # rounds an undo left, the latest last: redo goes back to them
    reviews: tuple[ClientNote, ...] = ()  # what clients said through review links, oldest first


@dataclass(frozen=True)
class SessionSummary:
    """One line of a designer's session list."""

    id: str
    title: str
    brief: str
    updated: float
    rounds: int


# ---------------------------------------------------------------- queries
def last_round(session: Session) -> Round | None:
    return session.rounds[-1] if session.rounds else None


def last_done_round(session: Session) -> Round | None:
    done = [r for r in session.rounds if r.status is RoundStatus.DONE]
    return done[-1] if done else None


def find_round(session: Session, index: int) -> Round | None:
    return next((r for r in session.rounds if r.index == index), None)


def style_reference(session: Session) -> Reference | None:
    """The reference rounds take their style from: the newest marked "style"."""
    return next((r for r in reversed(session.references) if r.use == "style"), None)


def with_round(session: Session, round_: Round) -> Session:
    """The session with `round_` added, or replacing the round of the same index."""
    rounds = [r for r in session.rounds if r.index != round_.index] + [round_]
    return replace(session, rounds=tuple(sorted(rounds, key=lambda r: r.index)))


def apply_feedback(session: Session, fb: Feedback) -> Session:
    """Record `fb`; a pick or reject also marks the candidate it names."""
    round_ = find_round(session, fb.round_index)
    if round_ is None:
        raise ValueError(f"There is no round {fb.round_index + 1} in this session.")
    if fb.candidate is not None and fb.candidate not in {c.index for c in round_.candidates}:
        raise ValueError(f"Round {fb.round_index + 1} has no candidate {fb.candidate + 1}.")
    session = replace(session, feedback=session.feedback + (fb,))
    if fb.kind is FeedbackKind.CORRECTION or fb.candidate is None:
        return session
    if fb.text and not fb.auto:  # a reason given is a taste shown
        polarity = "like" if fb.kind is FeedbackKind.PICK else "dislike"
        source = f"{fb.round_index + 1}.{fb.candidate + 1}"
        known = {p.text.lower() for p in session.preferences}
        if fb.text.lower() not in known:
            session = replace(session, preferences=session.preferences + (Preference(fb.text, polarity, source),))
    mark = Mark.PICKED if fb.kind is FeedbackKind.PICK else Mark.REJECTED
    candidates = tuple(
        replace(c, mark=mark, mark_reason=fb.text) if c.index == fb.candidate else c
        for c in round_.candidates
    )
    return with_round(session, replace(round_, candidates=candidates))
