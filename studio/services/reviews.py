"""Review links in SQLite (the `review_links` table, migrations.py), through the Store's transactions.

A link's token is made here and handed out once; only its SHA-256 is kept (as API keys keep theirs,
services/keys.py), so neither the database nor a copy of it opens a link. A client's link is found by its token's
hash; whether it still works (its expiry, a revocation) and what it shows are the engine's (engine/review_actions.py).
"""
from __future__ import annotations

import secrets

from studio.core.reviews import ReviewLink
from studio.services.keys import hash_of
from studio.services.sessions import Store

_SHOWN = "id, session_id, branch, created, expires, revoked"  # ReviewLink's stored fields, in order: never the hash


class ReviewLinks:
    """The designers' review links, in the store's database; the owner in every query a designer makes."""

    def __init__(self, store: Store):
        self.store = store

    def create(self, owner: str, session_id: str, branch: int | None, now: float, expires: float,
               most: int) -> tuple[str, ReviewLink] | None:
        """A new link to `session_id`: (the token, its record). The token is in no row: this is its only
        appearance. None, and nothing written, when the session already has `most` links that work (counted in the
        same transaction as the insert)."""
        token = secrets.token_urlsafe(32)
        made = ReviewLink(id=secrets.token_hex(6), session_id=session_id, branch=branch, created=now, expires=expires)
        with self.store.transaction() as db:
            (working,) = db.execute("SELECT COUNT(*) FROM review_links WHERE owner = ? AND session_id = ? AND "
                                    "revoked IS NULL AND expires > ?", (owner, session_id, now)).fetchone()
            if working >= most:
                return None
            db.execute("INSERT INTO review_links (id, owner, session_id, branch, hash, created, expires) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (made.id, owner, session_id, branch, hash_of(token), now,
                                                        expires))
        return token, made

    def list(self, owner: str, session_id: str) -> list[ReviewLink]:
        """The session's links, newest first, revoked and expired ones too."""
        with self.store.transaction() as db:
            rows = db.execute(f"SELECT {_SHOWN} FROM review_links WHERE owner = ? AND session_id = ? "
                              "ORDER BY created DESC, id", (owner, session_id)).fetchall()
        return [ReviewLink(*row) for row in rows]

    def revoke(self, owner: str, link_id: str, now: float) -> ReviewLink | None:
        """Revoke one of the owner's links (a revoked link stays revoked as it was); None if the owner has none."""
        with self.store.transaction() as db:
            row = db.execute(f"SELECT {_SHOWN} FROM review_links WHERE id = ? AND owner = ?",
                             (link_id, owner)).fetchone()
            if row is None:
                return None
            link = ReviewLink(*row)
            if link.revoked is None:
                db.execute("UPDATE review_links SET revoked = ? WHERE id = ?", (now, link.id))
                link = ReviewLink(*row[:-1], revoked=now)
        return link

    def find(self, token: str) -> tuple[str, ReviewLink] | None:
        """(the owner, the link) whose token is `token`, revoked or expired alike; None for any other token."""
        # Found by the token's SHA-256 (as API keys are): a lookup's time could tell only how many leading
        # characters two digests share, which says nothing about any token.
        with self.store.transaction() as db:
            row = db.execute(f"SELECT owner, {_SHOWN} FROM review_links WHERE hash = ?", (hash_of(token),)).fetchone()
        return None if row is None else (row[0], ReviewLink(*row[1:]))
