"""ASGI by hand, for the gate: read a request's headers, cookies and capped body, replay a body already read, and
answer. (The gate works below Starlette's Request so that it can refuse a body before reading it.)"""
from __future__ import annotations

import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qs


def header(scope, name: str) -> str:
    for k, v in scope["headers"]:
        if k.decode("latin-1").lower() == name:
            return v.decode("latin-1")
    return ""


def length(scope) -> int | None:
    try:
        return int(header(scope, "content-length"))
    except ValueError:
        return None


def query(scope, name: str) -> str:
    return (parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name) or [""])[0]


def parse_cookies(text: str) -> SimpleCookie:
    jar = SimpleCookie()
    try:
        jar.load(text)
    except Exception:  # a malformed cookie header carries no identity
        return SimpleCookie()
    return jar


def with_cookie(headers: list, pair: str) -> list:
    """The request's headers with one more cookie in its Cookie header."""
    rest = [(k, v) for k, v in headers if k.decode("latin-1").lower() != "cookie"]
    old = next((v.decode("latin-1") for k, v in headers if k.decode("latin-1").lower() == "cookie"), "")
    return [*rest, (b"cookie", (f"{old}; {pair}" if old else pair).encode("latin-1"))]


async def read_capped(receive, declared: int | None, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to be longer than `limit` (before it is all read)."""
    if declared is not None and declared > limit:
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def replay(body: bytes, receive):
    """The body read already, then the connection as it goes on (its disconnect, when it comes)."""
    sent = False

    async def replayed():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return replayed


def parse_json(body: bytes):
    try:
        return json.loads(body)
    except ValueError:  # not JSON: Gradio refuses it in its own words
        return None


def session_hash(sent) -> str:
    value = sent.get("session_hash") if isinstance(sent, dict) else None
    return value if isinstance(value, str) else ""


def file_paths(value, depth: int = 0):
    """The `path` of every file object (a dict with a path) in a request's data."""
    if depth > 20:
        return
    if isinstance(value, dict):
        if isinstance(value.get("path"), str) and not str(value.get("path")).startswith(("http://", "https://")):
            yield value["path"]
        for item in value.values():
            yield from file_paths(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from file_paths(item, depth + 1)


def plain_errors(send):
    """Gradio's refusal of a file names the server's paths: a refusal says only that there is no such file."""
    body = json.dumps({"detail": "No such file."}).encode()
    state = {}

    async def plain(message):
        if message["type"] == "http.response.start" and message["status"] >= 400:
            state["status"] = message["status"]
            return
        if "status" in state:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                await send({"type": "http.response.start", "status": state["status"],
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
            return
        await send(message)
    return plain


def recording(send):
    """`send`, noting the answer as it passes: (the wrapped send, a dict that gets "status" and "body")."""
    answer = {"status": None, "body": b""}

    async def recorded(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")
        await send(message)
    return recorded, answer
