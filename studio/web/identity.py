"""Who is calling, decided on the server from what the client cannot forge.

In order: an API key (`Authorization: Bearer dc_…`, looked up by its hash), a signed-in user (Gradio's sign-in
cookie under `--auth`, or Hugging Face OAuth on a Space), and, on a studio that allows anonymous use, the
browser's id in a cookie the server signs. The gate (gate.py) decides once per request and hands the owner to the
events in a header it sets itself, after removing any copy the client sent.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

OWNER_HEADER = "x-dc-owner"  # set by the gate only: a client's own copy is dropped before anything reads it
BROWSER_COOKIE = "dc-browser"
SECRET_FILE = "browser-secret"


def owner_of(request) -> str:
    """The caller of an event: the owner the gate wrote into the request ('' when the caller is nobody)."""
    if request is None:
        return ""
    headers = getattr(request, "headers", None) or {}
    return headers.get(OWNER_HEADER, "")


class BrowserIds:
    """Anonymous browser ids in a cookie: `<id>.<HMAC of the id>`, so only the server can make one."""

    def __init__(self, secret: str):
        self._key = hashlib.sha256(b"dc-browser-id:" + secret.encode()).digest()

    def _mac(self, browser_id: str) -> str:
        return hmac.new(self._key, browser_id.encode(), hashlib.sha256).hexdigest()[:32]

    def new(self) -> tuple[str, str]:
        """A fresh id and its cookie value."""
        browser_id = secrets.token_hex(16)
        return browser_id, f"{browser_id}.{self._mac(browser_id)}"

    def verify(self, cookie: str | None) -> str | None:
        """The id in a cookie this server made, else None."""
        browser_id, _, mac = (cookie or "").partition(".")
        if len(browser_id) != 32 or not hmac.compare_digest(mac, self._mac(browser_id)):
            return None
        return browser_id


def user_owner(name: str) -> str:
    return f"user-{name}"


def oauth_owner(session: dict) -> str:
    """A Hugging Face sign-in (gradio's OAuth keeps it in the signed session cookie), else ''."""
    info = (session or {}).get("oauth_info") or {}
    name = (info.get("userinfo") or {}).get("preferred_username")
    return f"hf-{name}" if name else ""


def browser_owner(browser_id: str) -> str:
    return f"browser-{browser_id}"


def browser_secret(data_dir: Path) -> str:
    """The server's secret behind signed cookies: read from the data folder, or made there once (mode 0600).
    Kept with the data, so a browser's sessions survive a restart."""
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
