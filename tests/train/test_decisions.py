"""The engine's own decisions and config mappings: pure functions, no model needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.config import RunConfig, parse_config_dict
from engine.config.intervals import eval_interval, save_interval
from engine.train import TrainError, decisions
from engine.train.checkpoints import find_checkpoints, find_resume_checkpoint
from tests.tiny import fake_checkpoint


def config(**keys: object) -> RunConfig:
    return parse_config_dict({"datasets": [{"path": "rows.json", "type": "alpaca"}], **keys})


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"evals_per_epoch": 4}, ("steps", 25)),
        ({"eval_steps": 10}, ("steps", 10)),
        ({"eval_steps": 0.25}, ("steps", 0.25)),
        ({"eval_strategy": "epoch"}, ("epoch", None)),
        ({}, ("epoch", None)),
        ({"evals_per_epoch": 0}, ("no", None)),
    ],
)
def test_eval_interval_follows_axolotls_precedence(keys: dict[str, object], expected: tuple[str, object]) -> None:
    interval = eval_interval(config(val_set_size=0.1, **keys), steps_per_epoch=100, has_eval=True)
    assert (interval.strategy, interval.steps) == expected


def test_no_eval_data_means_no_evaluation() -> None:
    assert eval_interval(config(evals_per_epoch=4), 100, has_eval=False).strategy == "no"


def test_saves_per_epoch_never_rounds_to_zero() -> None:
    assert save_interval(config(saves_per_epoch=10), steps_per_epoch=3).steps == 1


def test_cosine_min_lr_ratio_becomes_transformers_min_lr_schedule() -> None:
    assert decisions.scheduler(config(lr_scheduler="cosine", cosine_min_lr_ratio=0.1)) == (
        "cosine_with_min_lr",
        {"min_lr_rate": 0.1},
    )
    assert decisions.scheduler(config(lr_scheduler="linear")) == ("linear", {})


def test_warmup_ratio_and_steps_map_onto_one_argument() -> None:
    assert decisions.warmup(config(warmup_ratio=0.05)) == 0.05
    assert decisions.warmup(config(warmup_steps=10)) == 10
    assert decisions.warmup(config()) == 0


def test_gradient_clipping_defaults_to_one() -> None:
    assert decisions.max_grad_norm(config()) == 1.0
    assert decisions.max_grad_norm(config(max_grad_norm=0)) == 0


def test_bf16_lora_keeps_frozen_weights_in_bf16_but_a_full_fine_tune_in_fp32() -> None:
    assert decisions.weight_dtype(config(bf16=True), "cpu")[0] == "bfloat16"
    assert decisions.weight_dtype(config(bf16=True, adapter=None), "cpu")[0] == "float32"
    assert decisions.weight_dtype(config(bf16=False), "cpu")[0] == "float32"


def test_per_sample_attention_only_for_packed_sdpa() -> None:
    assert decisions.packed_attention_kernel(config(sample_packing=True, attn_implementation="sdpa"))[0]
    assert not decisions.packed_attention_kernel(config(sample_packing=False, attn_implementation="sdpa"))[0]
    assert not decisions.packed_attention_kernel(config(sample_packing=True, attn_implementation="eager"))[0]


def make_checkpoint(folder: Path, step: int, complete: bool = True) -> Path:
    path = folder / f"checkpoint-{step}"
    if complete:
        return fake_checkpoint(path, "{}")
    path.mkdir(parents=True)
    return path


def resume_checkpoint(config: RunConfig, resume: bool) -> Path | None:
    return find_resume_checkpoint(config, resume)[0]


def test_latest_checkpoint_skips_unfinished_writes(tmp_path: Path) -> None:
    make_checkpoint(tmp_path, 2)
    ten = make_checkpoint(tmp_path, 10)
    make_checkpoint(tmp_path, 12, complete=False)
    assert find_checkpoints(tmp_path).latest == ten


@pytest.mark.parametrize("how", ["flag", "true"])
def test_resume_picks_the_latest(tmp_path: Path, how: str) -> None:
    make_checkpoint(tmp_path, 4)
    latest = make_checkpoint(tmp_path, 8)
    keys = {"resume_from_checkpoint": True} if how == "true" else {}
    assert resume_checkpoint(config(output_dir=str(tmp_path), **keys), resume=how == "flag") == latest


def test_resume_from_a_named_folder_must_be_a_checkpoint(tmp_path: Path) -> None:
    four = make_checkpoint(tmp_path, 4)
    assert resume_checkpoint(config(resume_from_checkpoint=str(four)), resume=False) == four
    with pytest.raises(TrainError, match="not a checkpoint"):
        resume_checkpoint(config(resume_from_checkpoint=str(tmp_path)), resume=False)


def test_auto_resume_starts_fresh_when_there_is_nothing(tmp_path: Path) -> None:
    keys = {"output_dir": str(tmp_path), "auto_resume_from_checkpoints": True}
    assert resume_checkpoint(config(**keys), resume=False) is None
    assert resume_checkpoint(config(output_dir=str(tmp_path)), resume=False) is None


def test_training_arguments_carry_the_config(make_config: Callable[..., RunConfig]) -> None:
    from engine.train.arguments import training_arguments

    run = make_config(
        optimizer="adamw_torch_fused",
        lr_scheduler="cosine",
        warmup_ratio=0.1,
        weight_decay=0.01,
        gradient_accumulation_steps=4,
        saves_per_epoch=2,
        save_total_limit=3,
        val_set_size=0.1,
        evals_per_epoch=2,
        adam_beta2=0.95,
    )
    args, notes = training_arguments(run, steps_per_epoch=10, has_eval=True, device="cpu", report_to=[])
    assert (args.optim, args.lr_scheduler_type, args.warmup_steps) == ("adamw_torch_fused", "cosine", 0.1)
    assert (args.gradient_accumulation_steps, args.weight_decay, args.adam_beta2) == (4, 0.01, 0.95)
    assert (args.save_steps, args.eval_steps, args.save_total_limit) == (5, 5, 3)
    assert args.max_grad_norm == 1.0 and args.use_cpu
    assert any("evals_per_epoch" in note for note in notes)


def test_trainer_refusals_become_one_line_errors(make_config: Callable[..., RunConfig]) -> None:
    from engine.train.arguments import training_arguments

    run = make_config(load_best_model_at_end=True, val_set_size=0.1, evals_per_epoch=2, save_strategy="epoch")
    with pytest.raises(TrainError, match="the Trainer refuses these settings"):
        training_arguments(run, steps_per_epoch=10, has_eval=True, device="cpu", report_to=[])
