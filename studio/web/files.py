"""Files Gradio serves (`/gradio_api/file=…`), each only to the owner it was made for.

Gradio copies every image it shows, and every upload, into its cache: `<cache>/<content hash>/<name>`, readable by
anyone with the URL. The page registers each image it shows (a gallery's postprocess) and the gate each upload,
by that hash folder, with its owner and session; the gate then serves a registered file to its owners alone.
A session's deletion removes its folders from the cache. Files nobody registered (Gradio's own assets) are left to
Gradio's own checks.

Uploads are counted per owner while they live (Gradio's `delete_cache` removes them after `expiry`): at most
`max_count` files and `max_bytes` bytes each.
"""
from __future__ import annotations

import shutil
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


class FileGrants:
    def __init__(self, cache_dir: Path):
        self.cache_dir = Path(cache_dir).resolve()
        self._owners: dict[str, set[str]] = defaultdict(set)  # hash folder -> owners who may read it
        self._sessions: dict[str, set[str]] = defaultdict(set)  # session id -> hash folders it showed
        self._lock = threading.Lock()

    def __deepcopy__(self, memo) -> FileGrants:
        return self  # one registry: Gradio copies a page's components for each visitor, and this with them

    def folder(self, path: str | Path) -> str | None:
        """The hash folder of a file in Gradio's cache, or None for a file elsewhere."""
        try:
            relative = Path(path).resolve().relative_to(self.cache_dir)
        except (ValueError, OSError, RuntimeError):
            return None
        return relative.parts[0] if len(relative.parts) >= 2 else None

    def grant(self, owner: str, path: str | Path, session_id: str = "") -> None:
        folder = self.folder(path)
        if folder is None or not owner:
            return
        with self._lock:
            self._owners[folder].add(owner)
            if session_id:
                self._sessions[session_id].add(folder)

    def readable(self, owner: str, path: str | Path) -> bool:
        """False for a registered file the caller does not own; True otherwise (Gradio's checks still apply)."""
        folder = self.folder(path)
        with self._lock:
            owners = self._owners.get(folder) if folder else None
            return not owners or owner in owners

    def forget_session(self, session_id: str) -> int:
        """Remove the session's shown images from the cache; the number of folders removed."""
        with self._lock:
            folders = self._sessions.pop(session_id, set())
            for folder in folders:
                self._owners.pop(folder, None)
        for folder in folders:
            shutil.rmtree(self.cache_dir / folder, ignore_errors=True)
        return len(folders)


@dataclass(frozen=True)
class Upload:
    at: float
    size: int


class UploadLedger:
    """The uploads each owner holds, while they live."""

    def __init__(self, max_count: int, max_bytes: int, expiry: float, clock: Callable[[], float] = time.time):
        self.max_count, self.max_bytes, self.expiry, self.clock = max_count, max_bytes, expiry, clock
        self._held: dict[str, deque[Upload]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _live(self, owner: str) -> deque[Upload]:
        held, oldest = self._held[owner], self.clock() - self.expiry
        while held and held[0].at < oldest:
            held.popleft()
        return held

    def room(self, owner: str, size: int) -> str | None:
        """None when `size` more bytes fit the owner's quota; else what is full: 'count' or 'bytes'."""
        with self._lock:
            held = self._live(owner)
            if len(held) >= self.max_count:
                return "count"
            if sum(u.size for u in held) + size > self.max_bytes:
                return "bytes"
            return None

    def record(self, owner: str, size: int) -> None:
        with self._lock:
            self._live(owner).append(Upload(self.clock(), size))
