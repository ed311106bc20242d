"""An operator says where each model role runs, by flag or environment; bad values are refused with what to type."""
import pytest

from pipelines.backends import Backends, RayPool, RemoteChat
from pipelines.presets import PRESETS
from pipelines.registry import ModelRegistry
from studio.settings import parse_settings


def test_by_default_every_role_runs_in_this_process():
    assert parse_settings([]).backends == Backends()


def test_the_refiner_and_a_seeing_critic_on_llm_servers_by_flag():
    backends = parse_settings(["--refiner-url", "http://127.0.0.1:8000/v1/", "--refiner-model", "qwen",
                               "--vlm-url", "https://api.example.com/v1", "--vlm-model", "gpt-4o",
                               "--vlm-key-env", "EXAMPLE_KEY", "--llm-timeout", "12", "--llm-context", "32768"]).backends
    assert backends.refiner == RemoteChat("http://127.0.0.1:8000/v1", "qwen", "OPENAI_API_KEY", timeout_s=12,
                                          context_tokens=32768)
    assert backends.vlm == RemoteChat("https://api.example.com/v1", "gpt-4o", "EXAMPLE_KEY", timeout_s=12,
                                      context_tokens=32768)
    assert backends.generator is None


def test_the_generator_pool_by_environment(monkeypatch):
    monkeypatch.setenv("DC_GENERATOR", "ray://10.0.0.5:10001")
    monkeypatch.setenv("DC_REPLICAS", "2")
    monkeypatch.setenv("DC_MAX_REPLICAS", "8")
    monkeypatch.setenv("DC_GPUS_PER_REPLICA", "1")
    assert parse_settings([]).backends.generator == RayPool("ray://10.0.0.5:10001", min_replicas=2, max_replicas=8,
                                                            gpus_per_replica=1.0)
    assert parse_settings(["--generator", "ray:local"]).backends.generator.address == "local"
    assert parse_settings(["--generator", "ray:auto"]).backends.generator.address == "auto"


@pytest.mark.parametrize("flags, said", [
    (["--refiner-url", "127.0.0.1:8000/v1", "--refiner-model", "qwen"], "with its scheme"),
    (["--refiner-url", "http://127.0.0.1:8000/v1"], "needs --refiner-model"),
    (["--vlm-url", "http://127.0.0.1:8000/v1"], "needs --vlm-model"),
    (["--refiner-url", "http://h/v1", "--refiner-model", "m", "--llm-timeout", "0"], "above 0"),
    (["--refiner-url", "http://h/v1", "--refiner-model", "m", "--llm-context", "100"], "1024 tokens or more"),
    (["--generator", "banana"], "ray://HOST:PORT"),
    (["--generator", "ray:local", "--replicas", "0"], "1 or more"),
    (["--generator", "ray:local", "--replicas", "3", "--max-replicas", "2"], "at least as many"),
    (["--generator", "ray:local", "--gpus-per-replica", "-1"], "0 or more"),
])
def test_a_wrong_place_is_refused_with_what_to_type(flags, said, capsys):
    with pytest.raises(SystemExit):
        parse_settings(flags)
    assert said in capsys.readouterr().err


def test_a_vlm_model_without_a_server_is_a_critic_that_sees_in_this_process():
    backends = parse_settings(["--vlm-model", "tiny/llava"]).backends
    assert (backends.vlm, backends.local_vlm) == (None, "tiny/llava")
    registry = ModelRegistry(PRESETS["tiny"], backends=backends)
    assert registry.preset.vlm.model_id == "tiny/llava" and registry.preset.models["vlm"].family == "llava"
    viewer = registry.critic().viewer
    assert viewer.model_id == "tiny/llava" and viewer is registry.viewer()  # loaded once, behind the device lock
    assert ModelRegistry(PRESETS["tiny"]).viewer() is None  # the tiny preset's critic is captioner + VQA


def test_a_served_role_is_named_by_its_server_where_the_page_and_each_round_list_the_models():
    backends = parse_settings(["--refiner-url", "http://gpu-box:8000/v1", "--refiner-model", "Qwen/Qwen2.5-7B-Instruct",
                               "--vlm-url", "https://api.openai.com/v1", "--vlm-model", "gpt-4o",
                               "--generator", "ray://10.0.0.5:10001"]).backends
    models = ModelRegistry(PRESETS["tiny"], backends=backends).preset.models
    assert models["refiner"].model_id == "Qwen/Qwen2.5-7B-Instruct at http://gpu-box:8000/v1"
    assert models["vlm"].model_id == "gpt-4o at https://api.openai.com/v1"
    assert models["generator"] == PRESETS["tiny"].generator  # the pool serves the preset's own generator
    assert "license" in models["refiner"].license


def test_a_refiner_on_a_server_needs_no_weights_of_its_own_here(tmp_path, monkeypatch):
    from pipelines.presets import missing_weights

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))  # an empty cache: every real model is missing
    assert "Qwen/Qwen2.5-0.5B-Instruct" in missing_weights(PRESETS["cpu"])
    served = missing_weights(PRESETS["cpu"], served=("refiner",))
    assert "Qwen/Qwen2.5-0.5B-Instruct" not in served and "stabilityai/sd-turbo" in served
