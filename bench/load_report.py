"""bench/load.py's printout: a paragraph per client count, and the sweep's table in Markdown."""
from __future__ import annotations


def secs(value) -> str:
    return "-" if value is None else f"{value:.2f} s"


def share(value) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def report(result: dict) -> None:
    print(f"load: {result['clients']} clients x {result['rounds_per_client']} rounds, queue size "
          f"{result['queue_size']}, GPU concurrency {result['gpu_concurrency']}, {result['candidates']} "
          f"candidate(s) at 64 px / 2 steps, tiny preset {' '.join(result['studio_args'])}")
    print(f"rounds: {result['completed']} done, {result['queue_full']} refused as queue full, "
          f"{result['other_errors']} other errors, {result['starts_refused']} sessions never started "
          f"({result['wall_s']:.1f} s)")
    print(f"throughput: {result['rounds_per_s']} rounds/s; latency p50 {secs(result['latency_p50_s'])}, "
          f"p95 {secs(result['latency_p95_s'])}")
    print(f"server RSS: {result['rss_start_mb']} MB at start, max {result['rss_max_mb']} MB, "
          f"growth first to last quarter {result['rss_growth_mb']:+} MB ({result['rss_samples']} samples)")
    print(f"CPU: studio process {result['studio_cpu_cores']} cores, its child processes "
          f"{result['children_cpu_cores']} cores, the bench's Ray cluster {result.get('pool_cpu_cores', '-')} cores, "
          f"of {result['machine_cores']} (load average "
          f"{result['load_average_1m']}); GIL held {share(result.get('gil_busy'))}: studio "
          f"{share(result.get('gil_studio'))}, models {share(result.get('gil_models'))}")
    for frame, samples in result.get("gil_top_studio") or ():
        print(f"  studio GIL time: {samples:6d} samples in {frame}")
    print(f"'database is locked' in the server log: {result['database_locked_in_log']}")
    for error in result["errors"]:
        print(f"  error: {error}")


TABLE = ("| clients | rounds done | rounds/s | p50 | p95 | studio CPU (cores) | studio CPU s / round | "
         "child processes' CPU | Ray cluster's CPU | GIL held: studio / models | load avg |")


def table(results: list[dict]) -> None:
    """One Markdown row per client count: bench/README.md takes it as it is."""
    print(TABLE)
    print("|" + "---|" * TABLE.count(" | ") + "---|")
    for r in results:
        per_round = r["studio_cpu_cores"] * r["wall_s"] / r["completed"] if r["completed"] else None
        print(f"| {r['clients']} | {r['completed']} | {r['rounds_per_s']} | {secs(r['latency_p50_s'])} | "
              f"{secs(r['latency_p95_s'])} | {r['studio_cpu_cores']} | {secs(per_round)} | {r['children_cpu_cores']} | "
              f"{r.get('pool_cpu_cores', '-')} | "
              f"{share(r.get('gil_studio'))} / {share(r.get('gil_models'))} | {r['load_average_1m']} |")
