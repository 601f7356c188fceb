"""Runs that must end with a clear one-line error, never a traceback or a silent wrong result."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.config import ConfigError, RunConfig, parse_config_dict, parse_override_args
from engine.events import FinishedEvent, PhaseEvent, StepEvent, read_events
from tests.train.conftest import engine_command, run_engine, write_config
from tests.waiting import has_event, wait_until

ROOT = Path(__file__).parents[2]


def _poisoned_copy(model_dir: Path, into: Path) -> Path:
    """The tiny model with one weight at infinity: its loss is not finite from the first step, whatever the
    learning rate (an absurd learning rate is refused by the rules before it can run)."""
    import shutil

    from safetensors.torch import load_file, save_file

    shutil.copytree(model_dir, into)
    weights = load_file(into / "model.safetensors")
    name = next(key for key in weights if "embed_tokens" in key)
    weights[name][:, 0] = float("inf")
    save_file(weights, into / "model.safetensors", metadata={"format": "pt"})
    return into


def test_a_non_finite_loss_fails_the_run_without_saving_it(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    base = make_config().base_model
    poisoned = _poisoned_copy(Path(base), tmp_path / "poisoned-model")
    config = make_config(base_model=str(poisoned), max_steps=8, save_steps=1)
    done = run_engine(str(write_config(config, tmp_path / "run.yml")))
    assert done.returncode == 1, done.stderr
    assert "the loss became nan at step" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    events = read_events(Path(config.output_dir) / "events.jsonl")
    finished = events[-1]
    assert isinstance(finished, FinishedEvent) and finished.status == "failed"
    assert all(e.loss == e.loss for e in events if isinstance(e, StepEvent))  # no NaN shown as a loss
    assert not (Path(config.output_dir) / f"checkpoint-{finished.step}").exists()


def test_weights_that_become_non_finite_fail_the_run_instead_of_done(
    make_config: Callable[..., RunConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last step's update ruins the weights while its loss (computed before the update) is still finite: the run
    fails with the reason and saves neither a final adapter nor a checkpoint of those weights."""
    import torch
    from transformers import Trainer

    from engine.train import train

    real_step = Trainer.training_step

    def ruin_the_last_update(self: Trainer, model: Any, *args: Any, **kwargs: Any) -> Any:
        loss = real_step(self, model, *args, **kwargs)
        if self.state.global_step == self.state.max_steps - 1:
            trained = next(p for p in model.parameters() if p.requires_grad)
            trained.grad = torch.full_like(trained, float("inf"))
        return loss

    monkeypatch.setattr(Trainer, "training_step", ruin_the_last_update)
    config = make_config(max_steps=2, save_steps=1, max_grad_norm=0.0)
    output = Path(config.output_dir)
    result = train(config)
    assert result.status == "failed"
    assert result.message == (
        "the trained weights became NaN or infinite at step 2, so the result would be useless; "
        "lower learning_rate or weight_decay (or set max_grad_norm)"
    )
    assert not (output / "adapter_model.safetensors").exists()
    assert not (output / "checkpoint-2").exists()


@pytest.mark.parametrize(
    ("key", "value", "phrase"),
    [
        ("weight_decay", -1.0, "greater than or equal to 0"),
        ("adam_beta1", 1.5, "less than 1"),
        ("adam_beta2", -0.1, "greater than or equal to 0"),
        ("adam_epsilon", 0.0, "greater than 0"),
        ("adam_epsilon", float("inf"), "finite number"),
        ("neftune_noise_alpha", -5.0, "greater than or equal to 0"),
        ("max_grad_norm", 1e300, "less than or equal to"),
        ("loss_watchdog_threshold", -1.0, "greater than 0"),
        ("sample_packing_eff_est", 7.0, "less than or equal to 1"),
        ("num_epochs", 1e300, "less than or equal to"),
        ("save_steps", -1, "greater than 0"),
        ("eval_steps", -1, "greater than 0"),
        ("max_steps", 10**23, "less than or equal to 1000000000"),
        ("learning_rate", float("inf"), "finite number"),
        ("learning_rate", float("nan"), "finite number"),
        ("sequence_len", 10_000_000_000, "less than or equal to"),
        ("base_model", "", "base_model: cannot be empty"),
        ("base_model", "  ", "base_model: cannot be empty"),
        ("output_dir", "", "output_dir: cannot be empty"),
    ],
)
def test_values_that_cannot_work_are_config_errors(key: str, value: object, phrase: str) -> None:
    with pytest.raises(ConfigError, match=phrase):
        parse_config_dict({"base_model": "m", key: value})


@pytest.mark.parametrize("args", [["--lora_r"], ["--max-steps", "--lora-r", "8"], ["--learning-rate"]])
def test_an_option_that_needs_a_value_refuses_to_run_without_one(args: list[str]) -> None:
    with pytest.raises(ConfigError, match="needs a value"):
        parse_override_args(args)


def test_yes_no_options_still_mean_true_alone() -> None:
    assert parse_override_args(["--sample-packing", "--lora-r", "8"]) == {"sample_packing": True, "lora_r": 8}


def test_a_missing_override_value_stops_the_command(make_config: Callable[..., RunConfig], tmp_path: Path) -> None:
    done = run_engine(str(write_config(make_config(), tmp_path / "run.yml")), "--lora_r")
    assert done.returncode == 1
    assert "`--lora_r` needs a value" in done.stderr and "Traceback" not in done.stderr


def test_output_dir_that_is_a_file_is_one_line(make_config: Callable[..., RunConfig], tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    done = run_engine(str(write_config(make_config(output_dir=str(taken)), tmp_path / "run.yml")))
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: output_dir '{taken}' is a file, not a folder; set output_dir to a folder"


def test_ctrl_c_while_libraries_load_exits_130_quietly(make_config: Callable[..., RunConfig], tmp_path: Path) -> None:
    config = make_config()
    path = write_config(config, tmp_path / "run.yml")
    process = subprocess.Popen(engine_command(str(path)), cwd=ROOT, stderr=subprocess.PIPE, text=True)
    # The first event comes just before torch and transformers are imported (engine.train.run._run).
    events_file = Path(config.output_dir) / "events.jsonl"
    wait_until(lambda: has_event(events_file, PhaseEvent), what="starting phase", process=process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
