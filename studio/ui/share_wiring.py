"""The Share tab's and the import's events: which control calls which action (share_handlers.py), under which API
name: `/export_session`, `/client_report` (a file each) and `/import_session` (the imported session's view)."""
from __future__ import annotations

from studio.ui import share_handlers as share


def connect_share(p, on, quiet: dict, session_view: list[str], list_view: list[str],
                  settings_view: list[str]) -> None:
    for button, action, name in ((p.export, share.export_session, "export_session"),
                                 (p.report, share.client_report, "client_report")):
        on(button.click, ["session_id", "branch_only"], action, [p.session_id, p.branch_only],
           ["shared_file", "status"], api_name=name, **quiet)
    on(p.import_file.upload, ["file"], share.import_session, [p.import_file],
       [*session_view, *list_view, *settings_view, "import_file", "status", "browser"], api_name="import_session",
       **quiet)
