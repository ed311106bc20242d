"""Shared fixtures: offline, the tiny preset, one model registry for the whole run; for the end-to-end tests, one
studio process (`python app.py`) shared by every module that has no need of its own, and Chromium."""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
# Studios the tests start load their models at the first round, as they did before preloading existed: a
# test that never runs a round spends no CPU on loading. tests/test_app.py checks the preload itself.
os.environ.setdefault("DC_PRELOAD", "0")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from pipelines.presets import PRESETS  # noqa: E402
from pipelines.registry import ModelRegistry  # noqa: E402
from server import running_studio  # noqa: E402
from studio.engine import Studio  # noqa: E402
from studio.services.sessions import Store  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


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


# ---------------------------------------------------------------- the end-to-end tests' studio and browser
@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium, driven by Playwright (each designer gets a context of its own: its own cookies and
    storage). One a module, not one a run: Playwright's sync API keeps an event loop running on the main thread while
    it is open, and a later test calling asyncio.run() would fail."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shared_studio(tmp_path_factory):
    """`python app.py --preset tiny` for the end-to-end tests that need no studio of their own (no flags, no
    restart): tests/test_app.py's scripts and the browser tests' designers. Each client or browser is a designer of
    its own, so none sees another's work. Its models load at its first round."""
    with running_studio(tmp_path_factory.mktemp("shared-studio") / "data") as running:
        yield running
