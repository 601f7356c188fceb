"""Weights & Biases set-up: a clear message without the package or a key, a hidden prompt when one can ask."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.config import parse_config_dict
from engine.rules import CATALOG, check_config, declared_target
from engine.train import TrainError
from engine.train.tracking import WANDB_ENV, WANDB_OUTPUT_ENV, report_to

REAL_FIND_SPEC = importlib.util.find_spec


@pytest.fixture(autouse=True)
def no_wandb_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No key, no W&B settings, and every variable the set-up writes restored afterwards: setting it first makes
    monkeypatch remember it, so a value the code under test exports cannot leak into later tests' subprocesses."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for variable in ("WANDB_API_KEY", *WANDB_ENV.values(), *WANDB_OUTPUT_ENV):
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)


def wandb_installed(monkeypatch: pytest.MonkeyPatch, installed: bool) -> None:
    def find_spec(name: str, *args: Any) -> Any:
        if name == "wandb":
            return object() if installed else None
        return REAL_FIND_SPEC(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def config(**keys: Any) -> Any:
    return parse_config_dict({"wandb_project": "demo", **keys})


def test_no_tracking_without_a_project() -> None:
    assert report_to(parse_config_dict({})) == []


def test_missing_package_names_the_install_and_the_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    wandb_installed(monkeypatch, False)
    with pytest.raises(TrainError, match=r"pip install 'ft-tui\[wandb\]', or remove wandb_project"):
        report_to(config())


def test_a_detached_run_cannot_ask_for_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    wandb_installed(monkeypatch, True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    with pytest.raises(TrainError, match="export WANDB_API_KEY"):
        report_to(config(), ask=lambda prompt: pytest.fail("must not prompt"))


def test_an_interactive_run_asks_with_hidden_input_and_keeps_the_key_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    wandb_installed(monkeypatch, True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return "secret-key\n"

    assert report_to(config(wandb_entity="team"), ask=ask) == ["wandb"]
    assert "input hidden" in prompts[0]
    assert os.environ["WANDB_API_KEY"] == "secret-key"
    assert (os.environ["WANDB_PROJECT"], os.environ["WANDB_ENTITY"]) == ("demo", "team")
    assert not (Path.home() / ".netrc").exists()


def test_offline_mode_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    wandb_installed(monkeypatch, True)
    assert report_to(config(wandb_mode="offline", use_tensorboard=True)) == ["wandb", "tensorboard"]


def test_wandb_writes_into_the_run_folder_and_keeps_colour_off_a_non_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An offline run wrote ./wandb into the folder it was started from, and W&B's colour codes into a pipe."""
    wandb_installed(monkeypatch, True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    report_to(config(wandb_mode="offline", output_dir=str(tmp_path / "runs" / "one")))
    assert os.environ["WANDB_DIR"] == str(tmp_path / "runs" / "one")
    assert (tmp_path / "runs" / "one").is_dir() and not (tmp_path / "wandb").exists()
    assert os.environ["WANDB_SILENT"] == "true"


def test_a_wandb_dir_the_user_exported_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    wandb_installed(monkeypatch, True)
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "mine"))
    report_to(config(wandb_mode="offline", output_dir=str(tmp_path / "run")))
    assert os.environ["WANDB_DIR"] == str(tmp_path / "mine")


@pytest.mark.parametrize(("installed", "rule_id"), [(False, "wandb.not_installed"), (True, "wandb.no_credentials")])
def test_the_run_refuses_what_the_rule_reports_with_the_same_fix(
    monkeypatch: pytest.MonkeyPatch, installed: bool, rule_id: str
) -> None:
    """The rule and the run ask one module, so `validate` names the problem and the fix the run stops with."""
    wandb_installed(monkeypatch, installed)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    found = {finding.rule_id for finding in check_config(config(), declared_target("cpu"))}
    assert rule_id in found
    with pytest.raises(TrainError) as refused:
        report_to(config(), ask=lambda prompt: pytest.fail("must not prompt"))
    assert CATALOG[rule_id].fix in str(refused.value)


def test_a_netrc_login_satisfies_both(monkeypatch: pytest.MonkeyPatch) -> None:
    wandb_installed(monkeypatch, True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    (Path.home() / ".netrc").write_text("machine api.wandb.ai\n  login user\n  password key\n")
    assert "wandb.no_credentials" not in {f.rule_id for f in check_config(config(), declared_target("cpu"))}
    assert report_to(config(), ask=lambda prompt: pytest.fail("must not prompt")) == ["wandb"]
