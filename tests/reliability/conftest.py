"""One studio process for the modules that only need a running studio (files, uploads, isolation):
it starts in a folder of its own, with a relative data folder and a `.env` beside it, as a
deployment would; alice has one finished round in it."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from gradio_client import Client

from kit import BRIEF, round_inputs, studio_process
from server import RunningStudio, hang_up


@dataclass
class Hosted:
    studio: RunningStudio
    cwd: Path  # the studio's working folder: holds `.env` and `data/`
    data_dir: Path  # absolute
    secret: str  # the value in `.env`: it must never come back


@dataclass
class Designer:
    client: Client  # download_files=False: outputs are the URLs the page would load
    sid: str
    gallery: list[dict]  # the last round's gallery as the API returned it


@pytest.fixture(scope="session")
def hosted(tmp_path_factory) -> Hosted:
    cwd = tmp_path_factory.mktemp("site")
    secret = secrets.token_hex(16)
    (cwd / ".env").write_text(f"HF_TOKEN=hf_{secret}\n")
    with studio_process("--data-dir", "data", cwd=cwd, log_dir=cwd) as studio:
        yield Hosted(studio, cwd, cwd / "data", secret)


@pytest.fixture(scope="session")
def alice(hosted) -> Designer:
    """A designer with one finished round of two candidates."""
    client = Client(hosted.studio.url, verbose=False, download_files=False)
    sid, *_ = client.predict(BRIEF, api_name="/start_session")
    _chat, gallery, status, *_ = client.predict(**round_inputs(sid), api_name="/run_round")
    assert status == "Round 1 done.", (status, hosted.studio.log[-3000:])
    yield Designer(client, sid, gallery)
    hang_up(client)
