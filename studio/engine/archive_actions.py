"""The engine's doors for export, the client report and import. Part of `Studio` (studio.py): each method checks who
is asking, then hands the work to the archive services (services/archive.py writes and reads the ZIP,
archive_import.py checks and re-keys what comes in, report.py renders the client report).

Exports are written to a folder of their own under the temp folder, where the page and the API can serve them;
each export is a fresh folder with a random name, and those older than an hour are removed at the next one. An
import never reads from that folder: a file someone else exported is not an upload of yours.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from studio.core.history import on_branch
from studio.core.messages import LANGUAGES, field_name
from studio.core.session import Session
from studio.engine import validation as checks
from studio.engine.store_failures import refusing_store_failures
from studio.engine.validation import StudioError, shown
from studio.services.archive import MAX_ARCHIVE_BYTES, ArchiveRefused, unpack, write_archive
from studio.services.archive_import import prepare
from studio.services.report import render_report

EXPORTS_DIR = Path(tempfile.gettempdir()) / "design-collaborator-exports"
EXPORT_LIFETIME_S = 3600


class ArchiveActions:
    """Mixed into `Studio`, which provides `open_session`, `store`, `quotas`, `preset`, `styles`, `upload_roots`
    and `clock`."""

    @refusing_store_failures
    def export_session(self, owner: str, session_id: str, branch_only=False, lang: str = "en") -> Path:
        """The session (or its current branch) as a ZIP: session.json, report.html and every image, each candidate's
        PNG with its recipe in text chunks."""
        session, branch_only, lang = self._to_share(owner, session_id, branch_only, lang)
        target = _export_folder() / f"{_file_stem(session)}.zip"
        return write_archive(self.store, session, branch_only, self._report(session, lang), target)

    @refusing_store_failures
    def client_report(self, owner: str, session_id: str, branch_only=False, lang: str = "en") -> Path:
        """The client report alone: one HTML file that opens offline."""
        session, _branch_only, lang = self._to_share(owner, session_id, branch_only, lang)
        target = _export_folder() / f"{_file_stem(session)}-report.html"
        target.write_text(self._report(session, lang), encoding="utf-8")
        return target

    @refusing_store_failures
    def import_session(self, owner: str, file) -> Session:
        """An exported ZIP (or its session.json alone) as a new session of `owner`: everything is checked before
        anything is written, and a failure while writing leaves nothing behind."""
        owner = checks.owner(owner)
        path = self._import_file(file)
        held_sessions, held_images = self.store.holdings(owner)
        if held_sessions >= self.quotas.sessions:
            raise StudioError("quota.sessions", limit=self.quotas.sessions)
        try:
            prepared = prepare(unpack(path), owner, uuid.uuid4().hex)
        except ArchiveRefused as refused:
            raise StudioError.of(refused.message) from refused
        count = sum(len(r.candidates) for r in prepared.session.rounds)
        if held_images + count > self.quotas.images:
            raise StudioError("archive.images_quota", count=count, limit=self.quotas.images)
        session = prepared.session
        if session.settings:  # kept settings this studio's preset cannot take give way to its defaults
            try:
                kept = checks.settings_to_keep(session.settings, {}, self.preset, self.styles)
            except StudioError:
                kept = {}
            session = replace(session, settings=kept)
        self.store.save_images(session.id, prepared.images)
        try:
            self.store.save_session(session)
        except BaseException:
            self.store.remove_session_images(session.id)
            raise
        return session

    # ------------------------------------------------------------ helpers
    def _to_share(self, owner: str, session_id: str, branch_only, lang) -> tuple[Session, bool, str]:
        session = self.open_session(owner, session_id)
        branch_only = checks.flag("branch_only", branch_only)
        if not isinstance(lang, str) or lang not in LANGUAGES:
            raise StudioError("archive.lang", value=shown(lang), languages=", ".join(LANGUAGES))
        if branch_only:
            session = on_branch(session)
        return session, branch_only, lang

    def _report(self, session: Session, lang: str) -> str:
        return render_report(session, lambda relative: self.store.image_path(relative).read_bytes(), lang)

    def _import_file(self, file) -> Path:
        """An uploaded file, checked as uploads are (engine/uploads.py): a path, in an upload folder, not one of
        the studio's own exports, within the size limit."""
        if file is None or file == "":
            raise StudioError("archive.file")
        if not isinstance(file, (str, os.PathLike)) or "://" in str(file):
            raise StudioError("upload.link", what=field_name("archive"))
        if "\x00" in str(file):
            raise StudioError("upload.outside", what=field_name("archive"))
        path = Path(file).resolve()
        inside = any(path.is_relative_to(root.resolve()) for root in self.upload_roots)
        if not inside or path.is_relative_to(EXPORTS_DIR.resolve()):
            raise StudioError("upload.outside", what=field_name("archive"))
        if not path.is_file():
            raise StudioError("upload.missing", what=field_name("archive"))
        if path.stat().st_size > MAX_ARCHIVE_BYTES:
            raise StudioError("archive.too_big", mb=MAX_ARCHIVE_BYTES // 2**20)
        return path


def _file_stem(session: Session) -> str:
    """A name a person recognises in their downloads: the title's words, and the session's id to tell two apart."""
    words = re.sub(r"[^\w-]+", "-", session.title, flags=re.ASCII).strip("-")[:40] or "session"
    return f"{words}-{session.id[:8]}"


def _export_folder() -> Path:
    """A fresh folder for one export; exports older than an hour are removed (their page and API copies live in
    Gradio's cache)."""
    EXPORTS_DIR.mkdir(exist_ok=True)
    for old in EXPORTS_DIR.iterdir():
        try:
            if old.is_dir() and time.time() - old.stat().st_mtime > EXPORT_LIFETIME_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:  # another studio process removed it first
            continue
    return Path(tempfile.mkdtemp(prefix="export-", dir=EXPORTS_DIR))
