"""Search across one owner's sessions, through the store's transactions: words (FTS5 over the index
services/search_index.py keeps) and images (each candidate's scorer embedding, compared with numpy).

The owner is in every query. What a query may contain is the engine's to check (engine/search_actions.py); here a
term is always quoted as an FTS5 string, so no character a person types is read as query syntax.

Why numpy and no vector index: bench/search.py measures a brute-force cosine over 50,000 stored vectors in tens of
milliseconds here (bench/README.md), below what an approximate index would save, and sqlite-vec would need a second
SQLite binding (apsw or pysqlite3).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Protocol, Sequence

import numpy as np

from studio.core.search import SHORT_TERM, SearchHit, snippet
from studio.services.sessions import Store

OVERFETCH = 4  # matching texts read per hit wanted: several texts of one candidate make one hit
KEPT_MATRICES = 4  # owners whose vectors stay in memory between searches (10,000 candidates: 30 MB at 768 wide)


@dataclass(frozen=True)
class CandidateKey:
    """A stored candidate, where its vector may be kept: (session, round, candidate) and its image file."""

    session_id: str
    round: int
    candidate: int
    image: str


class SearchService(Protocol):
    def text(self, owner: str, terms: tuple[str, ...], limit: int) -> list[SearchHit]: ...
    def keep_vectors(self, keys: Sequence[CandidateKey], vectors: Sequence[np.ndarray | None], model: str) -> None: ...
    def vector(self, key: CandidateKey, model: str) -> np.ndarray | None: ...
    def vectors(self, owner: str, model: str, since: int = 0) -> tuple[list[CandidateKey], np.ndarray]: ...
    def unembedded(self, owner: str, model: str, limit: int) -> tuple[list[CandidateKey], int]: ...
    def withheld(self, keys: Sequence[CandidateKey]) -> set[CandidateKey]: ...
    def nearest(self, owner: str, model: str, query: np.ndarray, limit: int) -> list[SearchHit]: ...


def fts_string(term: str) -> str:
    """`term` as an FTS5 string: in double quotes, its own double quotes doubled. Inside a string, `*`, `(`, `:`,
    `NEAR`, `AND`... are text."""
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    """`term` as a LIKE substring pattern, its `%`, `_` and the escape character escaped."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqliteSearch:
    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, str], _Kept] = OrderedDict()  # (owner, model) -> its vectors

    # ------------------------------------------------------------ words
    def text(self, owner: str, terms: tuple[str, ...], limit: int) -> list[SearchHit]:
        """Texts holding every term (as a substring, any case), best first: by BM25 where a term is long enough for
        the trigram index, else (terms of one or two characters alone: 海报) by how often the terms occur. Each
        candidate, round or session appears once, with its best text."""
        long = [t for t in terms if len(t) >= SHORT_TERM]
        short = [t for t in terms if len(t) < SHORT_TERM]
        likes = "".join(" AND d.text LIKE ? ESCAPE '\\'" for _ in short)
        columns = "d.session_id, s.title, d.round_idx, d.candidate, d.field, d.text"
        if long:
            sql = (f"SELECT {columns}, -bm25(search_text) FROM search_text JOIN search_docs d ON d.id = search_text.rowid"
                   f" JOIN sessions s ON s.id = d.session_id WHERE search_text MATCH ? AND d.owner = ?{likes}"
                   " ORDER BY bm25(search_text) LIMIT ?")
            args = [" AND ".join(fts_string(t) for t in long), owner]
        else:
            sql = (f"SELECT {columns}, 0.0 FROM search_docs d JOIN sessions s ON s.id = d.session_id"
                   f" WHERE d.owner = ?{likes} ORDER BY s.updated DESC, d.id LIMIT ?")
            args = [owner]
        with self.store.transaction() as db:
            rows = db.execute(sql, [*args, *(like_pattern(t) for t in short), limit * OVERFETCH]).fetchall()
            found = [SearchHit(sid, title, r, c, None, field, snippet(text, terms),
                               score if long else occurrences(text, terms))
                     for sid, title, r, c, field, text, score in rows]
            best = sorted(once_each(found), key=lambda h: -h.score)[:limit]
            return [hit_with_image(db, h) for h in best]

    # ------------------------------------------------------------ images
    def keep_vectors(self, keys: Sequence[CandidateKey], vectors: Sequence[np.ndarray | None], model: str) -> None:
        """Each candidate's unit vector, kept while that candidate's row (the same image) stands: a session deleted
        meanwhile keeps none. None: a candidate never to embed (withheld), kept as an empty vector."""
        rows = [(k.session_id, k.round, k.candidate, k.image, model,
                 b"" if v is None else np.asarray(v, np.float32).tobytes(),
                 k.session_id, k.round, k.candidate, k.image) for k, v in zip(keys, vectors)]
        with self.store.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO candidate_vectors (session_id, round_idx, candidate, image, model, vector)"
                " SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM candidates"
                " WHERE session_id = ? AND round_idx = ? AND idx = ? AND image = ?)", rows)

    def vector(self, key: CandidateKey, model: str) -> np.ndarray | None:
        """One candidate's kept vector of `model`, if it has one for that image."""
        with self.store.transaction() as db:
            row = db.execute("SELECT vector FROM candidate_vectors WHERE session_id = ? AND round_idx = ?"
                             " AND candidate = ? AND image = ? AND model = ?",
                             (key.session_id, key.round, key.candidate, key.image, model)).fetchone()
        return np.frombuffer(row[0], np.float32) if row and row[0] else None

    def vectors(self, owner: str, model: str, since: int = 0) -> tuple[list[CandidateKey], np.ndarray]:
        """The owner's candidate vectors of `model` (those of rowid `since` or later), as rows of one matrix."""
        with self.store.transaction() as db:
            rows = db.execute(
                "SELECT v.session_id, v.round_idx, v.candidate, v.image, v.vector FROM candidate_vectors v"
                " JOIN candidates c ON c.session_id = v.session_id AND c.round_idx = v.round_idx"
                " AND c.idx = v.candidate AND c.image = v.image JOIN sessions s ON s.id = v.session_id"
                " WHERE s.owner = ? AND v.model = ? AND v.rowid >= ? AND length(v.vector) > 0",
                (owner, model, since)).fetchall()
        if not rows:
            return [], np.zeros((0, 0), np.float32)
        matrix = np.frombuffer(b"".join(r[4] for r in rows), np.float32).reshape(len(rows), -1)
        return [CandidateKey(*r[:4]) for r in rows], matrix

    def unembedded(self, owner: str, model: str, limit: int) -> tuple[list[CandidateKey], int]:
        """Up to `limit` of the owner's candidates with no vector of `model` yet (newest rounds first), and how many
        there are in all. (A withheld candidate's row is an empty vector: it counts as done.)"""
        where = (" FROM candidates c JOIN sessions s ON s.id = c.session_id"
                 " WHERE s.owner = ? AND NOT EXISTS (SELECT 1 FROM candidate_vectors v WHERE v.session_id = c.session_id"
                 " AND v.round_idx = c.round_idx AND v.candidate = c.idx AND v.image = c.image AND v.model = ?)")
        with self.store.transaction() as db:
            (total,) = db.execute("SELECT COUNT(*)" + where, (owner, model)).fetchone()
            rows = db.execute(f"SELECT c.session_id, c.round_idx, c.idx, c.image{where}"
                              " ORDER BY s.updated DESC, c.round_idx DESC, c.idx LIMIT ?", (owner, model, limit))
            return [CandidateKey(*row) for row in rows], total

    def withheld(self, keys: Sequence[CandidateKey]) -> set[CandidateKey]:
        """Those of `keys` the safety check withheld (a grey placeholder stands in their file): never embedded."""
        with self.store.transaction() as db:
            return {key for key in keys if db.execute(
                "SELECT 1 FROM rounds r, json_each(r.data, '$.candidates') j WHERE r.session_id = ? AND r.idx = ?"
                " AND json_extract(j.value, '$.index') = ? AND json_extract(j.value, '$.withheld') != ''",
                (key.session_id, key.round, key.candidate)).fetchone()}

    def nearest(self, owner: str, model: str, query: np.ndarray, limit: int) -> list[SearchHit]:
        """The owner's candidates whose vectors are closest to `query` (a unit vector), by cosine, best first."""
        for fresh in (False, True):
            keys, matrix = self._matrix(owner, model, fresh)
            if not keys or matrix.shape[1] != len(query):
                return []
            scores = matrix @ np.asarray(query, np.float32)
            best = sorted(np.argpartition(-scores, min(limit, len(keys)) - 1)[:limit], key=lambda i: -scores[i])
            with self.store.transaction() as db:
                standing = [(keys[i], title) for i in best for (title,) in db.execute(
                    "SELECT s.title FROM candidates c JOIN sessions s ON s.id = c.session_id WHERE s.owner = ? AND"
                    " c.session_id = ? AND c.round_idx = ? AND c.idx = ? AND c.image = ?",
                    (owner, keys[i].session_id, keys[i].round, keys[i].candidate, keys[i].image))]
            if len(standing) == len(best):  # else a kept matrix outlived a deletion: read it again
                break
        return [SearchHit(k.session_id, title, k.round, k.candidate, k.image, "image", "", float(scores[i]))
                for i, (k, title) in zip(best, standing)]

    def _matrix(self, owner: str, model: str, fresh: bool) -> tuple[list[CandidateKey], np.ndarray]:
        """The owner's vectors, kept in memory between searches: while none was removed, only the vectors added
        since are read (a new row's rowid is past the newest kept, or takes the newest's place when it replaced
        it); after a removal, all of them. A candidate deleted with its vector kept is caught by `nearest`, which
        then asks for a `fresh` read."""
        with self.store.transaction() as db:
            added, removed, newest = db.execute(
                "SELECT vectors_added, vectors_removed, (SELECT MAX(rowid) FROM candidate_vectors) FROM search_state"
            ).fetchone()
        with self._lock:
            kept = None if fresh else self._kept.get((owner, model))
        if kept is None or kept.removed != removed or kept.newest is None:
            keys, matrix = self.vectors(owner, model)
        elif kept.added == added:
            keys, matrix = kept.keys, kept.matrix
        else:
            new_keys, new_matrix = self.vectors(owner, model, since=kept.newest)
            stay = [i for i, key in enumerate(kept.keys) if key not in set(new_keys)]
            keys = [kept.keys[i] for i in stay] + new_keys
            matrix = np.vstack([m for m in (kept.matrix[stay], new_matrix) if m.size]) if keys else new_matrix
        with self._lock:
            self._kept[(owner, model)] = _Kept(added, removed, newest, keys, matrix)
            self._kept.move_to_end((owner, model))
            while len(self._kept) > KEPT_MATRICES:
                self._kept.popitem(last=False)
        return keys, matrix


@dataclass(frozen=True)
class _Kept:
    """An owner's vectors as read, with the counts (services/search_index.py `search_state`) they were read at."""

    added: int
    removed: int
    newest: int | None  # the newest vector's rowid then
    keys: list[CandidateKey]
    matrix: np.ndarray


def occurrences(text: str, terms: tuple[str, ...]) -> float:
    folded = text.lower()
    return float(sum(folded.count(t) for t in terms))


def once_each(hits: list[SearchHit]) -> list[SearchHit]:
    """The best hit of each place (session, round, candidate)."""
    best: dict[tuple, SearchHit] = {}
    for hit in hits:
        place = (hit.session_id, hit.round, hit.candidate)
        if place not in best or hit.score > best[place].score:
            best[place] = hit
    return list(best.values())


def hit_with_image(db, hit: SearchHit) -> SearchHit:
    """The hit with the image it shows: its candidate's, else its round's first, else its session's newest round's."""
    row = db.execute(
        "SELECT image FROM candidates WHERE session_id = ? AND (? IS NULL OR round_idx = ?)"
        " ORDER BY (idx = ?) DESC, round_idx DESC, idx LIMIT 1",
        (hit.session_id, hit.round, hit.round, hit.candidate)).fetchone()
    return replace(hit, image=row[0] if row else None)
