"""The door every HTTP request passes before Gradio sees it (an ASGI middleware inside Gradio's app).

It decides who is calling (identity.py) and writes the owner into the request; closes the routes a studio does not
use (deep links, direct `/run` calls that skip the queue, Gradio's monitoring); refuses bodies over `max_body`
before they are read into objects; binds each queue connection (`session_hash`) to the owner who opened it, so
nobody reads or cancels another's stream; serves cached files only to their owners and counts uploads (files.py);
slows down password guessing (login.py); and sets the security headers on every answer. The ASGI by hand it
needs is in asgi.py.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs

from studio.core.messages import Message, language_of
from studio.web.admission import Admission
from studio.web.asgi import (file_paths, header, length, parse_cookies, parse_json, plain_errors, query,
                             read_capped, recording, replay, session_hash, with_cookie)
from studio.web.files import FileGrants, UploadLedger
from studio.web.identity import (BROWSER_COOKIE, OWNER_HEADER, BrowserIds, browser_owner, oauth_owner,
                                 user_owner)
from studio.web.login import LoginLimiter

log = logging.getLogger(__name__)
API = "/gradio_api"
# Routes a studio never uses: deep links write a connection's state to a file; /run and /api answer outside the
# queue and its limits; the rest are Gradio's developer tools.
CLOSED = re.compile(rf"^({API}/(deep_link|run/|api/|runs|run-history|profiling|vibe|undo-vibe|dev/|"
                    rf"process_recording|proxy=|mcp)|/monitoring)")
STREAM = re.compile(rf"^{API}/call/(?:v2/)?[^/]+/(?P<event>[^/]+)/?$")
HEARTBEAT = re.compile(rf"^{API}/heartbeat/(?P<hash>[^/]+)/?$")
TRACKED_CONNECTIONS = 100_000


@dataclass
class Hosting:
    """What the gate knows and decides with; built once in app.py."""

    grants: FileGrants
    uploads: UploadLedger
    admission: Admission
    logins: LoginLimiter
    owner_for_key: Callable[[str], str | None]
    browser_ids: BrowserIds | None  # None: no anonymous use (a signed-in studio)
    on_space: bool = False
    max_body: int = 256 * 1024
    on_refusal: Callable[[str], None] = lambda kind: None
    bindings: OrderedDict = field(default_factory=OrderedDict)  # session_hash -> the owner who opened it

    def bind(self, session_hash: str, owner: str) -> bool:
        """Bind a queue connection to its first owner; False when it is someone else's."""
        if not session_hash:
            return True
        known = self.bindings.get(session_hash)
        if known is None:
            self.bindings[session_hash] = owner
            while len(self.bindings) > TRACKED_CONNECTIONS:
                self.bindings.popitem(last=False)
            return True
        return known == owner


class Gate:
    def __init__(self, app, hosting: Hosting):
        self.app, self.h = app, hosting
        self.headers = security_headers(hosting.on_space)  # the same on every answer: made once

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        send = self._secured(send)
        if CLOSED.match(path):
            return await self._refuse(scope, send, 404, "hosting.not_found", "closed_route")
        try:
            owner, cookie = self._identify(scope)
        except Exception:  # the store behind the keys is closing (a stop) or failing: not the caller's doing
            log.exception("could not tell who is calling")
            return await self._refuse(scope, send, 503, "hosting.unavailable", "unavailable")
        if owner is None:
            return await self._refuse(scope, send, 401, "hosting.bad_key", "bad_key")
        if cookie:
            send = _setting_cookie(send, cookie)
        if method == "POST" and path.rstrip("/") == "/login":
            return await self._login(scope, receive, send)
        if path.startswith(f"{API}/file="):
            if not self.h.grants.readable(owner, path.split("=", 1)[1]):
                return await self._refuse(scope, send, 404, "hosting.no_file", "foreign_file")
            return await self.app(scope, receive, plain_errors(send))
        if method == "POST" and path.rstrip("/") == f"{API}/upload":
            return await self._upload(scope, receive, send, owner)
        if method == "POST" and path.startswith(API):
            body = await read_capped(receive, length(scope), self.h.max_body)
            if body is None:
                return await self._refuse(scope, send, 413, "hosting.too_big", "too_big")
            sent = parse_json(body)
            if not self.h.bind(session_hash(sent), owner):
                return await self._refuse(scope, send, 403, "hosting.not_yours", "foreign_stream")
            if self._not_uploaded(sent):
                return await self._refuse(scope, send, 400, "hosting.not_uploaded", "not_uploaded")
            return await self.app(scope, replay(body, receive), send)
        heartbeat = HEARTBEAT.match(path)
        if path.rstrip("/") == f"{API}/queue/data" or heartbeat:
            connection = heartbeat["hash"] if heartbeat else query(scope, "session_hash")
            if not self.h.bind(connection, owner):
                return await self._refuse(scope, send, 403, "hosting.not_yours", "foreign_stream")
            if not heartbeat:
                return await self._listened(connection, scope, receive, send)
        if method == "GET" and (stream := STREAM.match(path)):
            return await self._listened(stream["event"], scope, receive, send)
        return await self.app(scope, receive, send)

    # ------------------------------------------------------------ who
    def _identify(self, scope) -> tuple[str | None, str]:
        """(owner, a browser cookie to set or ''); owner None for a key that is not known. The owner is written
        into the request's headers; '' means nobody (Gradio's sign-in check, or the engine, refuses)."""
        headers = [(k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() != OWNER_HEADER]
        found = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
        cookies = {k: m.value for k, m in parse_cookies(found.get("cookie", "")).items()}
        owner, minted, app = "", "", scope.get("app")
        auth = found.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            owner = self.h.owner_for_key(auth[7:].strip())
            if owner is None:
                return None, ""
            if getattr(app, "auth", None) and owner.startswith("user-"):  # a key stands in for the sign-in
                headers = with_cookie(headers, _gradio_token(app, auth[7:].strip(), owner.removeprefix("user-")))
        elif app is not None and (name := app.tokens.get(cookies.get(f"access-token-{app.cookie_id}")
                                                          or cookies.get(f"access-token-unsecure-{app.cookie_id}"))):
            owner = user_owner(name)
        elif oauth := oauth_owner(scope.get("session") or {}):
            owner = oauth
        elif self.h.browser_ids is not None:
            browser_id = self.h.browser_ids.verify(cookies.get(BROWSER_COOKIE))
            if browser_id is None:
                browser_id, minted = self.h.browser_ids.new()
                headers = with_cookie(headers, f"{BROWSER_COOKIE}={minted}")
            owner = browser_owner(browser_id)
        scope["headers"] = [*headers, (OWNER_HEADER.encode(), owner.encode("latin-1", "replace"))]
        return owner, minted

    # ------------------------------------------------------------ routes with checks of their own
    async def _login(self, scope, receive, send):
        body = await read_capped(receive, length(scope), 16 * 1024)
        if body is None:
            return await self._refuse(scope, send, 413, "hosting.too_big", "too_big")
        user = (parse_qs(body.decode("utf-8", "replace")).get("username") or [""])[0]
        address = (scope.get("client") or ("?", 0))[0]
        wait = self.h.logins.wait(user, address)
        if wait > 0:
            return await self._refuse(scope, send, 429, "hosting.login_wait", "login_wait",
                                      {"seconds": max(1, round(wait))}, {"retry-after": str(max(1, round(wait)))})
        send, answer = recording(send)
        await self.app(scope, replay(body, receive), send)
        if answer["status"] == 200:
            self.h.logins.succeeded(user, address)
        elif answer["status"] in (400, 401):
            self.h.logins.failed(user, address)

    async def _upload(self, scope, receive, send, owner: str):
        size = length(scope)
        if size is None:
            return await self._refuse(scope, send, 411, "hosting.upload_length", "upload_length")
        full = self.h.uploads.room(owner, size)
        if full:
            return await self._refuse(scope, send, 429, f"hosting.upload_{full}", f"upload_{full}",
                                      {"count": self.h.uploads.max_count,
                                       "megabytes": self.h.uploads.max_bytes // 2**20})
        send, answer = recording(send)
        await self.app(scope, receive, send)
        if answer["status"] == 200:
            paths = parse_json(answer["body"])
            for path in paths if isinstance(paths, list) else []:
                self.h.grants.grant(owner, str(path))
            self.h.uploads.record(owner, size)

    def _not_uploaded(self, sent) -> bool:
        """Whether the request's data names a file that is not an upload (a server path, another folder): Gradio
        would refuse it too, but naming the server's folders."""
        data = sent.get("data") if isinstance(sent, dict) else None
        return any(self.h.grants.folder(path) is None for path in file_paths(data))

    async def _listened(self, key: str, scope, receive, send):
        """A stream the caller listens on: queued events for it are not dropped as unheard while it is open."""
        self.h.admission.stream_opened(key)
        try:
            return await self.app(scope, receive, send)
        finally:
            self.h.admission.stream_closed(key)

    # ------------------------------------------------------------ answers
    async def _refuse(self, scope, send, status: int, code: str, kind: str, args: dict | None = None,
                      headers: dict | None = None):
        self.h.on_refusal(kind)
        lang = language_of(header(scope, "accept-language"))
        body = json.dumps({"detail": Message(code, args or {}).text(lang)}).encode()
        extra = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()), *extra]})
        await send({"type": "http.response.body", "body": body})

    def _secured(self, send):
        headers = self.headers

        async def secured(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                present = {k.lower() for k, _ in message["headers"]}
                message["headers"] = [*message["headers"], *((k, v) for k, v in headers if k not in present)]
            await send(message)
        return secured


def security_headers(on_space: bool) -> list[tuple[bytes, bytes]]:
    """CSP (no remote images, scripts or connections; frames only by the studio itself, and by the Hugging Face
    page that embeds a Space), no MIME sniffing, no referrer to other sites. Gradio's page needs inline scripts
    and `new Function` (its `js=` events), so script-src allows both; what it may reach stays 'self'."""
    ancestors = "'self' https://huggingface.co https://*.hf.space" if on_space else "'self'"
    csp = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
           "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; font-src 'self' data: https://fonts.gstatic.com; "
           "img-src 'self' data: blob:; media-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
           f"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}")
    headers = [(b"content-security-policy", csp.encode()), (b"x-content-type-options", b"nosniff"),
               (b"referrer-policy", b"same-origin")]
    if not on_space:  # a Space is framed by huggingface.co: frame-ancestors says who may
        headers.append((b"x-frame-options", b"SAMEORIGIN"))
    return headers


def _gradio_token(app, key: str, user: str) -> str:
    """A Gradio sign-in token for a key's user, so Gradio's own sign-in check lets the key's requests in."""
    token = "dc-key-" + hashlib.sha256(key.encode()).hexdigest()[:32]
    app.tokens[token] = user
    return f"access-token-{app.cookie_id}={token}"


def _setting_cookie(send, value: str):
    cookie = f"{BROWSER_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000".encode()

    async def with_cookie(message):
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
        await send(message)
    return with_cookie
