"""Load: many designers at once, each starting a session and running rounds through the API.

    python bench/load.py [--clients 16 | --clients 1,2,4,8,16] [--rounds 5] [--queue-size 64] [--gpu-concurrency 2]
                         [--generator ray:local --replicas 2 | --ray-cluster --replicas 2] [--profile]

Starts `python app.py --preset tiny` on a free loopback port with the given queue size and GPU
concurrency, runs one warm-up round (the models load), then starts CLIENTS `gradio_client` clients
on threads at once. Each starts its own session and runs ROUNDS rounds of CANDIDATES candidates at
64 px / 2 steps, one after another. It records each round's latency and outcome (done, refused with
"queue full", any other error), and samples the server's memory (RSS) every 0.5 s. It prints
rounds/s, p50/p95 latency, max RSS, the RSS growth from the first to the last quarter of the run and
the outcome counts; the last line is `RESULT {json}` for scripts. Figures depend on the hardware;
nothing here is a pass mark (tests/reliability/test_load.py checks behaviour only).

A list of client counts sweeps them against one studio (started and warmed once) and ends with one table row
per count: round latency p50/p95, rounds/s, and how busy the studio process was (its CPU in cores, its child
processes', and with --profile the share of time its GIL was held, by the studio's own code and by the models':
bench/studio_cpu.py). `--generator` and `--replicas` go to app.py: `ray:local` puts the generator on a Ray Serve
pool the studio starts.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from gradio_client import Client
from gradio_client.utils import QueueError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python bench/load.py`

from bench.launcher import HOST, studio_process  # noqa: E402
from bench.load_report import report, table  # noqa: E402
from bench.ray_cluster import ray_cluster  # noqa: E402
from bench.studio_cpu import CpuMeter, GilProfile  # noqa: E402
STARTUP_S = 90
SAMPLE_EVERY_S = 0.5
START_ATTEMPTS = 5  # a session start refused as queue full is tried again, this many times in all
BRIEF = "A poster for a jazz night, art deco, navy and gold"
DONE = re.compile(r"Round \d+ done\.")


@dataclass
class Outcomes:
    """What happened to every round (and session start) the clients asked for."""

    latencies: list[float] = field(default_factory=list)  # seconds, rounds done
    queue_full: int = 0
    errors: list[str] = field(default_factory=list)  # anything else: must stay empty
    started: int = 0  # sessions started: each asks for its rounds
    starts_refused: int = 0  # sessions never started, the queue full at every attempt
    lock: threading.Lock = field(default_factory=threading.Lock)


def is_queue_full(err: Exception) -> bool:
    # gradio 6 answers 503 "Queue is full. Max size is N and size is N."; gradio_client raises
    # QueueError("Queue is full! Please try again.").
    return isinstance(err, QueueError) or "queue is full" in str(err).lower()


@contextlib.contextmanager
def running_studio(work: Path, queue_size: int, gpu_concurrency: int, extra: tuple[str, ...] = ()):
    """`python app.py --preset tiny` on a free loopback port; yields (url, process, log file)."""
    args = ("--data-dir", str(work / "data"), "--host", HOST, "--queue-size", str(queue_size),
            "--gpu-concurrency", str(gpu_concurrency), "--safety", "off", *extra)
    with studio_process(*args, log_dir=work, startup_s=STARTUP_S) as studio:
        yield studio.url, studio.process, studio.log_file


def rss_bytes(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def sample_rss(pid: int, samples: list[tuple[float, int]], stop: threading.Event) -> None:
    process = psutil.Process(pid)
    while not stop.is_set():
        with contextlib.suppress(psutil.NoSuchProcess):
            samples.append((time.monotonic(), rss_bytes(process)))
        stop.wait(SAMPLE_EVERY_S)


def run_round(client: Client, sid: str, candidates: int, seed: int) -> str:
    """One round at 64 px / 2 steps; the status line it ended with."""
    _chat, _gallery, status, *_ = client.predict(
        session_id=sid, text="", count=candidates, steps=2, size=64, guidance=0.0, seed=seed, api_name="/run_round")
    return status


def start_session(client: Client, outcomes: Outcomes) -> str | None:
    """The new session's id, or None (counted) when it could not be started."""
    for attempt in range(START_ATTEMPTS):
        try:
            return client.predict(BRIEF, api_name="/start_session")[0]
        except Exception as err:  # the benchmark's boundary: every failure is counted, none is lost
            if not is_queue_full(err):
                with outcomes.lock:
                    outcomes.errors.append(f"start_session: {type(err).__name__}: {err}")
                return None
        time.sleep(0.5 * (attempt + 1))
    with outcomes.lock:
        outcomes.starts_refused += 1
    return None


def designer(url: str, number: int, rounds: int, candidates: int, go: threading.Barrier, outcomes: Outcomes) -> None:
    """One client: its own session, then `rounds` rounds, one after another (a bounded loop)."""
    try:
        client = Client(url, verbose=False)
    except Exception as err:  # the benchmark's boundary: every failure is counted, none is lost
        with outcomes.lock:
            outcomes.errors.append(f"client {number} could not connect: {type(err).__name__}: {err}")
        go.abort()  # the others must not wait for this one
        return
    try:
        sid = start_session(client, outcomes)
        with contextlib.suppress(threading.BrokenBarrierError):  # a client that could not connect is counted
            go.wait()  # every client asks for its first round at the same moment
        if sid is None:
            return
        with outcomes.lock:
            outcomes.started += 1
        for r in range(rounds):
            started = time.perf_counter()
            try:
                status = run_round(client, sid, candidates, seed=number * 1000 + r)
            except Exception as err:  # the benchmark's boundary: every failure is counted, none is lost
                with outcomes.lock:
                    if is_queue_full(err):
                        outcomes.queue_full += 1
                    else:
                        outcomes.errors.append(f"run_round: {type(err).__name__}: {err}")
                continue
            with outcomes.lock:
                if DONE.fullmatch(status or ""):
                    outcomes.latencies.append(time.perf_counter() - started)
                else:
                    outcomes.errors.append(f"run_round ended: {status}")
    finally:
        client.close()


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def quarter_growth(samples: list[tuple[float, int]]) -> int:
    """Mean RSS of the run's last quarter (by time) less that of its first quarter."""
    if len(samples) < 4:
        return samples[-1][1] - samples[0][1] if samples else 0
    start, end = samples[0][0], samples[-1][0]
    span = end - start
    first = [rss for t, rss in samples if t <= start + span / 4] or [samples[0][1]]
    last = [rss for t, rss in samples if t >= end - span / 4] or [samples[-1][1]]
    return round(statistics.mean(last) - statistics.mean(first))


def sweep(counts: list[int], rounds: int, queue_size: int, gpu_concurrency: int, candidates: int, work: Path,
          run_limit_s: float, extra: tuple[str, ...] = (), profile: bool = False,
          pool_pid: int | None = None) -> list[dict]:
    """One studio, warmed once, then a measured load for each client count in turn."""
    with running_studio(work, queue_size, gpu_concurrency, extra) as (url, process, log_file):
        started_rss = rss_bytes(psutil.Process(process.pid))
        warm = Client(url, verbose=False)  # one round first: the models load outside the measurement
        try:
            run_round(warm, warm.predict(BRIEF, api_name="/start_session")[0], candidates, seed=0)
        finally:
            warm.close()
        results = []
        for clients in counts:
            result = measure(url, process.pid, clients, rounds, candidates, run_limit_s,
                             work / f"pyspy-{clients}.txt" if profile else None, pool_pid)
            log = log_file.read_text(errors="replace")
            results.append({"clients": clients, "rounds_per_client": rounds, "queue_size": queue_size,
                            "gpu_concurrency": gpu_concurrency, "candidates": candidates, "studio_args": list(extra),
                            **result, "rss_start_mb": round(started_rss / 2**20, 1),
                            "database_locked_in_log": log.lower().count("database is locked"),
                            "log": str(log_file)})
    return results


def measure(url: str, pid: int, clients: int, rounds: int, candidates: int, run_limit_s: float,
            profile_to: Path | None, pool_pid: int | None = None) -> dict:
    """CLIENTS designers at once against the running studio: outcomes, latencies, memory and CPU."""
    samples: list[tuple[float, int]] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(pid, samples, stop), daemon=True)
    outcomes = Outcomes()
    meters: dict = {}

    def begin() -> None:  # all clients connected, sessions started: the rounds start now, and so do the meters
        meters.update(began=time.perf_counter(), cpu=CpuMeter(pid), pool=CpuMeter(pool_pid) if pool_pid else None,
                      gil=GilProfile(pid, profile_to) if profile_to else None)

    go = threading.Barrier(clients, action=begin, timeout=STARTUP_S)
    threads = [threading.Thread(target=designer, args=(url, n, rounds, candidates, go, outcomes), daemon=True)
               for n in range(clients)]
    sampler.start()
    for t in threads:
        t.start()
    deadline = time.perf_counter() + STARTUP_S + run_limit_s
    for n, t in enumerate(threads):
        t.join(max(0.0, deadline - time.perf_counter()))
        if t.is_alive():
            with outcomes.lock:
                outcomes.errors.append(f"client {n} did not finish within {run_limit_s:.0f} s")
    if not meters:  # a client could not connect: the barrier broke, and nothing was measured
        begin()
    wall = time.perf_counter() - meters["began"]
    busy = {**meters["cpu"].stop(), **(meters["gil"].stop() if meters["gil"] else {})}
    if meters["pool"]:  # the bench's own Ray cluster: every process of it runs under `ray start`
        pool = meters["pool"].stop()
        busy["pool_cpu_cores"] = round(pool["studio_cpu_cores"] + pool["children_cpu_cores"], 2)
    stop.set()
    sampler.join()
    done = len(outcomes.latencies)
    return {
        "wall_s": round(wall, 2), "rounds_asked": outcomes.started * rounds, "completed": done,
        "queue_full": outcomes.queue_full, "starts_refused": outcomes.starts_refused,
        "other_errors": len(outcomes.errors), "errors": outcomes.errors[:20],
        "rounds_per_s": round(done / wall, 3) if wall else None,
        "latency_p50_s": percentile(outcomes.latencies, 50), "latency_p95_s": percentile(outcomes.latencies, 95),
        "rss_max_mb": round(max((r for _, r in samples), default=0) / 2**20, 1),
        "rss_growth_mb": round(quarter_growth(samples) / 2**20, 1), "rss_samples": len(samples), **busy,
    }


def client_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"give client counts of 1 or more, e.g. 16 or 1,2,4,8,16; not {text!r}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/load.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=client_counts, default=[16],
                        help="concurrent gradio_client clients (default 16), or a list to sweep: 1,2,4,8,16")
    parser.add_argument("--rounds", type=int, default=5, help="rounds each client runs (default 5)")
    parser.add_argument("--queue-size", type=int, default=64, help="the studio's --queue-size (default 64)")
    parser.add_argument("--gpu-concurrency", type=int, default=2, help="the studio's --gpu-concurrency (default 2)")
    parser.add_argument("--candidates", type=int, default=2, help="candidates per round (default 2)")
    parser.add_argument("--limit", type=float, default=1800,
                        help="seconds the clients may take in all; a client still running then is an error")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="where the data folder and studio.log go (default: a new temporary folder)")
    parser.add_argument("--generator", default="",
                        help="the studio's --generator, e.g. ray:local (default: in the studio's process)")
    parser.add_argument("--replicas", type=int, default=0, help="the studio's --replicas (with --generator)")
    parser.add_argument("--ray-cluster", action="store_true",
                        help="start a Ray cluster of the bench's own (bench/ray_cluster.py) and put the generator there")
    parser.add_argument("--profile", action="store_true",
                        help="sample the studio's GIL with py-spy (bench/studio_cpu.py) while the clients run")
    args = parser.parse_args(argv)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="load-"))
    work.mkdir(parents=True, exist_ok=True)
    with ray_cluster(work) if args.ray_cluster else contextlib.nullcontext(("", None)) as (address, pool_pid):
        generator = address or args.generator
        extra = (("--generator", generator) if generator else ()) + \
            (("--replicas", str(args.replicas)) if args.replicas else ())
        results = sweep(args.clients, args.rounds, args.queue_size, args.gpu_concurrency, args.candidates, work,
                        args.limit, extra, args.profile, pool_pid)
    for result in results:
        report(result)
    if len(results) > 1:
        table(results)
    print("RESULT " + json.dumps(results[0] if len(results) == 1 else {"sweep": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
