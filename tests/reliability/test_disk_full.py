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
