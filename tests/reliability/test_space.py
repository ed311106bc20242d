"""Item 12: on a Hugging Face Space without persistent storage the page says history will be
lost; with the data folder on persistent storage, sessions survive a restart.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradio_client import Client

import studio.settings
import studio.services.sessions
from kit import BRIEF, studio_process
from server import hang_up
from studio.settings import parse_settings, storage_notes
from studio.services.sessions import Store

NOT_PERSISTENT = "This Space has no persistent storage: sessions are lost when it restarts."


@pytest.fixture
def on_a_space(monkeypatch):
    for name in ("DC_DATA_DIR", "DC_HOST", "DC_SAFETY", "OAUTH_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPACE_ID", "design-studio/demo")
    monkeypatch.setenv("DC_ALLOW_ANONYMOUS", "1")  # a public demo Space, without sign-in: the host says so


@pytest.fixture
def persistent_storage(monkeypatch, tmp_path) -> Path:
    """A stand-in for a Space's /data: both modules that name it see the stand-in."""
    folder = tmp_path / "persistent"
    folder.mkdir()
    monkeypatch.setattr(studio.services.sessions, "SPACE_DATA_DIR", folder)
    monkeypatch.setattr(studio.settings, "SPACE_DATA_DIR", folder)
    return folder


def test_a_space_with_its_data_outside_persistent_storage_warns(on_a_space, tmp_path):
    notes = storage_notes(parse_settings(["--data-dir", str(tmp_path / "data")]))
    assert len(notes) == 1 and str(notes[0]).startswith(NOT_PERSISTENT)


def test_a_space_with_persistent_storage_keeps_its_data_there_and_does_not_warn(on_a_space, persistent_storage,
                                                                               monkeypatch):
    settings = parse_settings([])
    assert settings.data_dir == persistent_storage / "design-collaborator"
    assert storage_notes(settings) == []
    monkeypatch.setenv("DC_DATA_DIR", str(persistent_storage / "studio"))
    assert storage_notes(parse_settings([])) == []


def test_a_folder_that_only_starts_like_persistent_storage_warns(on_a_space, persistent_storage):
    lookalike = persistent_storage.parent / (persistent_storage.name + "-not")
    assert storage_notes(parse_settings(["--data-dir", str(lookalike)])) != []


def test_off_a_space_nothing_is_said_about_storage(monkeypatch, tmp_path):
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert storage_notes(parse_settings(["--data-dir", str(tmp_path / "data")])) == []


def test_the_page_warns_and_sessions_survive_a_restart(tmp_path):
    """Signed in as alice (her owner id survives the restart; an API client's connection would not)."""
    data = tmp_path / "data"
    env = {"SPACE_ID": "design-studio/demo", "DC_DATA_DIR": str(data), "DC_HOST": "127.0.0.1",
           "DC_AUTH": "alice:jazz-night-2024"}
    with studio_process(env=env, log_dir=tmp_path) as running:
        client = Client(running.url, auth=("alice", "jazz-night-2024"), verbose=False)
        assert NOT_PERSISTENT in json.dumps(client.config)  # the page's banner
        sid, *_ = client.predict(BRIEF, api_name="/start_session")
        hang_up(client)
        log = running.log
    assert NOT_PERSISTENT in log
    assert "image safety check on" in log  # a Space is public: --safety auto turns it on

    with studio_process(env=env, log_dir=tmp_path) as running:
        client = Client(running.url, auth=("alice", "jazz-night-2024"), verbose=False)
        _radio, listed = client.predict(api_name="/list_sessions")
        opened_sid, chat, *_ = client.predict(sid, api_name="/open_session")
        hang_up(client)
    assert [(s["id"], s["title"]) for s in listed] == [(sid, BRIEF)]
    assert opened_sid == sid

    with Store(data) as store:
        session = store.load_session(sid)
    assert (session.owner, session.brief) == ("user-alice", BRIEF)
