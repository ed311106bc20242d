"""One process loads the tiny models once and forks a fresh studio for each line it reads: a restart in
a fraction of a second instead of the seconds that importing diffusers takes. The crash tests
(tests/test_crash.py, tests/reliability/test_crash_anywhere.py) kill those studios with SIGKILL.

The forking process runs a script of the test's own, which imports `os`, `sys` and `Path`, defines
`say(*words)` and `run_studio(data_dir, *words)`, and loads its models; `KILL_POINTS` (aim, announce, gate,
announcing) and `FORK_LOOP` follow it. It says `loaded`; for each line on its stdin, its child runs `run_studio`
with the line's words, says `ready <pid>` and then what it does, a line at a time; after a child ends, the forking
process says `ended <exit code>`.

Where a kill lands is decided by the studio's own events, never by a clock: the child is told its kill point
(`aim`), says each moment of its rounds (`announce`), says `aimed <round>` on the kill point, and from then on its
round's worker goes no further than its next announcement or store write (`gate`). However late the test's kill
comes, it lands inside the round it aimed at.
"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINE_TIMEOUT_S = 60  # a child that says nothing for this long is stuck, not slow
KILL_POINTS = r'''
import threading as _threading

_aim = None  # (moment, round number, occurrence, hold)
_rounds = []  # the round indexes this studio named, in the order it first named them
_seen = 0  # announcements of the aimed moment in the aimed round
_passed = _threading.Event()  # the kill point was announced
_saying = _threading.Lock()


def aim(moment, round_number, occurrence=1, hold="go-on"):
    """This studio is killed a moment after its `occurrence`-th announcement of `moment` in the `round_number`-th
    round it names (a commit counts only while its round is running); with hold="hold" it stops right there."""
    global _aim
    _aim = (moment, int(round_number), int(occurrence), hold == "hold")


def announce(index, moment, *words):
    """Say `<round index> <moment> <words...>`; on the kill point say `aimed <round index>` too."""
    global _seen
    gate()
    with _saying:
        index = str(index)
        if index not in _rounds:
            _rounds.append(index)
        say(index, moment, *words)
        if _aim is None or _passed.is_set():
            return
        if len(_rounds) > _aim[1]:
            say("missed", *_aim[:3])
            return
        if len(_rounds) == _aim[1] and moment == _aim[0] and list(words) in ([], ["running"]):
            _seen += 1
            if _seen == _aim[2]:
                say("aimed", index)
                _passed.set()
    if _passed.is_set() and _aim[3]:
        _threading.Event().wait()  # held here until the kill


def gate():
    """Past the kill point, a round's worker waits here for the kill: its round is never finished."""
    if _passed.is_set() and _threading.current_thread().name.startswith("round-"):
        _threading.Event().wait()


def announcing(run):
    """RoundWorker.run, announcing each stage from the round's own worker thread as the stage begins."""
    def run_announcing(worker, job, emit):
        said = ["Started"]
        announce(job.round.index, "Started")  # the round's row says running; no model has run yet

        def emit_announcing(event):
            if type(event).__name__ != said[-1]:
                said.append(type(event).__name__)
                announce(event.round_index, said[-1])
            emit(event)

        return run(worker, job, emit_announcing)

    return run_announcing
'''
FORK_LOOP = r'''
say("loaded")
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            run_studio(Path(line.split()[0]), *line.split()[1:])
        finally:
            os._exit(1)
    say("ended", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
'''


class ForkingStudios:
    """The forking process. Its lines arrive on a queue, so a silent studio cannot hang the test."""

    def __init__(self, script: str, log: Path):
        path = os.pathsep.join(p for p in (str(REPO), str(REPO / "tests"), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1",
               "PYTHONPATH": path}
        self.log = log
        self.pid: int | None = None  # the studio now running
        with open(log, "a") as stderr:
            self.process = subprocess.Popen([sys.executable, "-c", script + KILL_POINTS + FORK_LOOP], cwd=REPO,
                                            env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=stderr)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def __enter__(self) -> ForkingStudios:
        assert self.next_line() == ["loaded"]
        return self

    def __exit__(self, *exc) -> None:
        if self.pid is not None:  # a failed check left a studio running rounds
            os.kill(self.pid, signal.SIGKILL)
        self.process.stdin.close()
        try:
            self.process.wait(timeout=LINE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.split())
        self.lines.put(None)

    def next_line(self) -> list[str]:
        try:
            words = self.lines.get(timeout=LINE_TIMEOUT_S)
        except queue.Empty:
            words = None
        assert words is not None, f"the studio stopped talking; its log:\n{self.log.read_text()[-3000:]}"
        return words

    def start(self, *words: object) -> None:
        """A fresh studio, given `words` as its line; it runs rounds once it is ready."""
        self.process.stdin.write(" ".join(map(str, words)) + "\n")
        self.process.stdin.flush()
        said = self.next_line()
        assert said[0] == "ready", said
        self.pid = int(said[1])

    def kill_at_aim(self, wait: float) -> int:
        """Kill the studio `wait` seconds after it says it reached the kill point it was given; the index of the
        round it was in."""
        words = self.next_line()
        while words[0] != "aimed":
            assert words[0] != "missed", f"the studio never reached its kill point {words[1:]}"
            words = self.next_line()
        self.kill(wait)
        return int(words[1])

    def kill(self, wait: float) -> None:
        """SIGKILL the running studio after `wait` seconds; check that it died of the kill, not of a crash."""
        threading.Event().wait(wait)
        os.kill(self.pid, signal.SIGKILL)
        self.pid = None
        words = self.next_line()
        while words[0] != "ended":  # what it said before it died, then the forking process's report
            words = self.next_line()
        assert words == ["ended", str(-signal.SIGKILL)], self.log.read_text()[-3000:]  # killed, not crashed
