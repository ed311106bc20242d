"""The database's schema, version by version: forward only, each entry committed with its version bump."""
from __future__ import annotations

import json
import sqlite3
from typing import Callable

from studio.services.search_index import SEARCH_TABLES, index_stored_sessions


def json_schema_2(db: sqlite3.Connection) -> None:
    """Version 1 JSON -> 2: each round's JSON and each session's design JSON say their schema; a round's
    params gain `start_from` (unknown for old rounds: None), a session its kept round `settings` (none yet).
    Plain dict work, not the studio's classes: a shipped step must read the same rows the same way forever."""
    rounds = db.execute("SELECT session_id, idx, data FROM rounds").fetchall()
    for session_id, index, data in rounds:
        r = json.loads(data)
        if r.get("params") is not None:
            r["params"].setdefault("start_from", None)
        r["schema"] = 2
        db.execute("UPDATE rounds SET data = ? WHERE session_id = ? AND idx = ?", (json.dumps(r), session_id, index))
    for session_id, design in db.execute("SELECT id, design FROM sessions").fetchall():
        d = json.loads(design)
        d.setdefault("settings", {})
        d["schema"] = 2
        db.execute("UPDATE sessions SET design = ? WHERE id = ?", (json.dumps(d), session_id))


# Round errors as schema 2 wrote them (English prose) -> the codes that say them now; anything else is kept as
# recorded text. Frozen here, as a shipped step must be: later changes to the wording do not reach old rows.
_ERRORS_2 = {
    "stopped by the designer": "round.stopped",
    "interrupted: the studio stopped while this round ran": "round.crashed",
    "The GPU ran out of memory, even rendering in two smaller batches. Render fewer candidates or a smaller size, "
    "or pick a lighter preset; your earlier rounds are safe.": "round.out_of_memory",
}
_WITHHELD_2 = "withheld by the safety check"


def json_schema_3(db: sqlite3.Connection) -> None:
    """Version 2 JSON -> 3: a round's `error` is a message (a code and its arguments, said in the reader's
    language) instead of English prose, or null when there was none; a withheld candidate's caption is empty (its
    `withheld` says why), not the words "withheld by the safety check"."""
    for session_id, index, data in db.execute("SELECT session_id, idx, data FROM rounds").fetchall():
        r = json.loads(data)
        error = r.get("error") or ""
        r["error"] = {"code": _ERRORS_2[error], "args": {}} if error in _ERRORS_2 else \
            {"code": "round.recorded", "args": {"text": error}} if error else None
        for c in r.get("candidates", ()):
            if c.get("withheld") and c.get("caption") == _WITHHELD_2:
                c["caption"] = ""
        r["schema"] = 3
        db.execute("UPDATE rounds SET data = ? WHERE session_id = ? AND idx = ?", (json.dumps(r), session_id, index))
    db.execute("UPDATE candidates SET caption = '' WHERE caption = ?", (_WITHHELD_2,))
    for session_id, design in db.execute("SELECT id, design FROM sessions").fetchall():
        d = json.loads(design)
        d["schema"] = 3
        db.execute("UPDATE sessions SET design = ? WHERE id = ?", (json.dumps(d), session_id))


_PARAMS_4 = {"feather": None, "style_reference": None, "style_strength": None, "upscale": None, "method": "",
             "variation": ""}


def json_schema_4(db: sqlite3.Connection) -> None:
    """Version 3 JSON -> 4: work on images. A round has a kind ("round" for every old one) and notes (none), its
    params the image work's recipe (none), each candidate the candidate it was made from (none); a session keeps
    the images the designer brought (none yet)."""
    for session_id, index, data in db.execute("SELECT session_id, idx, data FROM rounds").fetchall():
        r = json.loads(data)
        r.setdefault("kind", "round")
        r.setdefault("notes", [])
        if r.get("params") is not None:
            r["params"] = {**_PARAMS_4, **r["params"]}
        for c in r.get("candidates", ()):
            c.setdefault("source", None)
        r["schema"] = 4
        db.execute("UPDATE rounds SET data = ? WHERE session_id = ? AND idx = ?", (json.dumps(r), session_id, index))
    for session_id, design in db.execute("SELECT id, design FROM sessions").fetchall():
        d = json.loads(design)
        d.setdefault("references", [])
        d["schema"] = 4
        db.execute("UPDATE sessions SET design = ? WHERE id = ?", (json.dumps(d), session_id))


def json_schema_5(db: sqlite3.Connection) -> None:
    """Version 4 JSON -> 5: the history. A session is on its newest round (head null) with nothing to redo and no
    client's notes; a round has no branch state of its own (its branch reads the session's), a render no recorded
    environment (unknown: a reproduction says so)."""
    for session_id, index, data in db.execute("SELECT session_id, idx, data FROM rounds").fetchall():
        r = json.loads(data)
        r.setdefault("state", None)
        if r.get("params") is not None:
            r["params"].setdefault("environment", {})
        r["schema"] = 5
        db.execute("UPDATE rounds SET data = ? WHERE session_id = ? AND idx = ?", (json.dumps(r), session_id, index))
    for session_id, design in db.execute("SELECT id, design FROM sessions").fetchall():
        d = json.loads(design)
        d.setdefault("head", None)
        d.setdefault("redo", [])
        d.setdefault("reviews", [])
        d["schema"] = 5
        db.execute("UPDATE sessions SET design = ? WHERE id = ?", (json.dumps(d), session_id))


def search_index(db: sqlite3.Connection) -> None:
    """Search across sessions: the text index and the candidates' image vectors (services/search_index.py), the
    index filled from every session already stored. The index is derived from the rows, never the truth: filling
    it with today's reading of them is what a rebuild would do."""
    for statement in SEARCH_TABLES:
        db.execute(statement)
    index_stored_sessions(db)

# Forward only; never edit a shipped entry, append a new one (user_version = entries applied). An entry is
# SQL, or a Python step given the connection (for rewriting rows' JSON); either commits with its version bump.
MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
        brief TEXT NOT NULL DEFAULT '', preset TEXT NOT NULL DEFAULT '',
        created REAL NOT NULL, updated REAL NOT NULL,
        parent_session TEXT,  -- no foreign key: deleting a session must not touch its branches
        parent_round INTEGER,
        feedback TEXT NOT NULL DEFAULT '[]'  -- json list of Feedback
    );
    CREATE INDEX sessions_owner_updated ON sessions(owner, updated);
    CREATE TABLE rounds (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL, status TEXT NOT NULL,
        data TEXT NOT NULL,  -- json of the full Round, candidates included: what loading reads
        PRIMARY KEY (session_id, idx)
    );
    -- A queryable copy of each round's candidates, for search; rounds.data stays the truth.
    CREATE TABLE candidates (
        session_id TEXT NOT NULL, round_idx INTEGER NOT NULL, idx INTEGER NOT NULL,
        image TEXT NOT NULL, seed INTEGER NOT NULL, caption TEXT NOT NULL DEFAULT '',
        score REAL, mark TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (session_id, round_idx, idx),
        FOREIGN KEY (session_id, round_idx) REFERENCES rounds(session_id, idx) ON DELETE CASCADE
    );
    """,
    # The design loop: checklist, preferences and questions, as one json object.
    "ALTER TABLE sessions ADD COLUMN design TEXT NOT NULL DEFAULT '{}';",
    # The stored JSON carries its schema version; kept round settings; where a round started from.
    json_schema_2,
    # A round's error is a message (code and arguments), not English prose.
    json_schema_3,
    # API keys for scripts: only a key's SHA-256 and its first characters are kept, never the key.
    """
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, owner TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
        prefix TEXT NOT NULL,  -- the key's first characters, for the designer's list
        hash TEXT NOT NULL UNIQUE,  -- sha256 hex of the whole key: how a script's key is found
        created REAL NOT NULL, last_used REAL, revoked REAL  -- revoked: when, or NULL while it works
    );
    CREATE INDEX api_keys_owner ON api_keys(owner, created);
    """,
    # Work on images: a round's kind and notes, a candidate's source, the recipe of edits and upscales, references.
    json_schema_4,
    # The history (a session's head and redo, a round's branch state), clients' review notes, a render's environment.
    json_schema_5,
    # Review links for clients: only a token's SHA-256 is kept, never the token. A deleted session takes its links.
    """
    CREATE TABLE review_links (
        id TEXT PRIMARY KEY, owner TEXT NOT NULL,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        branch INTEGER,  -- the head round when shared (the link shows that branch), or NULL for the whole session
        hash TEXT NOT NULL UNIQUE,  -- sha256 hex of the token: how a client's link is found
        created REAL NOT NULL, expires REAL NOT NULL, revoked REAL  -- revoked: when, or NULL while it works
    );
    CREATE INDEX review_links_session ON review_links(owner, session_id, created);
    """,
    # Search across an owner's sessions: full text (FTS5, trigram) and each candidate's image embedding.
    search_index,
]
