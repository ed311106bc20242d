"""The studio as README starts it beyond one machine: `python app.py --preset tiny` with its refiner on a real
`transformers serve` and its generator on a Ray Serve pool it starts (`ray:local`), driven through gradio_client.

Tiny models: this proves the plumbing between the studio, the LLM server and the pool, never a good image."""
from __future__ import annotations

import pytest
from gradio_client import Client

from server import hang_up, studio_process

pytest.importorskip("ray.serve")

BRIEF = "a poster for a jazz night, art deco, navy and gold"


def test_a_round_through_the_api_with_the_refiner_on_an_llm_server_and_the_generator_on_a_ray_pool(
        chat_server, tmp_path):
    asked_before = chat_server.log.read_text().count("POST /v1/chat/completions")
    with studio_process("--data-dir", str(tmp_path / "data"), "--refiner-url", chat_server.base_url,
                        "--refiner-model", chat_server.model, "--refiner-key-env", "", "--generator", "ray:local",
                        "--replicas", "1", log_dir=tmp_path, startup_s=120) as studio:
        designer = Client(studio.url, verbose=False)
        try:
            sid, *_ = designer.predict(BRIEF, api_name="/start_session")
            *_, status, details, _index = designer.predict(
                session_id=sid, text="", count=2, steps=2, size=64, guidance=0.0, seed=7,
                api_name="/run_round")[:5]
        finally:
            hang_up(designer)
        log = studio.log

    assert details["status"] == "done", (status, log[-3000:])
    assert len(details["candidates"]) == 2
    assert "generator on the Ray pool at local" in log and "deploying the generator pool" in log
    assert chat_server.log.read_text().count("POST /v1/chat/completions") > asked_before  # the refiner was the server
    assert f"{chat_server.model} at {chat_server.base_url}" in str(details)  # the round records which model answered
