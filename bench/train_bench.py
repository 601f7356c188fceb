"""Training speed on one fixed job: ft-tui's engine against a plain-Trainer baseline and against axolotl.

The job: SmolLM2-135M-Instruct, LoRA r=16 on every linear layer, 200 alpaca rows generated from the repo's data
(bench/data.py), sequence_len 1024, 8 optimiser steps. Speed is real (non-padding) tokens per second from the start
of training to the end of the last step; memory is each process's peak RSS. Sides:

- baseline: transformers' Trainer as a tutorial uses it (fp32, dynamic padding, micro batch 4), same samples;
- ours: `ft-tui`'s engine (packing, bf16 where the CPU has it); ours-fp32: the very same batches in float32;
- axolotl: axolotl's own trainer on the same job written as an axolotl YAML (sample_packing, fp32), when axolotl
  is importable here (`pip install -e '.[bench]'`) or in the venv given by `--axolotl-venv PATH`; its real tokens
  are counted from the attention mask of every batch it trains, its clock runs from the start of training to the
  end of its last optimiser step, like ours.

Runs alternate (A B C A B C ...) for `--rounds` rounds and the table shows every run, so noise is visible; the
ratios use each side's median. Each run is its own subprocess so none inherits another's memory or threads.

Run: .venv/bin/python bench/train_bench.py [--rounds 2] [--steps 8] [--rows 200] [--axolotl-venv PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.child import child_result, print_result, run_child
from bench.data import alpaca_rows, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SEQUENCE_LEN = 1024
BASELINE_MICRO_BATCH = 4


def job_config(
    workdir: Path, rows: int, steps: int, micro_batch_size: int, packed: bool, bf16: bool | str = "auto"
) -> Any:
    """The fixed job as a config; `packed` False gives the baseline's data settings (same samples)."""
    from engine.config import parse_config_dict

    subset = workdir / "alpaca_subset.jsonl"
    if not subset.exists():
        write_jsonl(subset, alpaca_rows(rows))
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
    result = train(config, force=True)  # each round of a side reuses its folder in the bench's own workdir
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


AXOLOTL_DRIVER = """
import json, runpy, sys, time


def main():
    import transformers
    from transformers.trainer_callback import CallbackHandler

    clock = {"tokens": 0, "start": None, "end": None, "loss": None}
    original_step = transformers.Trainer.training_step
    original_begin, original_step_end = CallbackHandler.on_train_begin, CallbackHandler.on_step_end

    def counted_step(self, model, inputs, *args, **kwargs):
        mask = inputs.get("attention_mask")
        clock["tokens"] += int((mask != 0).sum()) if mask is not None else int(inputs["input_ids"].numel())
        loss = original_step(self, model, inputs, *args, **kwargs)
        clock["loss"] = float(loss)
        return loss

    def train_begin(self, *args, **kwargs):
        control = original_begin(self, *args, **kwargs)
        clock["start"] = time.time()
        return control

    def step_end(self, *args, **kwargs):
        clock["end"] = time.time()
        return original_step_end(self, *args, **kwargs)

    transformers.Trainer.training_step = counted_step
    CallbackHandler.on_train_begin, CallbackHandler.on_step_end = train_begin, step_end
    sys.argv = ["axolotl.cli.train", sys.argv[1]]
    try:
        runpy.run_module("axolotl.cli.train", run_name="__main__")
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise
    print("AXOLOTL " + json.dumps(clock), flush=True)


if __name__ == "__main__":
    main()
"""
"""Runs axolotl's CLI in its own interpreter, counting the real tokens of each batch it trains (packed rows mark
samples with ids >= 1 in the attention mask, padding with 0). Its clock runs as ours does: from the start of training
(the Trainer's train-begin callbacks) to the end of the last optimiser step (the step-end callbacks).

Everything sits behind `__main__`: axolotl saves its prepared data with `datasets`' `save_to_disk`, which starts a
"spawn" pool even for one process, and a spawned child imports the parent's main script again. Unguarded, each
child re-ran the whole axolotl job and the parent waited on it for minutes (the hang seen on this machine)."""


def axolotl_python(venv: Path | None) -> str | None:
    """The interpreter that has axolotl: the given venv's, else this one when axolotl is installed here."""
    if venv is not None:
        python = venv / "bin" / "python"
        return str(python) if python.exists() else None
    return sys.executable if importlib.util.find_spec("axolotl") is not None else None


def run_axolotl(workdir: Path, rows: int, steps: int, python: str) -> dict[str, Any]:
    """axolotl on the same job: the config as axolotl YAML (JSON is YAML), fp32, the local model folder."""
    from engine.config import config_to_dict
    from engine.models import resolve_model

    config = job_config(workdir, rows, steps, 1, packed=True, bf16=False)
    data = {k: v for k, v in config_to_dict(config).items() if v is not None}
    data.update(base_model=str(resolve_model(MODEL)), output_dir=str(workdir / "axolotl"), save_strategy="no")
    data["dataset_prepared_path"] = str(workdir / "axolotl-prepared")
    data.pop("saves_per_epoch", None)
    # axolotl turns its LoRA kernels on by default, even on a CPU, and they are Triton GPU kernels; its warning says
    # to set `lora_*_kernel` to false to disable them. peft's LoRA layers then do the work, as in ours.
    data.update({f"lora_{part}_kernel": False for part in ("mlp", "qkv", "o", "embedding")})
    path = workdir / "axolotl.yml"
    path.write_text(json.dumps(data, indent=1))
    driver = workdir / "axolotl_driver.py"
    driver.write_text(AXOLOTL_DRIVER)
    # The model is a local folder and the data a local file: no hub or datasets lookups, no telemetry.
    offline = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "AXOLOTL_DO_NOT_TRACK": "1", "DO_NOT_TRACK": "1"}
    env = {**os.environ, **offline}
    done = subprocess.run([python, str(driver), str(path)], capture_output=True, text=True, cwd=workdir, env=env)
    found = re.findall(r"^AXOLOTL (.*)$", done.stdout, flags=re.MULTILINE)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"axolotl failed:\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}")
    clock = json.loads(found[-1])
    return {
        "steps": steps,
        "tokens": clock["tokens"],
        "seconds": clock["end"] - clock["start"],
        "loss": clock["loss"],
        "dtype": "float32",
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20,
    }


SIDES = ("baseline", "ours", "ours-fp32", "axolotl")


def child(side: str, workdir: Path, args: argparse.Namespace) -> None:
    if side == "axolotl":
        result = run_axolotl(workdir, args.rows, args.steps, args.axolotl_python)
        print_result(result)
        return
    if side == "baseline":
        result = run_baseline(workdir, args.rows, args.steps)
    else:
        bf16: bool | str = "auto" if side == "ours" else False
        result = run_ours(workdir, args.rows, args.steps, args.micro_batch_size, bf16=bf16)
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print_result(result)


def measure(side: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any] | str:
    """One run of a side in its own process: its numbers, or for axolotl the reason it failed (the rest goes on)."""
    arguments = ["--child", side, "--workdir", str(workdir), "--rows", str(args.rows), "--steps", str(args.steps)]
    arguments += ["--micro-batch-size", str(args.micro_batch_size)]
    if args.axolotl_python:
        arguments += ["--axolotl-python", args.axolotl_python]
    if side != "axolotl":
        return {"side": side, **child_result(__file__, arguments, side)}
    result, stderr = run_child(__file__, arguments)
    if result is None:
        last = [line for line in stderr.splitlines() if line.strip()][-1:] or ["no output"]
        return f"axolotl failed: {last[0][:300]}"
    return {"side": side, **result}


def report(runs: list[dict[str, Any]], axolotl_note: str | None) -> None:
    print(f"{'run':>3} {'side':10} {'tokens/s':>9} {'tokens':>7} {'seconds':>8} {'peak RSS':>11} {'loss':>7}  dtype")
    for number, r in enumerate(runs, 1):
        print(
            f"{number:3d} {r['side']:10} {r['tokens'] / r['seconds']:9.1f} {r['tokens']:7d} {r['seconds']:8.1f}"
            f" {r['peak_rss_gib']:7.2f} GiB {r['loss']:7.3f}  {r['dtype']}"
        )
    speed = {
        side: statistics.median(r["tokens"] / r["seconds"] for r in runs if r["side"] == side)
        for side in dict.fromkeys(r["side"] for r in runs)
    }
    for side in ("ours", "ours-fp32"):
        for other, name in (("baseline", "Trainer"), ("axolotl", "axolotl")):
            if side in speed and other in speed:
                print(f"{side} / {name}: {speed[side] / speed[other]:.2f}x tokens/s (medians)")
    if axolotl_note:
        print(f"ours / axolotl: not measured, {axolotl_note}")
    if "ours" in speed and "ours-fp32" in speed:
        print(f"bf16 / fp32 on the same batches: {speed['ours'] / speed['ours-fp32']:.2f}x tokens/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of alternating runs (A B C A B C ...)")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--micro-batch-size", type=int, default=1, help="packed rows of 1024 tokens per step for ours")
    parser.add_argument("--axolotl-venv", type=Path, help="a venv with axolotl installed, to run the axolotl side")
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--axolotl-python", help=argparse.SUPPRESS)
    parser.add_argument(
        "--sides", default="baseline,ours,ours-fp32,axolotl", help="comma-separated, from: " + ", ".join(SIDES)
    )
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workdir, args)
        return
    sides = [side for side in args.sides.split(",") if side in SIDES]
    note = None
    if "axolotl" in sides:
        args.axolotl_python = axolotl_python(args.axolotl_venv)
        if args.axolotl_python is None:
            where = f"no python in {args.axolotl_venv}" if args.axolotl_venv else "axolotl is not installed"
            note = f"{where} (pip install -e '.[bench]' or pass --axolotl-venv PATH)"
            sides.remove("axolotl")
    runs = []
    with tempfile.TemporaryDirectory(prefix="ft-tui-train-bench-") as work:
        for _ in range(args.rounds):
            for side in list(sides):
                result = measure(side, Path(work), args)
                if isinstance(result, str):
                    note = result
                    sides.remove(side)
                    print(result, flush=True)
                    continue
                runs.append(result)
                print(f"run {len(runs)} {side}: {result['tokens'] / result['seconds']:.1f} tokens/s", flush=True)
    report(runs, note)


if __name__ == "__main__":
    main()
