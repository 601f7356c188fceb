"""The Trainer's loss over packed rows and gradient accumulation is the per-token mean, gradients included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from engine.data.collators import PackedCollator
from engine.train.chunked_loss import use_chunked_loss
from engine.train.packed_attention import use_packed_sdpa
from engine.train.trainer import CountingCollator, PackedTrainer
from tests.tiny import tiny_llama

SEQUENCE_LEN = 32
IGNORE = -100


def samples() -> list[tuple[list[int], list[int]]]:
    """One long sample with 5 trained tokens and three short ones with 8 each: they pack into two rows whose
    trained-token counts differ (5 vs 24), so a mean of per-row means would differ from the per-token mean."""
    generator = torch.Generator().manual_seed(3)
    out = []
    for length, trained in ((30, 5), (10, 8), (10, 8), (10, 8)):
        ids = torch.randint(4, 384, (length,), generator=generator).tolist()
        labels = [IGNORE] * (length - trained) + ids[length - trained :]
        out.append((ids, labels))
    return out


def reference_loss_and_grads(model: Any) -> tuple[float, dict[str, torch.Tensor]]:
    """Every sample on its own (no packing): summed token losses over all trained tokens, then backward."""
    model.zero_grad()
    total, count = torch.zeros(()), 0
    for ids, labels in samples():
        logits = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0, :-1]
        targets = torch.tensor(labels[1:])
        total = total + torch.nn.functional.cross_entropy(logits, targets, ignore_index=IGNORE, reduction="sum")
        count += int((targets != IGNORE).sum())
    loss = total / count
    loss.backward()
    return float(loss), {name: p.grad.clone() for name, p in model.named_parameters()}


class GradientSnapshot:
    """Copies the gradients the optimiser is about to apply (clipping is off in these runs)."""

    def __init__(self) -> None:
        self.grads: dict[str, torch.Tensor] = {}

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None, **_: Any) -> None:
        self.grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def packed_trainer(model: Any, tmp_path: Path, snapshot: GradientSnapshot) -> PackedTrainer:
    import datasets
    from transformers import TrainerCallback, TrainingArguments

    rows = samples()
    dataset = datasets.Dataset.from_dict(
        {"input_ids": [r[0] for r in rows], "labels": [r[1] for r in rows], "length": [len(r[0]) for r in rows]}
    )
    callback = type("Snapshot", (TrainerCallback,), {"on_pre_optimizer_step": snapshot.on_pre_optimizer_step})()
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=1,
        gradient_accumulation_steps=2,
        max_steps=1,
        learning_rate=1e-3,
        max_grad_norm=0.0,
        use_cpu=True,
        report_to=[],
        save_strategy="no",
        logging_steps=1,
        remove_unused_columns=False,
        disable_tqdm=True,
    )
    return PackedTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=CountingCollator(PackedCollator(pad_token_id=3)),
        callbacks=[callback],
        packing=True,
        eval_packing=True,
        sequence_len=SEQUENCE_LEN,
        seed=0,
    )


@pytest.mark.parametrize("chunked_loss", [False, True], ids=["model's loss", "chunked loss"])
@pytest.mark.parametrize("per_sample_attention", [False, True], ids=["block-mask sdpa", "per-sample sdpa"])
def test_accumulated_packed_loss_is_the_per_token_mean(
    tmp_path: Path, per_sample_attention: bool, chunked_loss: bool
) -> None:
    expected_loss, expected_grads = reference_loss_and_grads(tiny_llama().train())
    model = tiny_llama().train()
    if per_sample_attention:
        use_packed_sdpa(model)
    if chunked_loss:
        use_chunked_loss(model)
    snapshot = GradientSnapshot()
    trainer = packed_trainer(model, tmp_path, snapshot)
    trainer.train()
    assert len(trainer.get_train_dataloader()) == 2
    logged = trainer.state.log_history[0]
    assert logged["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert logged["tokens_seen"] == sum(len(ids) for ids, _ in samples())
    for name, grad in expected_grads.items():
        torch.testing.assert_close(snapshot.grads[name], grad, rtol=1e-4, atol=1e-6, msg=name)
