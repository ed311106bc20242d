"""What the page shows, computed from plain session data, in the reader's language (`lang`, "en" or "zh").

What people typed (briefs, corrections, reasons, questions, checklist items, titles) and what the models wrote from it
(prompts, captions, notes, answers) reaches Markdown and the chat only through `plain`: shown as text, never as
markup (no image a viewer's browser would fetch, no HTML, no link that hides its target, no `|` that splits a cell).
"""
from __future__ import annotations

import difflib
from typing import Any

from studio.core.history import on_branch
from studio.core.memory import agreement, ranked
from studio.core.messages import Message
from studio.core.session import Candidate, FeedbackKind, Mark, Round, RoundStatus, Session, SessionSummary
from studio.engine.events import Rendering, RoundEvent
from studio.ui.image_presenters import proposed_brief, reference_entries, source_label, source_line, strip_mark, work_title
from studio.ui.critique_presenters import VERDICT_MARKS, check_line, summary
from studio.ui.locales import words
from studio.ui.review_presenters import client_entries
from studio.ui.plain import plain

def conversation(session: Session | None, live: Round | None = None, live_text: str = "", lang: str = "en"
                 ) -> list[dict]:
    """The chat of the branch the designer is on, in time order: the designer's words and actions, the studio's
    replies and answers."""
    if session is None:
        return []
    session = on_branch(session)
    rounds = [r for r in session.rounds if live is None or r.index != live.index] + ([live] if live else [])
    entries: list[tuple[float, int, dict]] = []  # (time, order within the time, message)
    previous_prompt = ""
    for r in rounds:
        live_reply = r is live and live_text
        reply = (f"{words('chat.writing', lang)}\n\n{plain(live_text)}" if live_reply
                 else round_reply(r, previous_prompt, lang))
        if r.message:  # a round the designer asked for without words gets no invented words
            entries.append((r.created, 0, _user(plain(r.message))))
        entries.append((r.created, 1, _studio(reply)))
        previous_prompt = r.prompt or previous_prompt
    entries += [(f.created, 2, _user(_feedback_line(f, lang))) for f in session.feedback if not f.auto]
    entries += [(created, 0, _user(said)) for created, said in reference_entries(session, lang)]
    entries += [(created, 1, _studio(said)) for created, said in proposed_brief(session, lang)]
    entries += [(created, 2, _studio(said)) for created, said in client_entries(session, lang)]
    for q in session.questions:
        entries += [(q.created, 2, _user(words("chat.question", lang, candidate=q.candidate + 1,
                                               round=q.round_index + 1, question=plain(q.question)))),
                    (q.created, 3, _studio(words("chat.answer", lang, answer=plain(q.answer))))]
    return [message for _, _, message in sorted(entries, key=lambda e: (e[0], e[1]))]


def _user(text: str) -> dict:
    return {"role": "user", "content": text}


def _studio(text: str) -> dict:
    return {"role": "assistant", "content": text}


def _feedback_line(fb, lang: str) -> str:
    if fb.kind is FeedbackKind.CORRECTION:
        return plain(fb.text)
    code = ("chat.picked" if fb.kind is FeedbackKind.PICK else "chat.rejected") + ("_because" if fb.text else "")
    return words(code, lang, candidate=fb.candidate + 1, round=fb.round_index + 1, reason=plain(fb.text))


def prompt_diff(old: str, new: str) -> str:
    """Word-level change from the last prompt: ~~removed~~ and **added**. Words are compared without their
    punctuation or case, so "gold" becoming "gold," is not a change; what is shown is the new prompt's text, as text."""
    a, b = old.split(), new.split()
    parts = []
    matcher = difflib.SequenceMatcher(None, [_bare(w) for w in a], [_bare(w) for w in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            parts.append("~~" + plain(" ".join(a[i1:i2])) + "~~")
        if op in ("insert", "replace"):
            parts.append("**" + plain(" ".join(b[j1:j2])) + "**")
        if op == "equal":
            parts.append(plain(" ".join(b[j1:j2])))
    return " ".join(parts)


def _bare(word: str) -> str:
    return "".join(ch for ch in word.casefold() if ch.isalnum()) or word


def round_reply(r: Round, previous_prompt: str = "", lang: str = "en") -> str:
    lines = [words("reply.title", lang, round=r.index + 1) + (words("reply.auto", lang) if r.auto else "")
             + (words("reply.style", lang, style=plain(r.style)) if r.style else "")]
    start = work_title(r, lang) or started_from(r, lang)
    if start:
        lines.append(f"*{start}*")
    lines += [f"*{note.text(lang)}*" for note in r.notes]
    if r.prompt:
        if previous_prompt and previous_prompt != r.prompt:
            lines.append(words("reply.prompt_changes", lang, diff=prompt_diff(previous_prompt, r.prompt)))
        else:
            lines.append(words("reply.prompt", lang, prompt=plain(r.prompt)))
        lines += [words("reply.why", lang, rationale=plain(r.rationale))] if r.rationale else []
        lines += [words("reply.composed", lang)] if r.fallback else []
        lines += [words("reply.left_out", lang, items="; ".join(map(plain, r.left_out)))] if r.left_out else []
    labelled = [c for c in r.candidates if c.label]
    if labelled:
        lines.append(words("reply.directions", lang, directions="; ".join(f"{c.index + 1}. *{plain(c.label)}*"
                                                                          for c in labelled)))
    order = ranked(r)
    if order:
        best = order[0]
        lines.append(words("reply.critique", lang, candidate=best.index + 1, score=best.score,
                           summary=plain(summary(best, lang))))
    if r.status is RoundStatus.RUNNING:
        lines.append(words("reply.running", lang))
    elif r.status is not RoundStatus.DONE:
        status = Message(f"status.{r.status.value}").text(lang)
        lines.append(words("reply.ended_because" if r.error else "reply.ended", lang,
                           status=status[:1].upper() + status[1:], error=r.error))
    return "\n\n".join(lines)


def started_from(r: Round, lang: str = "en") -> str:
    """Where a round's pictures started, when not from noise: a candidate, or the designer's reference."""
    p = r.params
    if p is None or not p.reference:
        return ""
    source = p.start_from
    if source:
        return words("started.candidate", lang, candidate=source[1] + 1, round=source[0] + 1, strength=p.strength)
    return words("started.reference", lang, strength=p.strength)


def check_counts(c: Candidate) -> str:
    """'✓3 ✗1': the candidate's checklist verdicts, counted."""
    if not (c.critique and c.critique.checks):
        return ""
    counts = {v: sum(k.verdict == v for k in c.critique.checks) for v in VERDICT_MARKS}
    return " ".join(f"{VERDICT_MARKS[v]}{n}" for v, n in counts.items() if n)


def candidate_caption(c: Candidate, lang: str = "en") -> str:
    """The thumbnail's short label: number, score, checklist counts, mark (the details sit beside the grid)."""
    mark = {Mark.PICKED: "mark.picked", Mark.REJECTED: "mark.rejected"}.get(c.mark)
    parts = [f"#{c.index + 1}", f"{c.score:.0f}" if c.score is not None else "", check_counts(c),
             words("mark.withheld", lang) if c.withheld else "", words(mark, lang) if mark else ""]
    return " · ".join(p for p in parts if p)


def candidate_info(r: Round | None, c: Candidate | None, lang: str = "en") -> str:
    """Everything about the selected candidate, beside its actions."""
    if r is None:
        return words("info.no_round", lang)
    if c is None:
        if not r.candidates:
            return words("info.no_candidates", lang, round=r.index + 1, status=Message(f"status.{r.status.value}"))
        return words("info.choose", lang, round=r.index + 1)
    reason = plain(c.mark_reason) or (words("mark.auto_pick", lang) if r.auto and c.mark is Mark.PICKED else "")
    mark = f" · {words(f'mark.{c.mark.value}', lang)}" + (f": {reason}" if reason else "") if c.mark.value else ""
    label = f" · *{plain(c.label)}*" if c.label else ""
    paragraphs = [words("info.title", lang, round=r.index + 1, candidate=c.index + 1) + label + mark]
    if c.score is not None:
        counts = check_counts(c)
        paragraphs.append(words("info.score", lang, score=c.score)
                          + (words("info.checklist", lang, counts=counts) if counts else ""))
    if c.source:
        paragraphs.append(source_line(c, lang))
    if c.withheld:
        paragraphs.append(words("info.withheld", lang, why=plain(c.withheld)))
    if c.caption:
        paragraphs.append(words("info.caption", lang, caption=plain(c.caption)))
    if c.critique:
        paragraphs.append(plain(summary(c, lang)))
    checks = [check_line(k, lang) for k in (c.critique.checks if c.critique else ())]
    if checks:
        paragraphs.append("\n".join(checks))
    paragraphs.append(words("info.seed", lang, seed=c.seed))
    return "\n\n".join(paragraphs)


def round_choices(session: Session | None, lang: str = "en") -> list[tuple[str, int]]:
    """The round strip: every round of the branch the designer is on, 1-based, with how it ended when not done."""
    if session is None:
        return []
    session = on_branch(session)
    return [(f"{r.index + 1}" + (words("strip.auto", lang) if r.auto else "") + strip_mark(r, lang)
             + (words(f"strip.{r.status.value}", lang) if r.status is not RoundStatus.DONE else ""), r.index + 1)
            for r in session.rounds]


def session_line(session: Session | None, r: Round | None, lang: str = "en") -> str:
    """The status line when a session is shown: where it stands and what to do next."""
    if session is None:
        return words("status.start", lang)
    if r is None:
        return words("status.no_rounds", lang, title=plain(session.title))
    state = words(f"state.{r.status.value}", lang, count=len(r.candidates))
    return words("status.round", lang, round=r.index + 1, total=len(session.rounds), state=state)


def checklist_rows(session: Session | None) -> list[list]:
    return [[i.text, i.kind, i.pinned] for i in session.checklist] if session else []


def preference_rows(session: Session | None) -> list[list]:
    return [[p.text, p.polarity] for p in session.preferences] if session else []


def insights(session: Session | None, lang: str = "en") -> str:
    if session is None:
        return ""
    found = agreement(session)
    text = "\n".join([found.note.text(lang), *(f"- {m.text(lang)}" for m in found.misses[-5:])])
    if session.checklist_fallback:  # a paragraph of its own: never run into the list above
        text += "\n\n" + words("insights.split", lang)
    return text


def banner(notes, lang: str = "en") -> str:
    """Where the studio runs (a demo preset, no persistent storage), one paragraph a note."""
    return "\n\n".join(note.text(lang) for note in notes)


def session_choices(summaries: list[SessionSummary], lang: str = "en") -> list[tuple[str, str]]:
    return [(words("session_choice" if s.rounds != 1 else "session_choice_one", lang, title=s.title,
                   rounds=s.rounds), s.id) for s in summaries]


def progress_line(event: RoundEvent, lang: str = "en") -> str:
    if isinstance(event, Rendering):
        filled = round(10 * event.step / max(event.total, 1))
        return words("rendering", lang, bar="▮" * filled + "▯" * (10 - filled), step=event.step, total=event.total)
    return event.note.text(lang)


def round_details(r: Round | None, lang: str = "en") -> dict[str, Any]:
    """The round as data, for scripts and for the curious: prompt, settings, each candidate."""
    if r is None:
        return {}
    return {
        "round": r.index + 1, "status": r.status.value, "prompt": r.prompt, "negative_prompt": r.negative_prompt,
        "rationale": r.rationale, "fallback": r.fallback, "style": r.style, "auto": r.auto, "kind": r.kind.value,
        "notes": [note.text(lang) for note in r.notes],
        "error": r.error.text(lang) if r.error else "", "timings": r.timings,
        "params": None if r.params is None else {
            k: v for k, v in vars(r.params).items() if k not in ("reference", "mask", "start_from", "style_reference")},
        "started_from": started_from(r, lang),
        "candidates": [{"candidate": c.index + 1, "seed": c.seed, "from": source_label(c.source) if c.source else "",
                        "label": c.label, "prompt": c.prompt or r.prompt,
                        "caption": c.caption, "score": c.score, "mark": c.mark.value, "image": c.image,
                        "critique": summary(c, lang) if c.critique else "",
                        "checks": [vars(k) for k in c.critique.checks] if c.critique else [],
                        "preference_hits": list(c.critique.preference_hits) if c.critique else []}
                       for c in r.candidates],
    }
