"""Training speed on one fixed job: a plain-Trainer dynamic-padding baseline and ft-tui's engine, side by side.

The job: SmolLM2-135M-Instruct, LoRA r=16 on every linear layer, the first 200 rows of alpaca_demo.json,
sequence_len 1024, 8 optimiser steps. Both sides train on the same tokenized samples; speed is real (non-padding)
tokens per second from the start of training to the end of the last step; memory is each process's peak RSS.
A third side, ours in float32, trains exactly the same batches as ours, so the bf16 speed-up and the loss
difference it causes are measured on identical data.
Each side runs in its own subprocess so neither inherits the other's memory or threads.

Run: .venv/bin/python bench/train_bench.py [--steps 8] [--rows 200] [--micro-batch-size 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "fixtures" / "data" / "alpaca_demo.json"
"""Alpaca-layout rows made by tests/fixtures/data/make_demo_data.py: the repository carries what it measures."""
MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SEQUENCE_LEN = 1024
BASELINE_MICRO_BATCH = 4


def job_config(
    workdir: Path, rows: int, steps: int, micro_batch_size: int, packed: bool, bf16: bool | str = "auto"
) -> Any:
    """The fixed job as a config; `packed` False gives the baseline's data settings (same samples)."""
    from engine.config import parse_config_dict

    subset = workdir / "alpaca_subset.json"
    if not subset.exists():
        subset.write_text(json.dumps(json.loads(DATA.read_text())[:rows]))
    return parse_config_dict(
        {
            "base_model": MODEL,
            "datasets": [{"path": str(subset), "type": "alpaca"}],
            "dataset_prepared_path": str(workdir / "prepared"),
            "output_dir": str(workdir / (f"ours-{bf16}" if packed else "baseline")),
            "sequence_len": SEQUENCE_LEN,
            "sample_packing": packed,
            "adapter": "lora",
            "lora_r": 16,
            "lora_alpha": 32,
            "lora_target_linear": True,
            "micro_batch_size": micro_batch_size if packed else BASELINE_MICRO_BATCH,
            "max_steps": steps,
            "learning_rate": 2e-4,
            "optimizer": "adamw_torch",
            "saves_per_epoch": 0,
            "bf16": bf16,
            "seed": 42,
        }
    )


def run_ours(workdir: Path, rows: int, steps: int, micro_batch_size: int, bf16: bool | str) -> dict[str, Any]:
    """ft-tui's engine as a user runs it: packing, bf16 when the CPU has it, sdpa; numbers from its events.

    `bf16: false` trains the very same batches in float32, to show what bf16 buys and that its loss stays sane.
    """
    from engine.events import StartedEvent, StepEvent, read_events
    from engine.train import train

    config = job_config(workdir, rows, steps, micro_batch_size, packed=True, bf16=bf16)
    result = train(config)
    events = read_events(Path(config.output_dir) / "events.jsonl")
    started = next(e for e in events if isinstance(e, StartedEvent))
    last = [e for e in events if isinstance(e, StepEvent)][-1]
    return {
        "steps": last.step,
        "tokens": last.tokens_seen,
        "seconds": last.time - started.time,
        "loss": result.final_loss,
        "dtype": started.dtype,
    }


def run_baseline(workdir: Path, rows: int, steps: int) -> dict[str, Any]:
    """transformers' Trainer as a tutorial uses it: fp32, dynamic padding to the longest row of each batch."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, DataCollatorForSeq2Seq, Trainer, TrainerCallback, TrainingArguments

    from engine.data.prepare import prepare_datasets
    from engine.models import resolve_model

    config = job_config(workdir, rows, steps, BASELINE_MICRO_BATCH, packed=False)
    folder = resolve_model(MODEL)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="sdpa")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", r=16, lora_alpha=32, target_modules="all-linear"))
    train_rows = prepare_datasets(config, tokenizer).train.select_columns(["input_ids", "labels"])
    clock = _Clock()

    class Timing(TrainerCallback):
        def on_train_begin(self, *args: Any, **kwargs: Any) -> None:
            clock.start = time.time()

        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            clock.end = time.time()

    collator = DataCollatorForSeq2Seq(tokenizer, padding=True)
    counting = _CountingCollator(collator, clock)
    args = TrainingArguments(
        output_dir=config.output_dir,
        per_device_train_batch_size=BASELINE_MICRO_BATCH,
        max_steps=steps,
        learning_rate=2e-4,
        optim="adamw_torch",
        use_cpu=True,
        report_to=[],
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
        seed=42,
    )
    trainer = Trainer(model=model, args=args, train_dataset=train_rows, data_collator=counting, callbacks=[Timing()])
    output = trainer.train()
    return {
        "steps": steps,
        "tokens": clock.tokens,
        "seconds": clock.end - clock.start,
        "loss": output.training_loss,
        "dtype": "float32",
    }


class _Clock:
    start = 0.0
    end = 0.0
    tokens = 0


class _CountingCollator:
    """Counts the real tokens of each batch the baseline trains on (its attention mask)."""

    def __init__(self, inner: Any, clock: _Clock) -> None:
        self.inner, self.clock = inner, clock

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self.inner(features)
        self.clock.tokens += int(batch["attention_mask"].sum())
        return batch


SIDES = ("baseline", "ours", "ours-fp32")


def child(side: str, workdir: Path, rows: int, steps: int, micro_batch_size: int) -> None:
    if side == "baseline":
        result = run_baseline(workdir, rows, steps)
    else:
        result = run_ours(workdir, rows, steps, micro_batch_size, bf16="auto" if side == "ours" else False)
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print("RESULT " + json.dumps(result), flush=True)


def measure(side: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", side, "--workdir", str(workdir)]
    command += ["--rows", str(args.rows), "--steps", str(args.steps), "--micro-batch-size", str(args.micro_batch_size)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        sys.exit(f"{side} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def report(results: dict[str, dict[str, Any]]) -> None:
    print(f"{'':10} {'tokens/s':>9} {'tokens':>7} {'seconds':>8} {'peak RSS':>11} {'loss':>7}  dtype")
    for side, r in results.items():
        speed = r["tokens"] / r["seconds"]
        print(
            f"{side:10} {speed:9.1f} {r['tokens']:7d} {r['seconds']:8.1f} {r['peak_rss_gib']:7.2f} GiB"
            f" {r['loss']:7.3f}  {r['dtype']}"
        )
    speed = {side: r["tokens"] / r["seconds"] for side, r in results.items()}
    for side in ("ours", "ours-fp32"):
        if side in speed and "baseline" in speed:
            print(f"{side} / baseline: {speed[side] / speed['baseline']:.2f}x tokens/s")
    if "ours" in speed and "ours-fp32" in speed:
        print(f"bf16 / fp32 on the same batches: {speed['ours'] / speed['ours-fp32']:.2f}x tokens/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--micro-batch-size", type=int, default=1, help="packed rows of 1024 tokens per step for ours")
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sides", default="baseline,ours,ours-fp32", help="comma-separated, from: " + ", ".join(SIDES))
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workdir, args.rows, args.steps, args.micro_batch_size)
        return
    with tempfile.TemporaryDirectory(prefix="ft-tui-train-bench-") as work:
        sides = [side for side in args.sides.split(",") if side in SIDES]
        results = {side: measure(side, Path(work), args) for side in sides}
        for side, r in results.items():
            print(f"{side}: {r['tokens'] / r['seconds']:.1f} tokens/s, peak RSS {r['peak_rss_gib']:.2f} GiB")
        if len(results) > 1:
            report(results)


if __name__ == "__main__":
    main()
