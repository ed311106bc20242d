"""Fairness: well-behaved designers alone, then beside one greedy owner, on the same studio.

    python bench/greedy.py [--designers 8] [--page-loads 3] [--greedy-rounds 40] [--greedy-lists 200]

Starts `python app.py --preset tiny` (bench/load.py's launcher) and runs one warm-up round (the models load), then
two phases:
1. alone: DESIGNERS `gradio_client` designers at once, each starting a session, loading the page PAGE_LOADS times
   (GET / then GET /config, timed together) and running one round (1 candidate, 64 px, 1 step), timed;
2. beside a greedy owner: the same again, while one more owner, with its own cookies, fires GREEDY_ROUNDS
   `run_round` joins (raw POSTs to /gradio_api/queue/join that never read their stream) and GREEDY_LISTS
   `list_sessions` joins, as fast as it can, until the designers are done.
It prints the designers' page-load and round latency p50/p95 in both phases as a table, what became of their rounds,
and how the studio answered the greedy joins (HTTP status: count); the last line is `RESULT {json}`. Figures depend
on the machine and on the per-owner limits of the build; nothing here is a pass mark.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from gradio_client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python bench/greedy.py`

from bench.load import BRIEF, DONE, STARTUP_S, is_queue_full, percentile, running_studio  # noqa: E402

GREEDY_SESSIONS = 3  # the greedy owner spreads its rounds over this many sessions (one round runs per session)


@dataclass
class Phase:
    """What the well-behaved designers met in one phase."""

    page_loads: list[float] = field(default_factory=list)  # seconds: GET / then GET /config
    rounds: list[float] = field(default_factory=list)  # seconds, rounds done
    refused: int = 0  # rounds refused as queue full (or by a limit)
    errors: list[str] = field(default_factory=list)
    greedy: Counter = field(default_factory=Counter)  # "run_round 200", "list_sessions 429", ...
    lock: threading.Lock = field(default_factory=threading.Lock)


def cookie_header(client: Client) -> dict[str, str]:
    """The client's cookies (a signed browser id, where the studio gives one), for raw requests as that owner."""
    cookies = getattr(client, "cookies", None) or {}
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def request(url: str, headers: dict, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def page_load(url: str, headers: dict) -> float:
    """GET / then GET /config, as a browser opening the page does first; seconds."""
    started = time.perf_counter()
    for path in ("", "config"):
        status, _ = request(url + path, headers)
        if status != 200:
            raise RuntimeError(f"GET /{path} answered {status}")
    return time.perf_counter() - started


def designer(url: str, number: int, page_loads: int, go: threading.Barrier, phase: Phase) -> None:
    """One well-behaved designer: a session, the page loaded, one small round."""
    client = Client(url, verbose=False, download_files=False)
    try:
        sid = client.predict(f"{BRIEF} ({number})", api_name="/start_session")[0]
        go.wait()
        loads = [page_load(url, cookie_header(client)) for _ in range(page_loads)]
        started = time.perf_counter()
        try:
            status = client.predict(session_id=sid, text="", count=1, steps=1, size=64, guidance=0.0, seed=number,
                                    api_name="/run_round")[2]
        except Exception as err:  # the benchmark's boundary: every failure is counted, none is lost
            with phase.lock:
                if is_queue_full(err):
                    phase.refused += 1
                else:
                    phase.errors.append(f"designer {number} run_round: {type(err).__name__}: {err}")
            status = None
        took = time.perf_counter() - started
        with phase.lock:
            phase.page_loads += loads
            if status is not None and DONE.fullmatch(status or ""):
                phase.rounds.append(took)
            elif status is not None:
                phase.errors.append(f"designer {number} round ended: {status}")
    except Exception as err:  # the benchmark's boundary
        go.abort()
        with phase.lock:
            phase.errors.append(f"designer {number}: {type(err).__name__}: {err}")
    finally:
        client.close()


def join_body(url: str, headers: dict, api_name: str, values: dict) -> dict:
    """The raw /queue/join body of `api_name`: its API parameters by name (else their defaults), None for states."""
    config = json.loads(request(url + "config", headers)[1])
    info = json.loads(request(url + "gradio_api/info", headers)[1])
    dependency = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
    kinds = {c["id"]: c.get("type") for c in config["components"]}
    parameters = iter(info["named_endpoints"][f"/{api_name}"]["parameters"])
    data = []
    for component in dependency["inputs"]:
        if kinds.get(component) == "state":
            data.append(None)
            continue
        p = next(parameters)
        data.append(values.get(p["parameter_name"], p.get("parameter_default")))
    return {"data": data, "fn_index": dependency["id"], "trigger_id": None, "event_data": None}


def greedy(url: str, rounds: int, lists: int, go: threading.Barrier, stop: threading.Event, phase: Phase) -> None:
    """One owner firing joins it never listens to, rounds and lists interleaved, until done or stopped."""
    client = Client(url, verbose=False, download_files=False)
    try:
        sids = [client.predict(f"{BRIEF} (greedy {k})", api_name="/start_session")[0] for k in range(GREEDY_SESSIONS)]
        headers = cookie_header(client)
        small = {"text": "", "count": 1, "steps": 1, "size": 64, "guidance": 0.0, "seed": 1}
        run = [join_body(url, headers, "run_round", {**small, "session_id": sid}) for sid in sids]
        listing = join_body(url, headers, "list_sessions", {})
        go.wait()
        plan = sorted([("run_round", k / max(rounds, 1)) for k in range(rounds)]
                      + [("list_sessions", k / max(lists, 1)) for k in range(lists)], key=lambda e: e[1])
        for n, (kind, _) in enumerate(plan):
            if stop.is_set():
                break
            body = run[n % len(run)] if kind == "run_round" else listing
            # Its own connection and cookies: one owner, whether the studio knows callers by either.
            status, _ = request(url + "gradio_api/queue/join", headers, {**body, "session_hash": client.session_hash})
            with phase.lock:
                phase.greedy[f"{kind} {status}"] += 1
    except Exception as err:  # the benchmark's boundary
        go.abort()
        with phase.lock:
            phase.errors.append(f"greedy: {type(err).__name__}: {err}")
    finally:
        client.close()


def run_phase(url: str, designers: int, page_loads: int, greedy_joins: tuple[int, int] | None,
              limit_s: float) -> tuple[Phase, float]:
    phase, stop = Phase(), threading.Event()
    go = threading.Barrier(designers + (greedy_joins is not None), timeout=STARTUP_S)
    threads = [threading.Thread(target=designer, args=(url, n, page_loads, go, phase), daemon=True)
               for n in range(designers)]
    rogue = (threading.Thread(target=greedy, args=(url, *greedy_joins, go, stop, phase), daemon=True)
             if greedy_joins else None)
    started = time.perf_counter()
    for t in threads + ([rogue] if rogue else []):
        t.start()
    for n, t in enumerate(threads):
        t.join(max(0.0, started + limit_s - time.perf_counter()))
        if t.is_alive():
            phase.errors.append(f"designer {n} did not finish within {limit_s:.0f} s")
    stop.set()
    if rogue:
        rogue.join(60)
    return phase, time.perf_counter() - started


def figures(phase: Phase, wall: float) -> dict:
    return {"page_load_p50_s": percentile(phase.page_loads, 50), "page_load_p95_s": percentile(phase.page_loads, 95),
            "round_p50_s": percentile(phase.rounds, 50), "round_p95_s": percentile(phase.rounds, 95),
            "rounds_done": len(phase.rounds), "rounds_refused": phase.refused, "page_loads": len(phase.page_loads),
            "greedy_joins": dict(sorted(phase.greedy.items())), "errors": phase.errors[:10], "wall_s": round(wall, 1)}


def run(designers: int, page_loads: int, greedy_rounds: int, greedy_lists: int, work: Path, limit_s: float) -> dict:
    with running_studio(work, queue_size=64, gpu_concurrency=2) as (url, _process, _log):
        warm = Client(url, verbose=False, download_files=False)  # the models load outside the measurement
        try:
            sid = warm.predict(BRIEF, api_name="/start_session")[0]
            warm.predict(session_id=sid, text="", count=1, steps=1, size=64, guidance=0.0, seed=0,
                         api_name="/run_round")
        finally:
            warm.close()
        alone = figures(*run_phase(url, designers, page_loads, None, limit_s))
        beside = figures(*run_phase(url, designers, page_loads, (greedy_rounds, greedy_lists), limit_s))
    return {"designers": designers, "page_loads_each": page_loads, "greedy_rounds": greedy_rounds,
            "greedy_lists": greedy_lists, "alone": alone, "beside_greedy": beside}


def report(result: dict) -> None:
    def secs(value):
        return "-" if value is None else f"{value:.2f} s"

    print(f"greedy: {result['designers']} designers (1 round of 1 candidate, 64 px, 1 step; "
          f"{result['page_loads_each']} page loads each), alone and beside one owner firing "
          f"{result['greedy_rounds']} run_round and {result['greedy_lists']} list_sessions joins; tiny preset")
    print("| phase | page load p50 | p95 | round p50 | p95 | rounds done | refused | wall |")
    print("|---|---|---|---|---|---|---|---|")
    for name, key in (("alone", "alone"), ("beside the greedy owner", "beside_greedy")):
        f = result[key]
        print(f"| {name} | {secs(f['page_load_p50_s'])} | {secs(f['page_load_p95_s'])} | {secs(f['round_p50_s'])} "
              f"| {secs(f['round_p95_s'])} | {f['rounds_done']}/{result['designers']} | {f['rounds_refused']} "
              f"| {f['wall_s']} s |")
    print("greedy joins (kind HTTP status: count): " + (", ".join(
        f"{k}: {v}" for k, v in result["beside_greedy"]["greedy_joins"].items()) or "none"))
    for key in ("alone", "beside_greedy"):
        for error in result[key]["errors"]:
            print(f"  error ({key}): {error}")
    print("RESULT " + json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/greedy.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--designers", type=int, default=8, help="well-behaved designers at once (default 8)")
    parser.add_argument("--page-loads", type=int, default=3, help="page loads each designer times (default 3)")
    parser.add_argument("--greedy-rounds", type=int, default=40, help="run_round joins the greedy fires (default 40)")
    parser.add_argument("--greedy-lists", type=int, default=200,
                        help="list_sessions joins the greedy fires (default 200)")
    parser.add_argument("--limit", type=float, default=600, help="seconds a phase's designers may take (default 600)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the data folder and studio.log go")
    args = parser.parse_args(argv)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="greedy-"))
    work.mkdir(parents=True, exist_ok=True)
    report(run(args.designers, args.page_loads, args.greedy_rounds, args.greedy_lists, work, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
