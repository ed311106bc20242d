"""One round from the command line, as an engineer tries the model layer before the studio."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pipelines.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    # DC_TINY_DIR is inherited: the CLI reads the same tiny cache as the test registry.
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_tiny_round_prints_prompt_captions_scores_timings_and_saves_the_images(tmp_path):
    out = tmp_path / "round"

    result = run_cli("--preset", "tiny", "--brief", "a jazz night poster, navy and gold", "--count", "2",
                     "--seed", "3", "--out", str(out))

    assert result.returncode == 0, result.stderr
    stdout = result.stdout
    assert re.search(r"^prompt: +\S", stdout, re.MULTILINE)
    assert len(re.findall(r"^  caption:", stdout, re.MULTILINE)) == 2
    scores = [float(s) for s in re.findall(r"score (\d+(?:\.\d+)?)", stdout)]
    assert len(scores) == 2 and all(0 <= s <= 100 for s in scores)
    timings = re.search(r"^timings: (.*)$", stdout, re.MULTILINE)
    assert timings and all(stage in timings.group(1) for stage in ("load", "refine", "render", "critique"))
    saved = [Path(p) for p in re.findall(r"->\s+(\S+\.png)$", stdout, re.MULTILINE)]
    assert [p.name for p in saved] == ["candidate-1-seed3.png", "candidate-2-seed4.png"]
    assert all(p.is_file() and p.parent == out for p in saved)


def test_a_real_preset_offline_exits_with_the_model_id_and_no_traceback(tmp_path):
    result = run_cli("--preset", "cpu", "--brief", "a jazz night poster", "--count", "1", "--out", str(tmp_path))

    assert result.returncode != 0
    assert PRESETS["cpu"].refiner.model_id in result.stderr
    assert "--preset tiny" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())  # nothing written
