"""Sign-in attempts, limited per user name and per address, with a backoff that doubles.

After `free` wrong passwords in a row for a name (or from an address), each further attempt waits: 1 s, 2 s, 4 s …
up to `longest`. A right password clears the name's and the address's count. The clock is injected: tests move it.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Callable

TRACKED = 10_000  # names and addresses remembered at once (the oldest are forgotten first)


class LoginLimiter:
    def __init__(self, free: int = 5, longest: float = 900.0, clock: Callable[[], float] = time.monotonic):
        self.free, self.longest, self.clock = free, longest, clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (failures, last failure at)
        self._lock = threading.Lock()

    @staticmethod
    def _keys(user: str, address: str) -> tuple[str, str]:
        return f"user:{user.strip().lower()}", f"addr:{address}"

    def wait(self, user: str, address: str) -> float:
        """Seconds before this name may be tried again from this address; 0 when it may now."""
        now = self.clock()
        with self._lock:
            return max((self._wait(key, now) for key in self._keys(user, address)), default=0.0)

    def _wait(self, key: str, now: float) -> float:
        failures, last = self._failures.get(key, (0, -math.inf))
        if failures < self.free:
            return 0.0
        backoff = min(self.longest, 2.0 ** (failures - self.free))
        return max(0.0, last + backoff - now)

    def failed(self, user: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(user, address):
                failures, _ = self._failures.pop(key, (0, now))
                self._failures[key] = (failures + 1, now)
            while len(self._failures) > TRACKED:
                self._failures.popitem(last=False)

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            for key in self._keys(user, address):
                self._failures.pop(key, None)
