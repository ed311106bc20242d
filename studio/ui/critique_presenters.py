"""How the critic's verdicts read on the page: the scorecard, each item's evidence, a candidate's note; in the
reader's language. What people typed and the models wrote reaches Markdown only through `plain`."""
from __future__ import annotations

from studio.core.critique import ItemCheck
from studio.core.memory import ranked
from studio.core.session import Candidate, Round
from studio.ui.locales import words
from studio.ui.plain import plain

VERDICT_MARKS = {"pass": "✓", "fail": "✗", "unsure": "?"}


def scorecard(r: Round | None, lang: str = "en") -> str:
    """The round's candidates ranked, with every checklist item's verdict: a Markdown table."""
    order = ranked(r) if r else []
    if not order or not order[0].critique:
        return ""
    items = [k.item for k in order[0].critique.checks]
    head = words("scorecard.head", lang) + " | ".join(plain(i, cell=True) for i in items) + " |"
    rule = "|---" * (3 + len(items)) + "|"
    rows = []
    for rank, c in enumerate(order, 1):
        verdicts = {k.item: _verdict_cell(k, lang) for k in (c.critique.checks if c.critique else ())}
        label = f"#{c.index + 1}" + (f" {plain(c.label, cell=True)}" if c.label else "")
        rows.append(f"| {rank} | {label} | {c.score:.0f} | " + " | ".join(verdicts.get(i, "") for i in items) + " |")
    return "\n".join([head, rule, *rows])


def evidence(k: ItemCheck, lang: str = "en") -> str:
    """What a check rests on: the VQA model's answer, or what OCR read and how close it came, in the reader's
    language (rows stored before the reading was data carry their English as it was)."""
    if not k.reading:
        return k.evidence
    if k.reading == "missing" and not k.evidence:
        return words("reading.nothing", lang)
    return words(f"reading.{k.reading}", lang, read=k.evidence)


def check_line(k: ItemCheck, lang: str) -> str:
    """'- ✓ says "JAZZ" (exact: read 'JAZZ')': one checklist item's verdict, in a list."""
    said = evidence(k, lang)
    return f"- {VERDICT_MARKS[k.verdict]} {plain(k.item)}" + (f" ({plain(said)})" if said else "")


def _verdict_cell(k: ItemCheck, lang: str) -> str:
    """One item's verdict in the scorecard (a text item's with what OCR read)."""
    return f"{VERDICT_MARKS[k.verdict]} {plain(evidence(k, lang), cell=True) if k.kind == 'text' else ''}".strip()


def summary(c: Candidate, lang: str = "en") -> str:
    """The refiner's note on a candidate, or one composed from what the critic found, in the reader's language."""
    k = c.critique
    if k is None:
        return c.caption
    if k.summary:
        return k.summary
    parts = [words("critique.shows", lang, caption=c.caption) if c.caption else words("critique.no_caption", lang)]
    parts += [words("critique.matches", lang, items=", ".join(k.matches))] if k.matches else []
    parts += [words("critique.missing", lang, items=", ".join(k.missing))] if k.missing else []
    return " ".join(parts)
