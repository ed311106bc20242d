"""`transformers serve`, with a hold a test can put on it: `python held_serve.py HOLD_FILE serve MODEL ...`.

While HOLD_FILE exists, a reply that has streamed its first text waits before its next token, until the file
is removed or the client leaves (the server's own cancellation). Tests use it to act at a point the server
cannot run past (Stop, a killed server, requests in flight together) instead of racing a fast tiny model.
When a generation is cancelled, `HOLD_FILE.cancelled` is written: the server saw the client leave and stopped.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from transformers.cli.serving import utils
from transformers.cli.transformers import main

HOLD_LIMIT_S = 120  # a held reply never waits forever, even when a test goes wrong

hold = Path(sys.argv.pop(1))
_put, _enqueue = utils.DirectStreamer.put, utils.DirectStreamer._enqueue


def _enqueue_marking_text(self, item) -> None:
    if isinstance(item, str) and item:
        self.sent_text = True
    _enqueue(self, item)


def _put_held(self, value) -> None:
    try:
        _put(self, value)
    except utils._GenerationCancelled:
        hold.with_suffix(".cancelled").write_text("cancelled\n")
        raise
    deadline = time.monotonic() + HOLD_LIMIT_S
    while (getattr(self, "sent_text", False) and hold.exists() and not self._cancelled.is_set()
           and time.monotonic() < deadline):
        time.sleep(0.005)


utils.DirectStreamer.put, utils.DirectStreamer._enqueue = _put_held, _enqueue_marking_text

if __name__ == "__main__":
    sys.argv[0] = "transformers"
    sys.exit(main())
