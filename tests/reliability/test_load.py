"""Load, scaled down: six designers at once against a studio whose queue holds one waiting round.

Issue 7, item 10. Runs bench/load.py with 6 clients x 2 rounds, queue size 1, GPU concurrency 1 and
one candidate a round: with one round running and one waiting, most requests find the queue full.
Behaviour only, never times: every round asked for was done or refused cleanly as "queue full", no
other error, no "database is locked" in the server log, the server's memory grew by less than
300 MB from the first quarter of the run to the last. `pytest -s` shows the bench's figures.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLIENTS, ROUNDS = 6, 2
RSS_GROWTH_LIMIT_MB = 300  # generous: tiny models, a short run; a leak of a round's images would show


def run_bench(work: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--clients", str(CLIENTS), "--rounds", str(ROUNDS), "--queue-size", "1",
         "--gpu-concurrency", "1", "--candidates", "1", "--work-dir", str(work)],
        cwd=REPO, capture_output=True, text=True, timeout=240)
    print(result.stdout)
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT "), result.stdout[-3000:]
    return json.loads(last.removeprefix("RESULT "))


def test_many_designers_at_once_get_their_round_or_a_clean_queue_full(tmp_path):
    figures = run_bench(tmp_path)

    assert figures["errors"] == [] and figures["other_errors"] == 0
    assert figures["rounds_asked"] + ROUNDS * figures["starts_refused"] == CLIENTS * ROUNDS
    assert figures["completed"] + figures["queue_full"] == figures["rounds_asked"]
    assert figures["completed"] >= 1 and figures["queue_full"] >= 1  # both answers were given, and counted
    log = Path(figures["log"]).read_text(errors="replace")
    assert "database is locked" not in log.lower() and figures["database_locked_in_log"] == 0
    assert figures["rss_samples"] >= 4
    assert figures["rss_growth_mb"] < RSS_GROWTH_LIMIT_MB
