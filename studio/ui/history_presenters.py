"""The compact tree of a session's rounds, as the Branches tab shows it, in the reader's language."""
from __future__ import annotations

import gradio as gr

from studio.core import history
from studio.core.session import RoundStatus, Session
from studio.ui.image_presenters import strip_mark, work_title
from studio.ui.locales import words

SUMMARY_CHARS = 48  # of a round's words in its line of the tree


def tree_line(row: history.TreeRow, above: int | None, lang: str) -> str:
    """"● 3 ✎ · Region redrawn on 2.1": where the round sits, whether it is on the designer's branch, what made it."""
    r = row.round
    said = work_title(r, lang) or " ".join(r.message.split()) or words("tree.brief", lang)
    said = said if len(said) <= SUMMARY_CHARS else said[:SUMMARY_CHARS - 1] + "…"
    status = words(f"strip.{r.status.value}", lang) if r.status is not RoundStatus.DONE else ""
    forked = words("tree.from", lang, round=r.parent + 1) if r.parent is not None and r.parent != above else ""
    return (f"{'┆ ' * max(row.depth - 1, 0)}{'╰ ' if row.depth else ''}{'●' if row.on_branch else '○'} "
            f"{r.index + 1}{strip_mark(r, lang)}{status} · {said}{forked}")


def tree_view(session: Session | None, lang: str) -> gr.Radio:
    """The tree as a choice of rounds, the designer's head chosen."""
    if session is None:
        return gr.Radio(choices=[], value=None)
    rows = history.tree(session)
    above = [None] + [row.round.index for row in rows[:-1]]
    head = history.head_index(session)
    return gr.Radio(choices=[(tree_line(row, a, lang), row.round.index + 1) for row, a in zip(rows, above)],
                    value=head + 1 if head is not None else None)
