"""An API key as the studio shows it: what it is for and when it was used, never the key itself.

Pure: no I/O. A key's text is `dc_` and 43 URL-safe characters (`secrets.token_urlsafe(32)`); the store keeps only
its SHA-256 and its first few characters (`prefix`), so a designer can tell their keys apart in a list.
"""
from __future__ import annotations

from dataclasses import dataclass

from studio.core import limits

KEY_START = "dc_"


@dataclass(frozen=True)
class ApiKey:
    id: str  # what a designer names to revoke it
    label: str  # what the designer said it is for
    prefix: str  # the key's first characters, as the list shows them
    created: float
    last_used: float | None = None  # written at most once a minute (limits.KEY_USE_RESOLUTION_S)
    revoked: float | None = None  # when it was revoked; a revoked key opens nothing


def key_shaped(text) -> bool:
    """Whether `text` could be a key at all: checked before anything hashes or looks it up, so text of any size or
    kind costs nothing."""
    return isinstance(text, str) and len(text) == limits.API_KEY_CHARS and bool(limits.API_KEY.fullmatch(text))
