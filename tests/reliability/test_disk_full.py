"""A full disk mid-run: one line naming what was kept, and no half-written checkpoint left to resume from."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.config import RunConfig
from engine.events import FinishedEvent, read_events
from engine.train import TrainError, train


def test_a_full_disk_while_saving_keeps_the_last_checkpoint_and_says_so(
    make_config: Callable[..., RunConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import Trainer

    real_save = Trainer._save_checkpoint
    saves: list[int] = []

    def save_until_the_disk_fills(self: Any, model: Any, trial: Any) -> None:
        saves.append(self.state.global_step)
        if len(saves) == 1:
            return real_save(self, model, trial)
        folder = Path(self.args.output_dir) / f"checkpoint-{self.state.global_step}"
        (folder / "adapter_model.safetensors").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "optimizer.pt"))

    monkeypatch.setattr(Trainer, "_save_checkpoint", save_until_the_disk_fills)
    config = make_config(max_steps=3, save_steps=1)
    output = Path(config.output_dir)
    with pytest.raises(TrainError) as caught:
        train(config)
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        f"the disk is full writing {output / 'checkpoint-2' / 'optimizer.pt'}; "
        f"the last complete checkpoint is {output / 'checkpoint-1'} (half-written files were removed)"
    )
    assert sorted(p.name for p in output.glob("checkpoint-*")) == ["checkpoint-1"]
    finished = read_events(output / "events.jsonl")[-1]
    assert isinstance(finished, FinishedEvent) and finished.status == "failed"


def _full_disk_in_safetensors() -> Exception:
    """The error safetensors raises on a full disk: its own type, not an OSError, the OS error only in its text."""
    from safetensors import SafetensorError

    return SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")


def test_a_full_disk_in_safetensors_is_worded_as_a_full_disk(
    make_config: Callable[..., RunConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import Trainer

    real_save = Trainer._save_checkpoint
    saves: list[int] = []

    def save_until_the_disk_fills(self: Any, model: Any, trial: Any) -> None:
        saves.append(self.state.global_step)
        if len(saves) == 1:
            return real_save(self, model, trial)
        raise _full_disk_in_safetensors()

    monkeypatch.setattr(Trainer, "_save_checkpoint", save_until_the_disk_fills)
    config = make_config(max_steps=3, save_steps=1)
    output = Path(config.output_dir)
    with pytest.raises(TrainError) as caught:
        train(config)
    assert str(caught.value) == (
        f"the disk is full; the last complete checkpoint is {output / 'checkpoint-1'} (half-written files were removed)"
    )


def test_a_full_disk_in_the_final_save_keeps_the_last_checkpoint_and_no_half_adapter(
    make_config: Callable[..., RunConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import Trainer

    real_save = Trainer.save_model

    def save_until_the_disk_fills(self: Any, output_dir: str | None = None, _internal_call: bool = False) -> None:
        if _internal_call:  # a checkpoint's weights
            return real_save(self, output_dir, _internal_call)
        (Path(output_dir or self.args.output_dir) / "adapter_model.safetensors").write_bytes(b"half")
        raise _full_disk_in_safetensors()

    monkeypatch.setattr(Trainer, "save_model", save_until_the_disk_fills)
    config = make_config(max_steps=2, save_steps=1)
    output = Path(config.output_dir)
    with pytest.raises(TrainError) as caught:
        train(config)
    assert str(caught.value) == (
        f"the disk is full; the last complete checkpoint is {output / 'checkpoint-2'} (half-written files were removed)"
    )
    assert not (output / "adapter_model.safetensors").exists()
    assert (output / "checkpoint-2" / "adapter_model.safetensors").is_file()
    finished = read_events(output / "events.jsonl")[-1]
    assert isinstance(finished, FinishedEvent) and finished.status == "failed"


def test_a_full_disk_at_the_run_lock_is_one_line(
    make_config: Callable[..., RunConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.runs import folder

    def no_space(path: Path) -> bool:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(folder, "create_lock", no_space)
    config = make_config()
    with pytest.raises(TrainError) as caught:
        train(config)
    assert str(caught.value) == (
        f"the disk is full: cannot write the run lock in '{config.output_dir}'; "
        "free some space or set output_dir to a folder on another disk"
    )
