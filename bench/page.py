"""Page up: seconds from `python app.py` to the first HTTP 200 of its page, the median of several starts.

    python bench/page.py --preset tiny --starts 5

Each start is a fresh process on a free loopback port with a fresh data folder; models load lazily,
after the page is up, so this is imports, the store, the page's build and Gradio's launch.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python bench/page.py`

from bench.launcher import studio_process  # noqa: E402


def run(preset: str, starts: int) -> dict:
    seconds = []
    for _ in range(starts):
        with tempfile.TemporaryDirectory() as work:
            with studio_process("--data-dir", str(Path(work) / "data"), preset=preset, log_dir=Path(work)) as studio:
                seconds.append(studio.seconds_to_page)
    return {"preset": preset, "starts": starts, "page_up_median_s": statistics.median(seconds),
            "page_up_min_s": min(seconds), "page_up_max_s": max(seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args(argv)
    figures = run(args.preset, args.starts)
    for key, value in figures.items():
        print(f"{key:>18}  {value:.2f}" if isinstance(value, float) else f"{key:>18}  {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
