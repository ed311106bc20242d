"""Shared fixtures: offline, the tiny preset, one model registry for the whole run."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
# Studios the tests start load their models at the first round, as they did before preloading existed: a
# test that never runs a round spends no CPU on loading. tests/test_app.py checks the preload itself.
os.environ.setdefault("DC_PRELOAD", "0")

import pytest  # noqa: E402

from pipelines.presets import PRESETS  # noqa: E402
from pipelines.registry import ModelRegistry  # noqa: E402
from studio.engine import Studio  # noqa: E402
from studio.services.sessions import Store  # noqa: E402


@pytest.fixture(scope="session")
def tiny_registry() -> ModelRegistry:
    """Tiny models load once per test run, as they load once per studio process."""
    return ModelRegistry(PRESETS["tiny"])


@pytest.fixture
def store(tmp_path) -> Store:
    with Store(tmp_path / "data") as store:
        yield store


@pytest.fixture
def studio(store, tiny_registry) -> Studio:
    return Studio(store, tiny_registry)
