"""Two candidates side by side, as data: their prompts, settings and scorecards in aligned rows, each row marked
where the two differ (and a prompt's words marked one by one). The before / after a designer shows a client.

Pure: no I/O, no torch, no gradio. Values are the stored ones written plainly ("" where a candidate has none);
the page labels the rows and says enumerated values (a mark, a kind, a verdict) in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from studio.core.session import Candidate, Round, Session, find_round

# The rows, in order; then one row per checklist item either candidate was checked against.
FIELDS = ("prompt", "negative", "seed", "steps", "guidance", "size", "scheduler", "strength", "style",
          "style_reference", "preset", "kind", "parent", "score", "caption", "mark", "reason")
TRANSLATED = ("kind", "mark", "verdict")  # fields whose values are the studio's own words, said by the page


@dataclass(frozen=True)
class Word:
    text: str
    changed: bool  # not in the other prompt at this place (a word-level diff)


@dataclass(frozen=True)
class CompareRow:
    field: str  # one of FIELDS, or "verdict" for a checklist item
    a: str
    b: str
    differs: bool
    item: str = ""  # "verdict" rows: the checklist item's words
    words_a: tuple[Word, ...] = ()  # "prompt" and "negative" rows: each side's words, the changed ones marked
    words_b: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Comparison:
    first: tuple[int, int]  # (round, candidate), 0-based
    second: tuple[int, int]
    rows: tuple[CompareRow, ...]

    @property
    def differing(self) -> tuple[str, ...]:
        """The rows that differ, by field (checklist rows as "verdict:<item>")."""
        return tuple(f"verdict:{r.item}" if r.item else r.field for r in self.rows if r.differs)


def label(pair: tuple[int, int]) -> str:
    """A candidate as the designer counts it: "2.3" is round 2's third candidate."""
    return f"{pair[0] + 1}.{pair[1] + 1}"


def compare(session: Session, first: tuple[int, int], second: tuple[int, int]) -> Comparison:
    """The rows comparing two candidates of `session` (any rounds, any branch); both must exist."""
    sides = [_side(session, pair) for pair in (first, second)]
    values = [_values(r, c) for r, c in sides]
    rows = []
    for name in FIELDS:
        a, b = values[0][name], values[1][name]
        if name in ("prompt", "negative"):
            words_a, words_b = word_diff(a, b)
            rows.append(CompareRow(name, a, b, a != b, words_a=words_a, words_b=words_b))
        else:
            rows.append(CompareRow(name, a, b, a != b))
    verdicts = [_verdicts(c) for _, c in sides]
    for item in dict.fromkeys([*verdicts[0], *verdicts[1]]):
        a, b = verdicts[0].get(item, ""), verdicts[1].get(item, "")
        rows.append(CompareRow("verdict", a, b, a != b, item=item))
    return Comparison(first, second, tuple(rows))


def word_diff(a: str, b: str) -> tuple[tuple[Word, ...], tuple[Word, ...]]:
    """Each text's words, marked where they are not matched in the other (difflib's longest matching blocks)."""
    left, right = a.split(), b.split()
    kept_left, kept_right = set(), set()
    for block in SequenceMatcher(a=left, b=right, autojunk=False).get_matching_blocks():
        kept_left.update(range(block.a, block.a + block.size))
        kept_right.update(range(block.b, block.b + block.size))
    return (tuple(Word(w, i not in kept_left) for i, w in enumerate(left)),
            tuple(Word(w, i not in kept_right) for i, w in enumerate(right)))


def _side(session: Session, pair: tuple[int, int]) -> tuple[Round, Candidate]:
    round_ = find_round(session, pair[0])
    chosen = next((c for c in round_.candidates if c.index == pair[1]), None) if round_ else None
    if chosen is None:
        raise ValueError(f"This session has no candidate {label(pair)}.")
    return round_, chosen


def _number(value: float | None, digits: str = "g") -> str:
    return "" if value is None else format(value, digits)


def _values(r: Round, c: Candidate) -> dict[str, str]:
    p = r.params
    parent = label(c.source) if c.source else "" if r.parent is None else str(r.parent + 1)
    style_reference = _number(p.style_strength) if p and p.style_reference else ""
    return {
        "prompt": c.prompt or r.prompt, "negative": r.negative_prompt, "seed": str(c.seed),
        "steps": str(p.steps) if p else "", "guidance": _number(p.guidance if p else None),
        "size": f"{p.width}×{p.height}" if p else "", "scheduler": p.scheduler if p else "",
        "strength": _number(p.strength if p else None), "style": r.style, "style_reference": style_reference,
        "preset": p.preset if p else "", "kind": r.kind.value, "parent": parent,
        "score": _number(c.score, ".1f"), "caption": c.caption, "mark": c.mark.value, "reason": c.mark_reason}


def _verdicts(c: Candidate) -> dict[str, str]:
    return {k.item: k.verdict for k in c.critique.checks} if c.critique else {}
