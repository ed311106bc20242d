"""What the reliability tests share: the studio in its own process (any folder, any environment),
raw HTTP, a digest of everything the store holds, and models fast enough to run many rounds.

Tiny models have random weights: these helpers prove plumbing, never image quality.
"""
from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from fakes import ScriptedCritic, ScriptedRefiner, SwappedModels
from server import studio_process  # noqa: F401 (the reliability tests start their studio through kit)

BRIEF = "A poster for a jazz night, art deco, navy and gold"
# A reply a well-behaved refiner gives: parsed as it is, so the round's prompt is predictable.
GOOD_REPLY = "PROMPT: art deco jazz poster, navy and gold, saxophone, bold title\nNEGATIVE: blurry\nWHY: a first try."
CHECKLIST = [["navy and gold palette", "visual", False], ["a saxophone", "visual", False]]


def fetch(url: str, timeout: float = 10, cookies: dict | None = None) -> tuple[int, bytes]:
    """GET `url` exactly as written (no normalising of '..'), as the owner of `cookies` (a Client's) or a
    stranger: the status and the raw body."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def round_inputs(sid: str, text: str = "", *, count: int = 2, steps: int = 1, size: int = 64, seed: int = 7,
                 reference=None) -> dict:
    """The keyword arguments of /run_round as a script passes them."""
    return dict(session_id=sid, text=text, count=count, steps=steps, size=size, guidance=0.0, seed=seed,
                negative="", reference=reference, strength=0.6, start_from="")


# ---------------------------------------------------------------- what the store holds
def digest(data_dir: Path) -> str:
    """Every row of every table and every file under images/: what a refused action must leave alone."""
    h = hashlib.sha256()
    db_path = Path(data_dir) / "studio.db"
    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as db:
        for table in ("sessions", "rounds", "candidates"):
            h.update(repr(db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()).encode())
    for path in sorted((Path(data_dir) / "images").rglob("*")):
        h.update(path.relative_to(data_dir).as_posix().encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


# ---------------------------------------------------------------- models fast enough for many rounds
@dataclass
class FastModels(SwappedModels):
    """The tiny generator, a refiner that replies from a script and a critic with no model.

    A round costs one render: the tiny refiner loads only if a turn other than prompt writing
    comes (set the session's checklist first, or it writes one). `free_memory` calls are counted (an
    out-of-memory test passes it to the in-process generator it builds).
    """

    replies: tuple[str, ...] = (GOOD_REPLY,)
    freed: int = 0

    def __post_init__(self):
        self.scripted_refiner = None
        self.scripted_critic = ScriptedCritic(lambda _call, count: [50.0 + k for k in range(count)])

    def refiner(self):
        if self.scripted_refiner is None:  # one script for the whole studio: `asked` records every turn
            self.scripted_refiner = self.wrap_refiner(ScriptedRefiner(_Lazy(self.registry.refiner), self.replies))
        return self.scripted_refiner

    def critic(self):
        return self.wrap_critic(self.scripted_critic)

    def free_memory(self) -> None:
        self.freed += 1
        self.registry.free_memory()


class _Lazy:
    """A model that loads on first use."""

    def __init__(self, load):
        self._load = load

    def __getattr__(self, name):
        return getattr(self._load(), name)
