"""Fixtures for the remote backends: real servers on loopback (tests/remote/chat_server.py), one a run where they can be shared.

Tiny models have random weights: these tests prove plumbing (streams, stops, failures), never a good reply.
"""
from __future__ import annotations

import pytest

from chat_server import Served, start_server, talkative_qwen2


@pytest.fixture(scope="session")
def talkative_model(tmp_path_factory):
    """A tiny Qwen2 whose greedy replies stream as many pieces (see `talkative_qwen2`)."""
    pytest.importorskip("openai")
    return talkative_qwen2(tmp_path_factory.getbasetemp() / "talkative-qwen2")


@pytest.fixture(scope="session")
def chat_server(talkative_model, tmp_path_factory) -> Served:
    """One `transformers serve` of the talkative Qwen2 for the run (a server start costs ~20 s), with a hold (`Served.hold`) tests may put on."""
    workdir = tmp_path_factory.mktemp("chat-server")
    with start_server(talkative_model, workdir, hold=workdir / "hold") as served:
        yield served
