"""What the Share tab and the import do: plain functions over the engine (`h` is the reader's `Handlers`), each
returning a view, as handlers.py's do. The files come from the engine; Gradio serves them, to their owner only."""
from __future__ import annotations

from pathlib import Path

from gradio.processing_utils import save_file_to_cache

from studio.ui.handlers import Handlers, View
from studio.ui.locales import words


def export_session(h: Handlers, owner: str, session_id: str, branch_only) -> View:
    path = h.studio.export_session(owner, session_id, branch_only, h.lang)
    return {"shared_file": _owned(h, owner, session_id, path), "status": words("share.exported", h.lang,
                                                                                name=path.name)}


def client_report(h: Handlers, owner: str, session_id: str, branch_only) -> View:
    path = h.studio.client_report(owner, session_id, branch_only, h.lang)
    return {"shared_file": _owned(h, owner, session_id, path), "status": words("share.reported", h.lang,
                                                                                name=path.name)}


def _owned(h: Handlers, owner: str, session_id: str, path: Path) -> str:
    """The file as Gradio will serve it: its copy in Gradio's cache (where Gradio would put it; a path already there
    is served as it is), registered as the owner's, so nobody else can fetch it by its URL (studio/web/files.py)."""
    shown = h.shown_to(owner, session_id)
    if shown is None:  # no gate (a page built without one, in tests)
        return str(path)
    cached = save_file_to_cache(path, str(h.grants.cache_dir))
    shown(cached)
    return cached


def import_session(h: Handlers, owner: str, file) -> View:
    """The imported session opens at once, as a session of the importer's."""
    session = h.studio.import_session(owner, file)
    return {**h.session_view(owner, session), **h.sessions_list(owner, session.id), **h.settings_view(session),
            "import_file": None,
            "status": words("share.imported", h.lang, title=session.title, rounds=len(session.rounds))}
