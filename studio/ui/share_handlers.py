"""What the Share tab and the import do: plain functions over the engine (`h` is the reader's `Handlers`), each
returning a view, as handlers.py's do. The files come from the engine; Gradio serves them."""
from __future__ import annotations

from studio.ui.handlers import Handlers, View
from studio.ui.locales import words


def export_session(h: Handlers, owner: str, session_id: str, branch_only) -> View:
    path = h.studio.export_session(owner, session_id, branch_only, h.lang)
    return {"shared_file": str(path), "status": words("share.exported", h.lang, name=path.name)}


def client_report(h: Handlers, owner: str, session_id: str, branch_only) -> View:
    path = h.studio.client_report(owner, session_id, branch_only, h.lang)
    return {"shared_file": str(path), "status": words("share.reported", h.lang, name=path.name)}


def import_session(h: Handlers, owner: str, file) -> View:
    """The imported session opens at once, as a session of the importer's."""
    session = h.studio.import_session(owner, file)
    return {**h.session_view(owner, session), **h.sessions_list(owner, session.id), **h.settings_view(session),
            "import_file": None,
            "status": words("share.imported", h.lang, title=session.title, rounds=len(session.rounds))}
