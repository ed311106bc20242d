"""The round tree: each round's parent, the branch the designer is on (its head), undo and redo. Pure.

Rounds form a tree through `Round.parent`: a round continues the last finished round of the branch it was run on,
and image work continues the round of the candidate it was made from. The designer is on one branch at a time: the
path from the first round to `Session.head`. That branch is what the page shows and what the refiner reads
(`on_branch`); every other round stays stored, one switch away. Nothing here deletes anything: undo moves the head
to the round before, redo moves it back, and a switch saves the branch's own brief, checklist and tastes on the
round it leaves (`Round.state`) and brings back those of the round it arrives at.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from studio.core.session import BranchState, Round, RoundStatus, Session, find_round

BEFORE_FIRST = -1  # `Session.head` when every round was undone: the brief alone


def head_index(session: Session) -> int | None:
    """The round the designer is on; None before the first round (or with every round undone)."""
    if session.head == BEFORE_FIRST or not session.rounds:
        return None
    if session.head is None or find_round(session, session.head) is None:
        return session.rounds[-1].index  # a session from before branches, or a head that is gone: the newest
    return session.head


def ancestors(session: Session, index: int | None) -> tuple[int, ...]:
    """The rounds from the first to `index`, following parents, oldest first."""
    chain, seen = [], set()
    while index is not None and index not in seen:  # a cycle cannot be written, but never loop on stored data
        round_ = find_round(session, index)
        if round_ is None:
            break
        chain.append(index)
        seen.add(index)
        index = round_.parent
    return tuple(reversed(chain))


def children(session: Session, index: int | None) -> tuple[Round, ...]:
    """The rounds that continue `index` (None: the first rounds), oldest first."""
    return tuple(r for r in session.rounds if r.parent == index and r.index != index)


def branch_rounds(session: Session) -> tuple[Round, ...]:
    """The rounds of the branch the designer is on, oldest first: the path to the head, and beside it the rounds
    that failed or stopped on the way (a dead end with nothing after it stays where it happened)."""
    head = head_index(session)
    if head is None:
        return ()
    path = set(ancestors(session, head))
    parents = {r.parent for r in session.rounds}
    dead_ends = {r.index for r in session.rounds
                 if r.status is not RoundStatus.DONE and r.index not in parents and r.index < head
                 and (r.parent is None or r.parent in path)}
    return tuple(r for r in session.rounds if r.index in path | dead_ends)


def on_branch(session: Session) -> Session:
    """The session as the branch the designer is on sees it: its rounds, and the feedback, questions and clients'
    notes given on them (nothing to redo: an undone round is off the branch). What the page shows, what the refiner
    reads, and what a branch's export holds."""
    rounds = branch_rounds(session)
    kept = {r.index for r in rounds}
    return replace(session, rounds=rounds, redo=(),
                   feedback=tuple(f for f in session.feedback if f.round_index in kept),
                   questions=tuple(q for q in session.questions if q.round_index in kept),
                   reviews=tuple(n for n in session.reviews if n.round_index in kept))


def state_of(session: Session) -> BranchState:
    return BranchState(session.brief, session.checklist, session.checklist_fallback, session.checklist_stale,
                       session.preferences)


def _with_state(session: Session, state: BranchState) -> Session:
    return replace(session, brief=state.brief, checklist=state.checklist, checklist_fallback=state.checklist_fallback,
                   checklist_stale=state.checklist_stale, preferences=state.preferences)


def _saved_on(session: Session, index: int | None) -> BranchState | None:
    """The state kept on `index`, or on the nearest round before it that kept one."""
    for i in reversed(ancestors(session, index)):
        state = find_round(session, i).state
        if state is not None:
            return state
    return None


def with_round_state(session: Session, index: int) -> Session:
    """The session with its current brief, checklist and tastes kept on round `index` (a round that ends, or the
    head the designer leaves)."""
    round_ = find_round(session, index)
    if round_ is None:
        return session
    rounds = tuple(replace(r, state=state_of(session)) if r.index == index else r for r in session.rounds)
    return replace(session, rounds=rounds)


def _moved(session: Session, target: int | None, redo: tuple[int, ...]) -> Session:
    """The head moved to `target` (None: before the first round): the branch left keeps its state, the branch
    arrived at brings its own back."""
    here = head_index(session)
    if here is not None:
        session = with_round_state(session, here)
    state = _saved_on(session, target) if target is not None else None
    if state is not None:
        session = _with_state(session, state)
    return replace(session, head=BEFORE_FIRST if target is None else target, redo=redo)


def switched(session: Session, index: int) -> Session:
    """The designer on round `index`'s branch (its head at that round). Raises KeyError for a round not there."""
    if find_round(session, index) is None:
        raise KeyError(index)
    return _moved(session, index, ())


def undone(session: Session) -> Session | None:
    """The last round undone: the head moves to the round before it on the branch. None when there is none."""
    here = head_index(session)
    if here is None:
        return None
    path = ancestors(session, here)
    before = path[-2] if len(path) > 1 else None
    return _moved(session, before, session.redo + (here,))


def redone(session: Session) -> Session | None:
    """The last undo taken back. None when there is nothing to redo."""
    if not session.redo or find_round(session, session.redo[-1]) is None:
        return None
    return _moved(session, session.redo[-1], session.redo[:-1])


@dataclass(frozen=True)
class TreeRow:
    """One round as the compact tree shows it: how deep it sits, and whether it is on the designer's branch."""

    round: Round
    depth: int
    on_branch: bool
    head: bool
    forks: int  # how many rounds continue it


def tree(session: Session) -> tuple[TreeRow, ...]:
    """Every round, depth first, each round's continuations after it, oldest first. Compact: the first continuation
    stays at its parent's depth (a session without branches is one flat line), each later one starts a level in."""
    on = {r.index for r in branch_rounds(session)}
    head = head_index(session)
    rows: list[TreeRow] = []
    known = {r.index for r in session.rounds}
    stack = [(r, 0) for r in reversed(session.rounds) if r.parent is None or r.parent not in known]
    while stack:
        round_, depth = stack.pop()
        below = children(session, round_.index)
        rows.append(TreeRow(round_, depth, round_.index in on, round_.index == head, len(below)))
        stack += [(child, depth + (i > 0)) for i, child in reversed(list(enumerate(below)))]
    return tuple(rows)
