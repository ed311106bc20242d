"""API keys in SQLite (the `api_keys` table, migrations.py), through the Store's transactions.

A key is made here and handed out once; only its SHA-256 (hex) and its first characters are kept, so neither the
database file nor a copy of it holds a working key. A script's key is found by its hash. Who may do what, and the
limits, are the engine's (studio/engine/studio.py): this room only keeps the rows.
"""
from __future__ import annotations

import hashlib
import secrets

from studio.core import limits
from studio.core.keys import KEY_START, ApiKey
from studio.services.sessions import Store

_SHOWN = "id, label, prefix, created, last_used, revoked"  # ApiKey's fields, in order: never the hash


def hash_of(key: str) -> str:
    """What is stored of a key: its SHA-256, hex. A key carries 256 random bits, so no salt or slow hash is needed:
    there is nothing to guess a key from but the key."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """The designers' API keys, in the store's database."""

    def __init__(self, store: Store):
        self.store = store

    def create(self, owner: str, label: str, now: float, most: int) -> tuple[str, ApiKey] | None:
        """A new key for `owner`: (the key, its record). The key is in no row: this is its only appearance.
        None, and nothing written, when `owner` already holds `most` unrevoked keys (counted in the same
        transaction as the insert, so two clicks at once cannot pass the limit together)."""
        key = KEY_START + secrets.token_urlsafe(32)
        # 48 random bits name a key: short enough to type, and a clash is as likely as two equal keys in 16
        # million (the primary key would refuse it, never mix two keys up).
        made = ApiKey(id=secrets.token_hex(6), label=label, prefix=key[:limits.KEY_PREFIX_CHARS], created=now)
        with self.store.transaction() as db:
            (held,) = db.execute("SELECT COUNT(*) FROM api_keys WHERE owner = ? AND revoked IS NULL",
                                 (owner,)).fetchone()
            if held >= most:
                return None
            db.execute("INSERT INTO api_keys (id, owner, label, prefix, hash, created) VALUES (?, ?, ?, ?, ?, ?)",
                       (made.id, owner, label, made.prefix, hash_of(key), now))
        return key, made

    def list(self, owner: str) -> list[ApiKey]:
        """The owner's keys, newest first, revoked ones too."""
        with self.store.transaction() as db:
            rows = db.execute(f"SELECT {_SHOWN} FROM api_keys WHERE owner = ? ORDER BY created DESC, id",
                              (owner,)).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, owner: str, key_id: str, now: float) -> ApiKey | None:
        """Revoke one of the owner's keys (a revoked key stays revoked as it was); None if the owner has no such
        key. Only the newest revoked keys stay listed (limits.MAX_REVOKED_KEYS_KEPT)."""
        with self.store.transaction() as db:
            row = db.execute(f"SELECT {_SHOWN} FROM api_keys WHERE id = ? AND owner = ?", (key_id, owner)).fetchone()
            if row is None:
                return None
            key = ApiKey(*row)
            if key.revoked is None:
                db.execute("UPDATE api_keys SET revoked = ? WHERE id = ?", (now, key.id))
                key = ApiKey(*row[:-1], revoked=now)
            db.execute("DELETE FROM api_keys WHERE owner = ? AND revoked IS NOT NULL AND id NOT IN (SELECT id FROM "
                       "api_keys WHERE owner = ? AND revoked IS NOT NULL ORDER BY revoked DESC, id LIMIT ?)",
                       (owner, owner, limits.MAX_REVOKED_KEYS_KEPT))
        return key

    def owner_for(self, key: str, now: float) -> str | None:
        """The owner of `key` if it is a stored, unrevoked key, else None. Its last use is written at most once
        per limits.KEY_USE_RESOLUTION_S."""
        # No hmac.compare_digest: the key is found by its SHA-256, so the only comparison is the index's, between
        # digests the caller cannot steer. What a lookup's time could tell is how many leading characters two
        # SHA-256 digests share, which says nothing about any key.
        with self.store.transaction() as db:
            row = db.execute("SELECT id, owner, last_used FROM api_keys WHERE hash = ? AND revoked IS NULL",
                             (hash_of(key),)).fetchone()
            if row is None:
                return None
            key_id, owner, last_used = row
            if last_used is None or now - last_used >= limits.KEY_USE_RESOLUTION_S:
                db.execute("UPDATE api_keys SET last_used = ? WHERE id = ?", (now, key_id))
        return owner
