"""What clients said through review links, as the designer's page shows it: in the conversation
("**Client** ▲ on 2.3 (Anna): “love the gold”") and under the selected candidate (the votes and comments)."""
from __future__ import annotations

from studio.core.reviews import tally
from studio.core.session import Candidate, ClientNote, Round, Session
from studio.ui.locales import words
from studio.ui.plain import plain


def client_line(n: ClientNote, lang: str) -> str:
    vote = words("rlink.vote.up", lang) + " " if n.vote > 0 else words("rlink.vote.down", lang) + " " if n.vote < 0 \
        else ""
    signed = words("rlink.signed", lang, name=plain(n.name)) if n.name else ""
    comment = words("rlink.said", lang, comment=plain(n.comment)) if n.comment else ""
    return words("rlink.chat", lang, vote=vote, label=f"{n.round_index + 1}.{n.candidate + 1}", signed=signed,
                 comment=comment)


def client_entries(session: Session, lang: str) -> list[tuple[float, str]]:
    """(when, what was said) for each client's note, oldest first."""
    return [(n.created, client_line(n, lang)) for n in session.reviews]


def client_info(session: Session | None, r: Round | None, c: Candidate | None, lang: str) -> str:
    """The selected candidate's votes and comments from clients, under its info ("" when none)."""
    if session is None or r is None or c is None:
        return ""
    notes = [n for n in session.reviews if (n.round_index, n.candidate) == (r.index, c.index)]
    if not notes:
        return ""
    votes = tally(notes)
    lines = [words("rlink.info", lang, up=votes[(r.index, c.index, 1)], down=votes[(r.index, c.index, -1)])]
    return "\n\n" + "\n\n".join(lines + [client_line(n, lang) for n in notes if n.comment])
