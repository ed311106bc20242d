"""Model precision: the `--dtype` setting picks it, "auto" picks per device, and a whole round runs in bf16 on
a CPU (the cpu preset's precision where the CPU has bf16 instructions: half the memory)."""
from __future__ import annotations

import pytest
import torch

from pipelines import device
from pipelines.base import SpeedOptions
from pipelines.device import Placement, best_placement
from pipelines.presets import PRESETS
from pipelines.registry import ModelRegistry
from studio.engine import RoundParams, Studio
from studio.engine.events import Finished
from studio.settings import parse_settings


@pytest.mark.parametrize("has_bf16, expected", [(True, torch.bfloat16), (False, torch.float32)])
def test_auto_on_a_cpu_is_bf16_only_where_the_cpu_has_bf16_instructions(monkeypatch, has_bf16, expected):
    monkeypatch.setattr(device, "cpu_has_bf16", lambda: has_bf16)

    assert best_placement("auto", prefer="cpu") == Placement("cpu", expected)


def test_auto_on_cuda_is_bf16_or_fp16_on_older_cards(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert best_placement("auto", prefer="cuda").dtype == torch.float16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert best_placement("auto", prefer="cuda").dtype == torch.bfloat16


def test_an_explicit_dtype_wins_and_an_unknown_one_is_refused():
    assert best_placement("float32", prefer="cpu") == Placement("cpu", torch.float32)
    with pytest.raises(ValueError, match="dtype is one of auto, bfloat16, float16, float32, not 'fp8'"):
        best_placement("fp8", prefer="cpu")


def test_the_setting_reaches_the_registry(monkeypatch):
    monkeypatch.setattr(device, "cpu_has_bf16", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)

    assert parse_settings(["--dtype", "bfloat16"]).speed.dtype == "bfloat16"
    monkeypatch.setenv("DC_DTYPE", "float32")
    assert parse_settings([]).speed.dtype == "float32"
    assert ModelRegistry(PRESETS["cpu"], speed=SpeedOptions(dtype="float32")).placement.dtype == torch.float32
    assert ModelRegistry(PRESETS["cpu"]).placement.dtype == torch.bfloat16  # auto, bf16 instructions
    # tiny keeps fp32 under auto, so the tests behave the same on every machine
    assert ModelRegistry(PRESETS["tiny"]).placement.dtype == torch.float32
    assert ModelRegistry(PRESETS["tiny"], speed=SpeedOptions(dtype="bfloat16")).placement.dtype == torch.bfloat16


def test_a_whole_round_runs_in_bf16_on_a_cpu(store):
    registry = ModelRegistry(PRESETS["tiny"], Placement("cpu", torch.bfloat16))
    studio = Studio(store, registry)
    session = studio.start_session("alice", "a jazz night poster, navy and gold")

    events = list(studio.run_round("alice", session.id, "", RoundParams(count=2)))

    assert isinstance(events[-1], Finished), events[-1]
    done = events[-1].round
    assert done.status.value == "done" and len(done.candidates) == 2
    assert all(c.critique is not None and c.score is not None and 0 <= c.score <= 100 for c in done.candidates)
    assert registry.generator().pipe.unet.dtype == torch.bfloat16
    assert registry.refiner().model.dtype == torch.bfloat16
