"""Resolving base_model: local folders, caches, gated ids and the offline error, all without touching the network."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.models import hub
from engine.models.errors import ModelResolutionError
from engine.models.resolve import resolve_model
from tests.conftest import UserFolders
from tests.models.conftest import LLAMA_CONFIG, write_config


def test_a_local_folder_resolves_to_itself(tmp_path: Path) -> None:
    folder = write_config(tmp_path / "my-model", LLAMA_CONFIG)

    assert resolve_model(str(folder)) == folder.resolve()


def test_a_local_folder_without_config_json_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelResolutionError, match=r"has no config.json; point it at a Hugging Face model folder"):
        resolve_model(str(tmp_path))


@pytest.mark.parametrize("base_model", ["./missing-model", "/no/such/model/folder"])
def test_a_missing_path_is_not_mistaken_for_a_hub_id(base_model: str) -> None:
    with pytest.raises(ModelResolutionError, match="no such folder"):
        resolve_model(base_model)


def test_an_invalid_hub_id_is_refused_before_any_lookup() -> None:
    with pytest.raises(ModelResolutionError, match="neither an existing local folder nor a valid hub id"):
        resolve_model("not a model!")


def test_unknown_model_offline_fails_fast_and_says_where_it_looked(
    user_folders: UserFolders, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fast means no network at all: with the hub declared offline, nothing may even try to connect."""

    def no_network(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an offline resolve must not open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(ModelResolutionError) as error:
        resolve_model("some-org/not-downloaded")

    message = str(error.value)
    assert str(user_folders.hf_hub_cache) in message
    assert str(user_folders.cache / "models" / "some-org--not-downloaded") in message
    assert "hub is unreachable (HF_HUB_OFFLINE is set)" in message
    assert "`hf download some-org/not-downloaded`" in message and "local model folder" in message


def test_a_complete_hugging_face_cache_entry_is_used(hf_cache_entry: Callable[..., Path]) -> None:
    snapshot = hf_cache_entry("some-org/cached", {"config.json": "{}", "model.safetensors": ""})

    assert resolve_model("some-org/cached") == snapshot


def test_a_cache_entry_without_weights_is_not_enough(hf_cache_entry: Callable[..., Path]) -> None:
    hf_cache_entry("some-org/config-only", {"config.json": "{}"})

    with pytest.raises(ModelResolutionError, match="hub is unreachable"):
        resolve_model("some-org/config-only")


def test_a_converted_model_is_used_without_network(user_folders: UserFolders) -> None:
    folder = write_config(user_folders.cache / "models" / "some-org--converted", LLAMA_CONFIG)

    assert resolve_model("some-org/converted") == folder


def test_a_gated_model_without_a_token_names_the_login_command() -> None:
    with pytest.raises(ModelResolutionError, match=r"gated model and no Hugging Face token.*`hf auth login`"):
        resolve_model("meta-llama/Llama-3.2-1B-Instruct")


def test_a_gated_model_with_a_token_passes_the_token_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")

    with pytest.raises(ModelResolutionError, match="hub is unreachable") as error:
        resolve_model("google/gemma-3-1b-it")
    assert "is a gated model" not in str(error.value)  # the tmp path holds the test name


def test_public_models_need_no_token() -> None:
    assert not hub.is_gated("Qwen/Qwen2.5-0.5B-Instruct")
    assert hub.is_gated("mistralai/Mistral-7B-Instruct-v0.3")


def test_the_hub_probe_gives_up_within_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that accepts the connection and then says nothing must not hold the probe past its timeout."""
    with socket.socket() as silent_server:
        silent_server.bind(("127.0.0.1", 0))
        silent_server.listen(1)
        endpoint = f"https://127.0.0.1:{silent_server.getsockname()[1]}"
        monkeypatch.delenv("HF_HUB_OFFLINE")
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        monkeypatch.setattr(hub, "PROBE_TIMEOUT_S", 0.3)

        reason = hub.hub_offline_reason()

    assert reason == f"{endpoint} did not answer within 0.3 s"
