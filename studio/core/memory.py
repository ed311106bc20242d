"""What the session remembers for the next round, and how often critic and designer agree. Pure."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pipelines.base import ClientReaction, Memory, Preference, Reaction
from pipelines.briefing import ImageReport
from studio.core.critique import ChecklistItem
from studio.core.history import on_branch
from studio.core.messages import Message
from studio.core.session import FeedbackKind, Mark, Round, RoundKind, Session, find_round, last_done_round


def item_phrase(item: ChecklistItem) -> str:
    """How a checklist item reads inside a text-to-image prompt."""
    return f'the text "{item.quote}"' if item.kind == "text" and item.quote else item.text


def pinned_phrases(session: Session) -> tuple[str, ...]:
    """Pinned items that must stay word for word in every prompt (avoid items go to the negative)."""
    return tuple(item_phrase(i) for i in session.checklist if i.pinned and i.kind != "avoid")


def avoided(session: Session) -> tuple[str, ...]:
    return tuple(i.text for i in session.checklist if i.kind == "avoid")


def ranked(r: Round) -> list:
    """The round's candidates, the critic's favourite first."""
    return sorted((c for c in r.candidates if c.score is not None), key=lambda c: (-c.score, c.index))


def reference_reports(session: Session) -> tuple[str, ...]:
    """What the models read in the images the designer brought, one line each."""
    return tuple(ImageReport(r.caption, r.answers).summary() for r in session.references)


def build_memory(session: Session) -> Memory:
    """What the refiner reads for the next round: the brief and every reaction so far on the designer's branch (the
    rounds of other branches are theirs), as typed records."""
    session = on_branch(session)
    picks, rejections, previous = [], [], []
    for r in session.rounds:
        previous += [r.prompt] if r.prompt else []
        for c in r.candidates:
            reaction = Reaction(r.index + 1, c.index + 1, c.mark_reason, c.prompt, c.label)
            if c.mark is Mark.PICKED:
                picks.append(reaction)
                previous += [c.prompt] if c.prompt else []  # a picked direction: where the next round goes on
            elif c.mark is Mark.REJECTED:
                rejections.append(reaction)
    said = [(f.created, f.text) for f in session.feedback if f.kind is FeedbackKind.CORRECTION and f.text]
    # A region edit's words are about that region, not the design: the refiner reads the edited image's captions.
    # Round 1's words are the brief; a branch begun afresh after undoing every round starts with the designer's own.
    said += [(r.created, r.message) for r in session.rounds if r.index and r.message and r.kind is RoundKind.ROUND]
    corrections = [text for _, text in sorted(said, key=lambda pair: pair[0])]
    last = last_done_round(session)
    failures: Counter[str] = Counter()
    reports: tuple[str, ...] = ()
    if last is not None:  # the items most candidates failed come first
        failures.update(m for c in last.candidates if c.critique for m in c.critique.missing)
        reports = tuple(c.caption for c in last.candidates if c.caption)
    return Memory(
        brief=session.brief,
        checklist=tuple(item_phrase(i) if i.kind != "avoid" else f"no {i.text}" for i in session.checklist),
        pinned=pinned_phrases(session),
        previous_prompts=tuple(dict.fromkeys(reversed(previous)))[::-1],
        failures=tuple(item for item, _ in failures.most_common()),
        picks=tuple(picks),
        rejections=tuple(rejections),
        corrections=tuple(dict.fromkeys(corrections)),
        preferences=tuple(Preference(p.polarity == "like", p.text) for p in session.preferences),
        image_reports=tuple(dict.fromkeys(reports)),
        references=reference_reports(session),
        client_notes=tuple(ClientReaction(n.round_index + 1, n.candidate + 1, n.vote, n.comment, n.name)
                           for n in session.reviews),  # the branch's (on_branch above)
    )


@dataclass(frozen=True)
class Agreement:
    agreed: int
    total: int
    misses: tuple[Message, ...]  # each pick the critic did not rank first: its round, the pick, the critic's first

    @property
    def note(self) -> Message:
        if not self.total:
            return Message("agreement.none")
        return Message("agreement.counted", {"agreed": self.agreed, "total": self.total})

    @property
    def line(self) -> str:
        return self.note.text()

    @property
    def disagreements(self) -> tuple[str, ...]:  # "round 2: you picked 3, the critic ranked 1 first"
        return tuple(m.text() for m in self.misses)


def agreement(session: Session) -> Agreement:
    """How often the designer's pick was the candidate the critic ranked first. Each candidate counts once,
    by the designer's latest mark on it: picked, then rejected, is no pick."""
    latest: dict[tuple[int, int], FeedbackKind] = {}
    for fb in session.feedback:
        if fb.kind is not FeedbackKind.CORRECTION and not fb.auto and fb.candidate is not None:
            latest[(fb.round_index, fb.candidate)] = fb.kind
    agreed, disagreements = 0, []
    for (round_index, candidate), kind in latest.items():
        r = find_round(session, round_index)
        order = ranked(r) if r else []
        if kind is not FeedbackKind.PICK or not order:
            continue
        if order[0].index == candidate:
            agreed += 1
        else:
            disagreements.append(Message("agreement.miss", {"round": r.index + 1, "picked": candidate + 1,
                                                            "first": order[0].index + 1}))
    return Agreement(agreed, agreed + len(disagreements), tuple(disagreements))
