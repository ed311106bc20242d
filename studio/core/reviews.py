"""A review link as the studio keeps it, and what a client sees through one. Pure: no I/O.

The designer shares a link to a session, or to the branch they are on; a client opens it without an account, sees
the chosen (picked) candidates and the report, and votes or comments on each. The link's token is in no row (the
store keeps its SHA-256, services/reviews.py); a link opens nothing but its own session's view (`shown_session`).
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, replace

from studio.core import limits
from studio.core.history import on_branch
from studio.core.session import ClientNote, Mark, Session

DAY_S = 24 * 3600


@dataclass(frozen=True)
class ReviewLink:
    id: str  # what the designer names to revoke it
    session_id: str
    branch: int | None  # the designer's head round when shared: the link shows that branch up to it; None: all
    created: float
    expires: float
    revoked: float | None = None
    notes: int = 0  # notes clients sent through it (counted when the designer lists the links)

    def open_at(self, now: float) -> bool:
        return self.revoked is None and now < self.expires


@dataclass(frozen=True)
class ReviewView:
    """What a client sees: the link, and its session as the link shows it (`shown_session`)."""

    link: ReviewLink
    session: Session


def client_tag(client: str) -> str:
    """What is stored of a client's id (the random id their browser keeps): enough to know them again, not to be
    them."""
    return hashlib.sha256(client.encode()).hexdigest()[:16]


def token_shaped(text) -> bool:
    """Whether `text` could be a link's token at all: checked before anything hashes or looks it up."""
    return isinstance(text, str) and bool(limits.REVIEW_TOKEN.fullmatch(text))


def shown_session(session: Session, link: ReviewLink) -> Session:
    """The session as `link` shows it: the rounds of the whole session, or of the shared branch up to the round
    it was shared at; in each, only the chosen (picked, not withheld) candidates; the designer's picks and reasons;
    this link's own notes. No questions, references, kept settings or owner: the link reaches nothing else."""
    if link.branch is not None:
        session = on_branch(replace(session, head=link.branch))
    rounds = tuple(replace(r, candidates=tuple(c for c in r.candidates if c.mark is Mark.PICKED and not c.withheld))
                   for r in session.rounds)
    kept = {r.index for r in rounds}
    return replace(session, owner="", rounds=rounds, feedback=tuple(f for f in session.feedback
                                                                    if f.round_index in kept),
                   questions=(), references=(), settings={}, head=None, redo=(),
                   reviews=tuple(n for n in session.reviews if n.link == link.id))


def shows(session: Session, round_index: int, candidate: int) -> bool:
    """Whether a shown session (`shown_session`) holds that candidate."""
    return any(r.index == round_index and any(c.index == candidate for c in r.candidates) for r in session.rounds)


def with_note(session: Session, note: ClientNote) -> Session:
    """The session with a client's note added. A vote replaces that client's earlier vote on the same candidate
    through the same link: its comment stays, a bare vote goes."""
    def same(n: ClientNote) -> bool:
        return (n.link, n.client, n.round_index, n.candidate) == (note.link, note.client, note.round_index,
                                                                  note.candidate) and n.vote != 0
    kept = []
    for n in session.reviews:
        if note.vote and same(n):
            if not n.comment:
                continue
            n = replace(n, vote=0)
        kept.append(n)
    return replace(session, reviews=(*kept, note))


def notes_of(session: Session, link_id: str) -> int:
    return sum(n.link == link_id for n in session.reviews)


def tally(notes) -> Counter:
    """Votes per candidate: (round, candidate, +1 | -1) -> how many."""
    return Counter((n.round_index, n.candidate, n.vote) for n in notes if n.vote)
