"""The search index kept right as sessions change: the store calls `index_session` inside the transaction that
writes a session, and `forget_session` inside the one that deletes it (studio/services/sessions.py), so the index
commits with the rows it describes or not at all; a crash never leaves them disagreeing.

A session is written many times a round (each stage saves it), so a write changes only the documents that changed:
the stored ones are read (by the session's index), the ones gone are deleted and the new ones inserted. A write that
changes no searchable text writes nothing here.

Tables (migrations.py, `search_index`): `search_docs` holds each document with its owner, session, round and
candidate; `search_text` is an FTS5 index over it (external content, the trigram tokenizer: substrings in any
script, Chinese included), kept in step by triggers; `candidate_vectors` holds each candidate's image embedding.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from studio.core.search import documents

# The index's schema, as the migration `search_index` created it. FTS5's trigram tokenizer folds case; it cannot match a term shorter
# than three characters (the queries match those with LIKE over the same rows: services/search.py).
SEARCH_TABLES = (
    """CREATE TABLE search_docs (
        id INTEGER PRIMARY KEY, owner TEXT NOT NULL, session_id TEXT NOT NULL,
        round_idx INTEGER, candidate INTEGER,  -- NULL: the session's own text, or the round's
        field TEXT NOT NULL, text TEXT NOT NULL)""",
    "CREATE INDEX search_docs_session ON search_docs(session_id)",
    "CREATE INDEX search_docs_owner ON search_docs(owner)",
    "CREATE VIRTUAL TABLE search_text USING fts5(text, content='search_docs', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER search_docs_added AFTER INSERT ON search_docs BEGIN
        INSERT INTO search_text(rowid, text) VALUES (new.id, new.text); END""",
    """CREATE TRIGGER search_docs_removed AFTER DELETE ON search_docs BEGIN
        INSERT INTO search_text(search_text, rowid, text) VALUES ('delete', old.id, old.text); END""",
    # No foreign key: a session's write rewrites its candidate rows, and a vector must outlive that. A vector counts
    # only while a candidate row of the same image stands (the queries join on it); a deleted session's go with it.
    """CREATE TABLE candidate_vectors (
        session_id TEXT NOT NULL, round_idx INTEGER NOT NULL, candidate INTEGER NOT NULL,
        image TEXT NOT NULL,  -- the file it was computed from
        model TEXT NOT NULL,  -- the scorer's model id: vectors of different models are never compared
        vector BLOB NOT NULL,  -- float32, unit length
        PRIMARY KEY (session_id, round_idx, candidate, model))""",
    # Which candidates have a vector, answered from this index alone, never from the rows that hold the vectors.
    "CREATE INDEX candidate_vectors_made ON candidate_vectors(session_id, round_idx, candidate, image, model)",
    # What a search keeps in memory is checked against these counts: vectors added (read only the new rows) or
    # removed (read them all again) since.
    "CREATE TABLE search_state (vectors_added INTEGER NOT NULL, vectors_removed INTEGER NOT NULL)",
    "INSERT INTO search_state VALUES (0, 0)",
    """CREATE TRIGGER candidate_vectors_added AFTER INSERT ON candidate_vectors BEGIN
        UPDATE search_state SET vectors_added = vectors_added + 1; END""",
    """CREATE TRIGGER candidate_vectors_removed AFTER DELETE ON candidate_vectors BEGIN
        UPDATE search_state SET vectors_removed = vectors_removed + 1; END""",
)


def index_session(db: sqlite3.Connection, session: dict[str, Any]) -> None:
    """Bring the session's documents in the index to what `session` (its stored JSON form) holds."""
    sid, owner = session["id"], session["owner"]
    wanted = {(d.round, d.candidate, d.field, d.text) for d in documents(session)}
    kept, stale = set(), []
    for row_id, row_owner, *key in db.execute(
            "SELECT id, owner, round_idx, candidate, field, text FROM search_docs WHERE session_id = ?", (sid,)):
        key = tuple(key)
        if row_owner != owner or key not in wanted or key in kept:
            stale.append((row_id,))
        else:
            kept.add(key)
    db.executemany("DELETE FROM search_docs WHERE id = ?", stale)
    db.executemany("INSERT INTO search_docs (owner, session_id, round_idx, candidate, field, text)"
                   " VALUES (?, ?, ?, ?, ?, ?)", [(owner, sid, *key) for key in wanted - kept])


def forget_session(db: sqlite3.Connection, session_id: str) -> None:
    db.execute("DELETE FROM search_docs WHERE session_id = ?", (session_id,))
    db.execute("DELETE FROM candidate_vectors WHERE session_id = ?", (session_id,))


def index_stored_sessions(db: sqlite3.Connection) -> None:
    """Index every session already stored, read from its rows as plain JSON (the migration that adds the index)."""
    sessions = db.execute("SELECT id, owner, title, brief, feedback, design FROM sessions").fetchall()
    for sid, owner, title, brief, feedback, design in sessions:
        rounds = [json.loads(data) for (data,) in
                  db.execute("SELECT data FROM rounds WHERE session_id = ? ORDER BY idx", (sid,))]
        index_session(db, {**json.loads(design), "id": sid, "owner": owner, "title": title, "brief": brief,
                           "feedback": json.loads(feedback), "rounds": rounds})
