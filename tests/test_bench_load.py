"""bench/load.py's meters: what they count as the studio's own work and what as the models'.
(The load itself runs in tests/reliability/test_load.py.)"""
from __future__ import annotations

import os
import subprocess
import sys
from argparse import ArgumentTypeError

import pytest

from bench.load import client_counts
from bench.studio_cpu import CpuMeter, split_samples

# A child that burns 0.3 s of CPU time (not of wall time: the machine may be busy), says so, and waits.
BURN = """
import sys, time
start = time.process_time()
while time.process_time() - start < 0.3:
    pass
print("burnt", flush=True)
sys.stdin.readline()
"""


def test_a_replica_burning_cpu_in_a_child_process_counts_as_the_childrens_not_the_studios():
    meter = CpuMeter(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "burnt"
        busy = meter.stop()  # while the child lives: an ended child takes its CPU time with it
    finally:
        child.communicate("\n", timeout=30)
    assert 0 < busy["children_cpu_cores"]
    assert busy["studio_cpu_cores"] < busy["children_cpu_cores"]  # the test process itself only waited


def test_gil_samples_in_model_libraries_are_the_models_and_the_rest_the_studios():
    raw = "\n".join([
        "worker (threading.py:1);render (/repo/pipelines/generator.py:80);forward (/venv/torch/nn/module.py:9) 7",
        "worker (threading.py:1);generate (/venv/transformers/generation/utils.py:2) 3",
        "process_events (/venv/gradio/queueing.py:600);dumps (/usr/lib/python3.11/json/encoder.py:9) 5",
        "run (/repo/studio/engine/worker.py:40);save (/venv/PIL/Image.py:2400) 2",
        "not a sample line",
    ])
    assert split_samples(raw) == {"models": 10, "studio": 7}


def test_a_sweep_of_client_counts_is_written_as_a_list():
    assert client_counts("16") == [16]
    assert client_counts("1,2,4,8,16") == [1, 2, 4, 8, 16]
    for wrong in ("", "0,2", "a"):
        with pytest.raises((ArgumentTypeError, ValueError)):
            client_counts(wrong)
