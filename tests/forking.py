"""One process loads the tiny models once and forks a fresh studio for each line it reads: a restart in
a fraction of a second instead of the seconds that importing diffusers takes. The crash tests
(tests/test_crash.py, tests/reliability/test_crash_anywhere.py) kill those studios with SIGKILL.

The forking process runs a script of the test's own, which imports `os`, `sys` and `Path`, defines
`say(*words)` and `run_studio(data_dir, *words)`, and loads its models; `FORK_LOOP` follows it. It says
`loaded`; for each line on its stdin, its child runs `run_studio` with the line's words, says `ready
<pid>` and then what it does, a line at a time; after a child ends, the forking process says
`ended <exit code>`.
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
            self.process = subprocess.Popen([sys.executable, "-c", script + FORK_LOOP], cwd=REPO, env=env, text=True,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
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

    def kill(self, wait: float) -> None:
        """SIGKILL the running studio after `wait` seconds; check that it died of the kill, not of a crash."""
        threading.Event().wait(wait)
        os.kill(self.pid, signal.SIGKILL)
        self.pid = None
        words = self.next_line()
        while words[0] != "ended":  # what it said before it died, then the forking process's report
            words = self.next_line()
        assert words == ["ended", str(-signal.SIGKILL)], self.log.read_text()[-3000:]  # killed, not crashed
