"""Persistence: sessions in SQLite (migrations.py), images as PNG files beside it (images.py).

Order of writes is what keeps a crash harmless: image files are written atomically first,
then the rows that point to them, in one transaction. `recover()` at start-up turns rounds
that were running into `interrupted` and drops anything a crash left half-made: rows that point
to missing files, and files no row points to.

A disk that fills or fails raises `OSError` (services/disk.py), from the files and the database alike. A round's
end that could not be written is kept in memory (`keep_unwritten`) and written with the session's next write.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

from studio.core.messages import Message
from studio.core.session import Round, RoundStatus, Session, SessionSummary, with_round
from studio.core.session_json import session_from_dict, session_to_dict
from studio.services.disk import disk_errors
from studio.services.images import ImageFiles, check_part
from studio.services.migrations import MIGRATIONS
from studio.services.search_index import forget_session, index_session

SPACE_DATA_DIR = Path("/data")  # a Hugging Face Space's persistent storage, when attached
BUSY_TIMEOUT_MS = 5000
INTERRUPTED_ERROR = Message("round.crashed")


# The sessions row: these columns in Session field order, plus `feedback` and `design` as json.
_SESSION_COLUMNS = ("id", "owner", "title", "brief", "preset", "created", "updated",
                    "parent_session", "parent_round")
_DESIGN_FIELDS = ("schema", "checklist", "checklist_fallback", "checklist_stale", "preferences", "questions",
                  "settings", "references", "head", "redo", "reviews")
_UPSERT_SESSION = (
    f"INSERT INTO sessions ({', '.join(_SESSION_COLUMNS)}, feedback, design)"
    f" VALUES ({', '.join('?' * (len(_SESSION_COLUMNS) + 2))}) ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*_SESSION_COLUMNS[1:], "feedback", "design")))
_HINT = "Make it writable, or set DC_DATA_DIR to a folder that is."


class StoreError(RuntimeError):
    """The data folder or database cannot be used; the message says which and what to do."""


def default_data_dir() -> Path:
    """$DC_DATA_DIR, else a Space's persistent /data, else ./data."""
    if os.environ.get("DC_DATA_DIR"):
        return Path(os.environ["DC_DATA_DIR"]).expanduser()
    if SPACE_DATA_DIR.is_dir() and os.access(SPACE_DATA_DIR, os.W_OK):
        return SPACE_DATA_DIR / "design-collaborator"
    return Path.cwd() / "data"


class Store(ImageFiles):
    """The session rows in SQLite, over the image files they point to."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.db_path = self.data_dir / "studio.db"
        try:
            self.images_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"Cannot use the data folder {self.data_dir}: {e.strerror} ({e.filename}). {_HINT}") from e
        for folder in (self.data_dir, self.images_dir):
            if not os.access(folder, os.W_OK):
                raise StoreError(f"The data folder {folder} is not writable. {_HINT}")
        # Gradio calls in from several threads: one connection, serialized by this lock.
        self._lock = threading.RLock()
        self._unwritten: dict[str, dict[int, Round]] = {}  # session id -> rounds whose last change the disk refused
        self.closed = False
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (see transaction()).
        self._conn = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._migrate()
        except sqlite3.Error as e:
            self._conn.close()
            raise StoreError(f"Cannot open the database {self.db_path}: {e}. {_HINT}") from e
        except StoreError:
            self._conn.close()
            raise

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"The database {self.db_path} is at schema version {version}, newer than this "
                f"studio knows ({len(MIGRATIONS)}). Upgrade the studio, or set DC_DATA_DIR to another "
                "folder.")
        for number in range(version, len(MIGRATIONS)):
            step = MIGRATIONS[number]
            if isinstance(step, str):
                # The script and its version bump commit together, or not at all: on an error the
                # caller closes the connection, which rolls back. (BEGIN goes inside the script
                # because executescript commits any transaction opened before it.)
                self._conn.executescript(f"BEGIN IMMEDIATE;\n{step}\nPRAGMA user_version = {number + 1};\nCOMMIT;")
            else:
                self._migrate_in_python(number, step)

    def _migrate_in_python(self, number: int, step: Callable[[sqlite3.Connection], None]) -> None:
        """A Python step and its version bump, in one transaction: all of it, or none."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            step(self._conn)
            self._conn.execute(f"PRAGMA user_version = {number + 1}")
            self._conn.execute("COMMIT")
        except BaseException as err:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            if isinstance(err, (sqlite3.Error, StoreError)) or not isinstance(err, Exception):
                raise
            raise StoreError(f"Cannot bring the database {self.db_path} to schema version {number + 1}: "
                             f"{type(err).__name__}: {err}. Nothing was changed; report this, with the file.") from err

    def close(self) -> None:
        """Once the transaction under way (if any) has ended."""
        with self._lock:
            self._conn.close()
            self.closed = True

    def ping(self) -> None:
        """A cheap read of the sessions table: raises sqlite3.Error when the database cannot be used (closed,
        unreadable). For a health check."""
        with self._lock:
            self._conn.execute("SELECT 1 FROM sessions LIMIT 1").fetchall()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error; nested use joins the outer one."""
        with self._lock, disk_errors():
            if self._conn.in_transaction:  # same thread, already inside (the lock is re-entrant)
                yield self._conn
                return
            # IMMEDIATE takes the write lock up front, so a read-then-write cannot deadlock.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:  # a failed COMMIT (disk full) leaves it open
                    self._conn.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------ sessions
    def save_session(self, session: Session) -> None:
        """Write the whole session. Image files it names must already exist."""
        check_part("session id", session.id)
        with self.transaction() as db:
            self._write_session(db, session)

    def _write_session(self, db: sqlite3.Connection, session: Session) -> None:
        d = session_to_dict(session)
        db.execute(_UPSERT_SESSION, [d[c] for c in _SESSION_COLUMNS]
                   + [json.dumps(d["feedback"]), json.dumps({k: d[k] for k in _DESIGN_FIELDS})])
        # Rewriting every round is simple and cheap at tens of rounds; the cascade clears candidates.
        db.execute("DELETE FROM rounds WHERE session_id = ?", (session.id,))
        for r in d["rounds"]:
            db.execute("INSERT INTO rounds (session_id, idx, status, data) VALUES (?,?,?,?)",
                       (session.id, r["index"], r["status"], json.dumps(r)))
            db.executemany(
                "INSERT INTO candidates (session_id, round_idx, idx, image, seed, caption, score, mark)"
                " VALUES (?,?,?,?,?,?,?,?)",
                [(session.id, r["index"], c["index"], c["image"], c["seed"], c["caption"], c["score"],
                  c["mark"]) for c in r["candidates"]])
        index_session(db, d)  # the search index commits with the rows it describes (services/search_index.py)

    def update_session(self, session_id: str, change: Callable[[Session], Session]) -> Session | None:
        """Read, change and write one session in one transaction, so concurrent writers (a round's
        worker, the designer's feedback) never undo each other. None if the session is gone."""
        with self._lock:
            with self.transaction() as db:
                session = self._read_session(db, session_id)
                if session is None:
                    return None
                session = change(session)
                self._write_session(db, session)
            self._unwritten.pop(session_id, None)  # they were read into the session, and are written now
            return session

    def keep_unwritten(self, session_id: str, round_: Round) -> None:
        """A round's state the disk refused to store (its end, most often): every read of the session shows it,
        so the session stays usable (the round is not 'running' any more), and the session's next write stores it.
        Lost if the studio stops first: `recover()` then marks the round interrupted."""
        with self._lock:
            self._unwritten.setdefault(session_id, {})[round_.index] = round_

    def load_session(self, session_id: str) -> Session | None:
        with self.transaction() as db:  # one snapshot for the session row and its rounds
            return self._read_session(db, session_id)

    def _read_session(self, db: sqlite3.Connection, session_id: str) -> Session | None:
        row = db.execute(f"SELECT {', '.join(_SESSION_COLUMNS)}, feedback, design FROM sessions WHERE id = ?",
                         (session_id,)).fetchone()
        if row is None:
            return None
        d = dict(zip(_SESSION_COLUMNS, row), feedback=json.loads(row[-2]), **json.loads(row[-1]))
        rounds = db.execute("SELECT data FROM rounds WHERE session_id = ? ORDER BY idx", (session_id,))
        d["rounds"] = [json.loads(data) for (data,) in rounds]
        session = session_from_dict(d)
        for round_ in self._unwritten.get(session_id, {}).values():
            session = with_round(session, round_)
        return session

    def list_sessions(self, owner: str) -> list[SessionSummary]:
        """The owner's sessions, most recently updated first."""
        with self._lock, disk_errors():
            rows = self._conn.execute(
                "SELECT s.id, s.title, s.brief, s.updated,"
                " (SELECT COUNT(*) FROM rounds r WHERE r.session_id = s.id)"
                " FROM sessions s WHERE s.owner = ? ORDER BY s.updated DESC, s.id", (owner,)).fetchall()
        return [SessionSummary(*row) for row in rows]

    def holdings(self, owner: str) -> tuple[int, int]:
        """How many sessions and stored candidate images the owner keeps."""
        with self._lock, disk_errors():
            return tuple(self._conn.execute(
                "SELECT COUNT(*), (SELECT COUNT(*) FROM candidates c JOIN sessions t ON t.id = c.session_id"
                " WHERE t.owner = ?) FROM sessions WHERE owner = ?", (owner, owner)).fetchone())

    def delete_session(self, session_id: str) -> None:
        """Rows first, then files: a crash in between leaves only unreferenced files."""
        check_part("session id", session_id)
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            forget_session(db, session_id)
        self._unwritten.pop(session_id, None)
        self.remove_session_images(session_id)

    # ------------------------------------------------------------ start-up
    def recover(self) -> int:
        """Repair what a crash left: returns how many rounds were marked interrupted. Run before any round."""
        self.remove_leftovers()
        interrupted, referenced = 0, set()
        with self.transaction() as db:
            ids = [sid for (sid,) in db.execute("SELECT id FROM sessions").fetchall()]
            for session_id in ids:
                session = self._read_session(db, session_id)
                referenced |= files_of(session)
                rounds, changed = [], False
                for r in session.rounds:
                    # No row may point to a missing file. A done or failed round that lost one
                    # keeps its status: what remains of it is still true.
                    kept = tuple(c for c in r.candidates if self.image_exists(c.image))
                    stopped = r.status in (RoundStatus.RUNNING, RoundStatus.PENDING)
                    if stopped:
                        r = replace(r, status=RoundStatus.INTERRUPTED, error=INTERRUPTED_ERROR)
                        interrupted += 1
                    if stopped or len(kept) < len(r.candidates):
                        r, changed = replace(r, candidates=kept), True
                    rounds.append(r)
                if changed:
                    self._write_session(db, replace(session, rounds=tuple(rounds)))
        # Files no row points to: a round's images written just before a crash (or a full disk) kept their rows
        # from being written, or the files of a session deleted just before one.
        self.remove_unreferenced(set(ids), referenced)
        return interrupted


def files_of(session: Session) -> set[str]:
    """Every image file the session's rows point to: candidates, start images, masks, style and other references."""
    rounds = {path for r in session.rounds if r.params
              for path in (r.params.reference, r.params.mask, r.params.style_reference) if path}
    return rounds | {c.image for r in session.rounds for c in r.candidates} | {r.image for r in session.references}
