"""Who the caller is: the server decides, never the client.

A signed-in user is their user name; a browser on a local studio is the id kept in its `gr.BrowserState`, which
Gradio encrypts with a secret the client never sees; an API client is its connection. The secret is made once and
kept in the data folder (readable by the studio alone), so a browser's sessions survive a restart of the server.
"""
from __future__ import annotations

import os
import secrets
import uuid
from pathlib import Path

import gradio as gr

SECRET_FILE = "browser-secret"


def owner_of(request: gr.Request | None, browser_id: str) -> str:
    if request is not None and request.username:
        return f"user-{request.username}"
    if browser_id:
        return f"browser-{browser_id}"
    # API clients carry no browser storage: their connection is who they are.
    return f"client-{request.session_hash}" if request is not None and request.session_hash else ""


def new_browser_id() -> str:
    return uuid.uuid4().hex


def browser_secret(data_dir: Path) -> str:
    """The secret behind every browser's stored id: read from the data folder, or made there once (mode 0600)."""
    path = Path(data_dir) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)  # tighten a copy restored with looser permissions
        secret = path.read_text().strip()
        if len(secret) >= 32:
            return secret
        path.unlink()  # empty or cut short by a crash while it was written: make a new one
        return browser_secret(data_dir)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
        f.flush()
        os.fsync(f.fileno())
    return path.read_text().strip()
