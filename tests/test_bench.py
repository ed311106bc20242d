"""The round benchmark runs on the tiny preset and prints every figure issue 8 asks for.
It asserts that the figures exist and are sane, never how fast anything is."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ("load_s", "refine_s", "refiner_tokens", "refiner_tokens_per_s", "generate_s", "decode_s", "previews_s",
           "bare_diffusers_s", "caption_s", "vqa_s", "score_s", "store_s", "round_s", "first_preview_s",
           "first_preview_from_render_s", "peak_rss_gb", "generator_over_bare", "overhead_share")


def test_the_round_benchmark_prints_every_figure():
    done = subprocess.run([sys.executable, "bench/round.py", "--preset", "tiny", "--rounds", "1", "--count", "2"],
                          cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True,
                          timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    assert "plumbing figures" in done.stdout  # tiny figures are labelled as such
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for name in FIGURES:
        assert isinstance(figures[name], (int, float)) and math.isfinite(figures[name]), name
        assert figures[name] >= 0, name
        assert name in done.stdout  # printed for people too, not only as JSON
    assert figures["rounds"] == 1 and figures["candidates"] == 2 and figures["plumbing_only"] is True
    assert figures["round_s"] >= figures["generate_s"] and 0 <= figures["overhead_share"] < 1
    assert figures["refiner_tokens"] > 0 and figures["refiner_tokens_per_s"] > 0  # tokens counted, not text
    assert 0 < figures["decode_s"] + figures["previews_s"] < figures["generate_s"]  # parts of the generator stage
    assert 0 < figures["first_preview_from_render_s"] < figures["first_preview_s"]  # the refiner came first


def test_the_page_benchmark_prints_the_seconds_to_the_first_page():
    done = subprocess.run([sys.executable, "bench/page.py", "--preset", "tiny", "--starts", "1"], cwd=ROOT,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["starts"] == 1 and figures["preset"] == "tiny"
    assert 0 < figures["page_up_min_s"] == figures["page_up_median_s"] == figures["page_up_max_s"] < 300
    assert any(line.split()[:1] == ["page_up_median_s"] for line in done.stdout.splitlines())  # for people too


def test_the_roofline_counts_the_flops_of_a_real_size_render_without_weights():
    done = subprocess.run([sys.executable, "bench/roofline.py", "--preset", "cpu", "--count", "1"], cwd=ROOT,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    stages = figures["stages_tflop"]
    assert set(stages) == {"text encoders", "denoiser x 1 steps", "VAE decode", "previews x 1 steps"}
    # SD 2.x's UNet at 512 px is ~0.8 TFLOP an image a step and its VAE decoder ~2.5: the shapes are real.
    assert 0.7 < stages["denoiser x 1 steps"] < 0.9 and 2.2 < stages["VAE decode"] < 2.8
    assert math.isclose(figures["render_tflop"], sum(stages.values()))
    assert figures["render_floor_s"] > 0 and figures["refiner_ceiling_tokens_per_s"] > 0
    assert figures["refiner_max_tokens_first_round"] > figures["refiner_max_tokens_a_round"] > 0


def test_the_greedy_benchmark_prints_both_phases_as_a_table():
    # One join of each kind: the smallest greedy owner that still fires both (each round it fires is rendered).
    done = subprocess.run([sys.executable, "bench/greedy.py", "--designers", "1", "--page-loads", "1",
                           "--greedy-rounds", "1", "--greedy-lists", "1"], cwd=ROOT,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1].removeprefix("RESULT "))
    for phase in ("alone", "beside_greedy"):
        assert figures[phase]["errors"] == [] and figures[phase]["rounds_done"] == 1, figures[phase]
        assert 0 < figures[phase]["page_load_p50_s"] <= figures[phase]["page_load_p95_s"]
        assert 0 < figures[phase]["round_p50_s"] <= figures[phase]["round_p95_s"]
    joins = figures["beside_greedy"]["greedy_joins"]  # "kind status": count, for the joins fired before the end
    assert sum(joins.values()) <= 2 and all(k.split()[0] in ("run_round", "list_sessions") for k in joins)
    assert "| alone |" in done.stdout and "| beside the greedy owner |" in done.stdout  # for people too


def test_the_search_benchmark_prints_latency_for_each_size():
    done = subprocess.run([sys.executable, "bench/search.py", "--sizes", "80", "160", "--queries", "3", "--dim", "16"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert [size["candidates"] for size in figures["sizes"]] == [80, 160]
    for size in figures["sizes"]:
        for kind in ("text_words", "text_chinese_4", "text_chinese_2", "image", "image_cold", "to_embed",
                     "image_numpy_only"):
            assert 0 <= size[kind]["median_ms"] <= size[kind]["p95_ms"], kind
