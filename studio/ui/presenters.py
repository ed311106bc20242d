"""What the page shows, computed from plain session data: pure functions, no Gradio."""
from __future__ import annotations

import difflib
from typing import Any

from studio.engine.events import Rendering, RoundEvent
from studio.core.memory import agreement, ranked
from studio.core.session import Candidate, FeedbackKind, Mark, Round, RoundStatus, Session, SessionSummary

VERDICT_MARKS = {"pass": "✓", "fail": "✗", "unsure": "?"}


def conversation(session: Session | None, live: Round | None = None, live_text: str = "") -> list[dict]:
    """The chat, in time order: the designer's words and actions, the studio's replies and answers."""
    if session is None:
        return []
    rounds = [r for r in session.rounds if live is None or r.index != live.index] + ([live] if live else [])
    entries: list[tuple[float, int, dict]] = []  # (time, order within the time, message)
    previous_prompt = ""
    for r in rounds:
        live_reply = r is live and live_text
        reply = f"*Writing the prompt...*\n\n{live_text}" if live_reply else round_reply(r, previous_prompt)
        if r.message:  # a round the designer asked for without words gets no invented words
            entries.append((r.created, 0, _user(r.message)))
        entries.append((r.created, 1, _studio(reply)))
        previous_prompt = r.prompt or previous_prompt
    entries += [(f.created, 2, _user(_feedback_line(f))) for f in session.feedback if not f.auto]
    for q in session.questions:
        entries += [(q.created, 2, _user(f"About candidate {q.candidate + 1} of round {q.round_index + 1}: "
                                         f"{q.question}")), (q.created, 3, _studio(f"*Answer:* {q.answer}"))]
    return [message for _, _, message in sorted(entries, key=lambda e: (e[0], e[1]))]


def _user(text: str) -> dict:
    return {"role": "user", "content": text}


def _studio(text: str) -> dict:
    return {"role": "assistant", "content": text}


def _feedback_line(fb) -> str:
    if fb.kind is FeedbackKind.CORRECTION:
        return fb.text
    verb = "Picked" if fb.kind is FeedbackKind.PICK else "Rejected"
    return f"{verb} candidate {fb.candidate + 1} of round {fb.round_index + 1}" + (f": {fb.text}" if fb.text else ".")


def prompt_diff(old: str, new: str) -> str:
    """Word-level change from the last prompt: ~~removed~~ and **added**. Words are compared without their
    punctuation or case, so "gold" becoming "gold," is not a change; what is shown is the new prompt's text."""
    a, b = old.split(), new.split()
    parts = []
    matcher = difflib.SequenceMatcher(None, [_bare(w) for w in a], [_bare(w) for w in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            parts.append("~~" + " ".join(a[i1:i2]) + "~~")
        if op in ("insert", "replace"):
            parts.append("**" + " ".join(b[j1:j2]) + "**")
        if op == "equal":
            parts.append(" ".join(b[j1:j2]))
    return " ".join(parts)


def _bare(word: str) -> str:
    return "".join(ch for ch in word.casefold() if ch.isalnum()) or word


def round_reply(r: Round, previous_prompt: str = "") -> str:
    title = f"**Round {r.index + 1}**" + (" (auto)" if r.auto else "") + (f" · style *{r.style}*" if r.style else "")
    lines = [title]
    start = started_from(r)
    if start:
        lines.append(f"*{start}*")
    if r.prompt:
        if previous_prompt and previous_prompt != r.prompt:
            lines.append(f"**Prompt** (changes from the last one): {prompt_diff(previous_prompt, r.prompt)}")
        else:
            lines.append(f"**Prompt:** {r.prompt}")
        lines.append(f"*Why: {r.rationale}*" + (" *(the refiner's reply was unusable)*" if r.fallback else ""))
    labelled = [c for c in r.candidates if c.label]
    if labelled:
        lines.append("**Directions:** " + "; ".join(f"{c.index + 1}. *{c.label}*" for c in labelled))
    order = ranked(r)
    if order:
        best = order[0]
        lines.append(f"**Critique:** best is candidate {best.index + 1} (score {best.score:.0f}). "
                     + (best.critique.summary if best.critique else best.caption))
    if r.status is RoundStatus.RUNNING:
        lines.append("*Running...*")
    elif r.status is not RoundStatus.DONE:
        lines.append(f"**{r.status.value.capitalize()}**" + (f": {r.error}" if r.error else ""))
    return "\n\n".join(lines)


def started_from(r: Round) -> str:
    """Where a round's pictures started, when not from noise: a candidate, or the designer's reference."""
    p = r.params
    if p is None or not p.reference:
        return ""
    source = p.start_from
    if source:
        return f"Started from candidate {source[1] + 1} of round {source[0] + 1} (strength {p.strength:g})."
    return f"Started from your reference image (strength {p.strength:g})."


def check_counts(c: Candidate) -> str:
    """'✓3 ✗1': the candidate's checklist verdicts, counted."""
    if not (c.critique and c.critique.checks):
        return ""
    counts = {v: sum(k.verdict == v for k in c.critique.checks) for v in VERDICT_MARKS}
    return " ".join(f"{VERDICT_MARKS[v]}{n}" for v, n in counts.items() if n)


def candidate_caption(c: Candidate) -> str:
    """The thumbnail's short label: number, score, checklist counts, mark (the details sit beside the grid)."""
    mark = {Mark.PICKED: "picked", Mark.REJECTED: "rejected"}.get(c.mark, "")
    parts = [f"#{c.index + 1}", f"{c.score:.0f}" if c.score is not None else "", check_counts(c),
             "withheld" if c.withheld else "", mark]
    return " · ".join(p for p in parts if p)


LEGEND = ("**Score** 0-100: how well the image matches the brief, by the critic (the image-text scorer plus the "
          "checklist). **✓ ✗ ?**: checklist items passed, failed, unsure. Click a candidate, or press its number.")


def candidate_info(r: Round | None, c: Candidate | None) -> str:
    """Everything about the selected candidate, beside its actions."""
    if r is None:
        return "No round yet: write a brief below and press **Start**."
    if c is None:
        if not r.candidates:
            return f"Round {r.index + 1} has no candidates ({r.status.value}). Earlier rounds are in the strip."
        return f"Round {r.index + 1}: choose a candidate (click it, or press its number)."
    mark = f" · {c.mark.value}" + (f": {c.mark_reason}" if c.mark_reason else "") if c.mark.value else ""
    label = f" · *{c.label}*" if c.label else ""
    paragraphs = [f"**Round {r.index + 1} · candidate {c.index + 1}**{label}{mark}"]
    if c.score is not None:
        counts = check_counts(c)
        paragraphs.append(f"Score **{c.score:.0f}**/100" + (f" · checklist {counts}" if counts else ""))
    if c.withheld:
        paragraphs.append(f"Withheld by the safety check: {c.withheld}")
    if c.caption:
        paragraphs.append(f"The critic sees: *{c.caption}*")
    if c.critique and c.critique.summary:
        paragraphs.append(c.critique.summary)
    checks = [f"- {VERDICT_MARKS[k.verdict]} {k.item}" + (f" ({k.evidence})" if k.evidence else "")
              for k in (c.critique.checks if c.critique else ())]
    if checks:
        paragraphs.append("\n".join(checks))
    paragraphs.append(f"Seed {c.seed}")
    return "\n\n".join(paragraphs)


def round_choices(session: Session | None) -> list[tuple[str, int]]:
    """The round strip: every round of the session, 1-based, with how it ended when not done."""
    if session is None:
        return []
    ends = {RoundStatus.DONE: "", RoundStatus.RUNNING: " running", RoundStatus.FAILED: " failed",
            RoundStatus.INTERRUPTED: " stopped", RoundStatus.PENDING: " waiting"}
    return [(f"{r.index + 1}{' auto' if r.auto else ''}{ends[r.status]}", r.index + 1) for r in session.rounds]


def session_line(session: Session | None, r: Round | None) -> str:
    """The status line when a session is shown: where it stands and what to do next."""
    if session is None:
        return "Write a brief and press Start."
    if r is None:
        return f"**{session.title}**: no rounds yet. Press Next round to render the first."
    state = {RoundStatus.DONE: f"{len(r.candidates)} candidates", RoundStatus.RUNNING: "still running",
             RoundStatus.FAILED: "failed", RoundStatus.INTERRUPTED: "stopped",
             RoundStatus.PENDING: "waiting"}[r.status]
    return f"Round {r.index + 1} of {len(session.rounds)}: {state}. Pick, reject, or write a correction below."


def scorecard(r: Round | None) -> str:
    """The round's candidates ranked, with every checklist item's verdict: a Markdown table."""
    order = ranked(r) if r else []
    if not order or not order[0].critique:
        return ""
    items = [k.item for k in order[0].critique.checks]
    head = "| rank | candidate | score | " + " | ".join(items) + " |"
    rule = "|---" * (3 + len(items)) + "|"
    rows = []
    for rank, c in enumerate(order, 1):
        verdicts = {k.item: f"{VERDICT_MARKS[k.verdict]} {k.evidence if k.kind == 'text' else ''}".strip()
                    for k in (c.critique.checks if c.critique else ())}
        label = f"#{c.index + 1}" + (f" {c.label}" if c.label else "")
        rows.append(f"| {rank} | {label} | {c.score:.0f} | " + " | ".join(verdicts.get(i, "") for i in items) + " |")
    return "\n".join([head, rule, *rows])


def checklist_rows(session: Session | None) -> list[list]:
    return [[i.text, i.kind, i.pinned] for i in session.checklist] if session else []


def preference_rows(session: Session | None) -> list[list]:
    return [[p.text, p.polarity] for p in session.preferences] if session else []


def insights(session: Session | None) -> str:
    if session is None:
        return ""
    found = agreement(session)
    text = "\n".join([found.line, *(f"- {d}" for d in found.disagreements[-5:])])
    if session.checklist_fallback:  # a paragraph of its own: never run into the list above
        text += "\n\n*The checklist was split from the brief (the refiner's reply was unusable): edit it freely.*"
    return text


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
        "round": r.index + 1, "status": r.status.value, "prompt": r.prompt, "negative_prompt": r.negative_prompt,
        "rationale": r.rationale, "fallback": r.fallback, "style": r.style, "auto": r.auto, "error": r.error,
        "timings": r.timings,
        "params": None if r.params is None else {
            k: v for k, v in vars(r.params).items() if k not in ("reference", "mask", "start_from")},
        "started_from": started_from(r),
        "candidates": [{"candidate": c.index + 1, "seed": c.seed, "label": c.label, "prompt": c.prompt or r.prompt,
                        "caption": c.caption, "score": c.score, "mark": c.mark.value, "image": c.image,
                        "critique": c.critique.summary if c.critique else "",
                        "checks": [vars(k) for k in c.critique.checks] if c.critique else [],
                        "preference_hits": list(c.critique.preference_hits) if c.critique else []}
                       for c in r.candidates],
    }
