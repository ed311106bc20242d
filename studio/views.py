"""What the page shows, computed from plain session data: pure functions, no Gradio."""
from __future__ import annotations

from typing import Any

from studio.events import Rendering, RoundEvent
from studio.session import FeedbackKind, Mark, Round, RoundStatus, Session
from studio.store import SessionSummary


def conversation(session: Session | None, live: Round | None = None, live_text: str = "") -> list[dict]:
    """The chat: the designer's words and the studio's replies, round by round."""
    if session is None:
        return []
    messages: list[dict] = []
    rounds = [r for r in session.rounds if live is None or r.index != live.index]
    feedback = sorted(session.feedback, key=lambda f: f.created)
    for r in rounds + ([live] if live else []):
        for fb in [f for f in feedback if f.created <= r.created]:
            messages.append(_user(_feedback_line(fb)))
        feedback = [f for f in feedback if f.created > r.created]
        messages.append(_user(r.message or "Another round, please."))
        messages.append(_studio(round_reply(r) if r is not live or not live_text else
                                f"*Writing the prompt...*\n\n{live_text}"))
    messages += [_user(_feedback_line(f)) for f in feedback]
    return messages


def _user(text: str) -> dict:
    return {"role": "user", "content": text}


def _studio(text: str) -> dict:
    return {"role": "assistant", "content": text}


def _feedback_line(fb) -> str:
    if fb.kind is FeedbackKind.CORRECTION:
        return fb.text
    verb = "Picked" if fb.kind is FeedbackKind.PICK else "Rejected"
    return f"{verb} candidate {fb.candidate + 1} of round {fb.round_index + 1}" + (f": {fb.text}" if fb.text else ".")


def round_reply(r: Round) -> str:
    lines = [f"**Round {r.index + 1}**"]
    if r.prompt:
        lines.append(f"**Prompt:** {r.prompt}")
        lines.append(f"*{r.rationale}*" + (" *(composed: the refiner's reply was unusable)*" if r.fallback else ""))
    scored = sorted((c for c in r.candidates if c.score is not None), key=lambda c: -c.score)
    if scored:
        best = scored[0]
        lines.append(f"**Critique:** best is candidate {best.index + 1} (score {best.score:.0f}). "
                     + (best.critique.summary if best.critique else best.caption))
    if r.status is RoundStatus.RUNNING:
        lines.append("*Running...*")
    elif r.status is not RoundStatus.DONE:
        lines.append(f"**{r.status.value.capitalize()}**" + (f": {r.error}" if r.error else ""))
    return "\n\n".join(lines)


def candidate_caption(c, max_chars: int = 70) -> str:
    mark = {Mark.PICKED: " ✓ picked", Mark.REJECTED: " ✗ rejected"}.get(c.mark, "")
    score = f"score {c.score:.0f} · " if c.score is not None else ""
    caption = c.caption if len(c.caption) <= max_chars else c.caption[:max_chars].rsplit(" ", 1)[0] + "…"
    return f"#{c.index + 1} · {score}{caption or 'seed ' + str(c.seed)}{mark}"


def session_choices(summaries: list[SessionSummary]) -> list[tuple[str, str]]:
    return [(f"{s.title} ({s.rounds} round{'s' if s.rounds != 1 else ''})", s.id) for s in summaries]


def progress_line(event: RoundEvent) -> str:
    if isinstance(event, Rendering):
        filled = round(10 * event.step / max(event.total, 1))
        return f"Rendering {'▮' * filled}{'▯' * (10 - filled)} step {event.step}/{event.total}"
    return event.message


def round_details(r: Round | None) -> dict[str, Any]:
    """The round as data, for scripts and for the curious: prompt, settings, each candidate."""
    if r is None:
        return {}
    return {
        "round": r.index, "status": r.status.value, "prompt": r.prompt, "negative_prompt": r.negative_prompt,
        "rationale": r.rationale, "fallback": r.fallback, "error": r.error, "timings": r.timings,
        "params": None if r.params is None else {
            k: v for k, v in vars(r.params).items() if k not in ("reference", "mask")},
        "candidates": [{"index": c.index, "seed": c.seed, "caption": c.caption, "score": c.score,
                        "mark": c.mark.value, "image": c.image,
                        "critique": c.critique.summary if c.critique else ""} for c in r.candidates],
    }
