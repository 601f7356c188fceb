"""The memory estimate next to the measured peak memory of a short real run on this machine.

The job: the embedded default preset (SmolLM2-135M-Instruct, LoRA r=16 on every linear layer, the persona data
shipped in presets/data), a few optimiser steps without evaluation or checkpoints, at the sequence lengths and
micro batch sizes given. Each run trains in its own subprocess, so its peak resident memory (ru_maxrss) is its
own; the estimate is the one the wizard and the memory rule show (engine.models.memory.estimate_for_config).
The goal is an estimate within 25% of the measurement.

Run: .venv/bin/python bench/memory_bench.py [--steps 3] [--sequence-lens 512,1024] [--micro-batch-sizes 1,2]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.child import child_result, print_result

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "smollm2-135m-lora.yml"
GOAL = 0.25


def job_config(workdir: Path, steps: int, sequence_len: int, micro_batch_size: int) -> Any:
    """The default preset, shortened: no eval split, no checkpoints, `steps` steps, caches in `workdir`."""
    from engine.config import load_config, parse_config_dict

    preset = load_config(PRESET).model_dump(exclude_unset=True)
    preset["datasets"] = [{**entry, "path": str(ROOT / entry["path"])} for entry in preset["datasets"]]
    preset.update(
        output_dir=str(workdir / f"run-{sequence_len}-{micro_batch_size}"),
        dataset_prepared_path=str(workdir / "prepared"),
        sequence_len=sequence_len,
        micro_batch_size=micro_batch_size,
        max_steps=steps,
        val_set_size=0.0,
        evals_per_epoch=None,
        saves_per_epoch=None,
        save_steps=None,
    )
    return parse_config_dict({k: v for k, v in preset.items() if v is not None})


def child(workdir: Path, steps: int, sequence_len: int, micro_batch_size: int) -> None:
    """Train in this process and print its peak resident memory."""
    from engine.train import train

    train(job_config(workdir, steps, sequence_len, micro_batch_size))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print_result({"peak_bytes": peak})


def measure(workdir: Path, steps: int, sequence_len: int, micro_batch_size: int) -> int:
    arguments = ["--child", "--workdir", str(workdir), "--steps", str(steps), "--sequence-lens", str(sequence_len)]
    arguments += ["--micro-batch-sizes", str(micro_batch_size)]
    return int(child_result(__file__, arguments, f"the run at sequence_len {sequence_len}")["peak_bytes"])


def estimate(workdir: Path, steps: int, sequence_len: int, micro_batch_size: int) -> Any:
    from engine.models import find_model_facts
    from engine.models.memory import estimate_for_config
    from engine.rules import detect_target

    config = job_config(workdir, steps, sequence_len, micro_batch_size)
    facts = find_model_facts(config.base_model)
    if facts is None:
        sys.exit(f"{config.base_model} is not on disk yet; run `ft-tui train {PRESET.relative_to(ROOT)}` once")
    return estimate_for_config(config, facts, detect_target())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--sequence-lens", default="512,1024")
    parser.add_argument("--micro-batch-sizes", default="1")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    jobs = [(int(s), int(m)) for s in args.sequence_lens.split(",") for m in args.micro_batch_sizes.split(",")]
    if args.child:
        child(args.workdir, args.steps, *jobs[0])
        return
    gib = 2**30
    print(f"{'sequence_len':>12} {'micro':>5} {'estimate':>10} {'measured':>10} {'ratio':>6}  what the estimate counts")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="ft-tui-memory-bench-") as work:
        for sequence_len, micro in jobs:
            expected = estimate(Path(work), args.steps, sequence_len, micro)
            measured = measure(Path(work), args.steps, sequence_len, micro)
            ratio = expected.total_bytes / measured
            worst = max(worst, abs(ratio - 1))
            print(
                f"{sequence_len:>12} {micro:>5} {expected.total_bytes / gib:>6.2f} GiB {measured / gib:>6.2f} GiB "
                f"{ratio:>6.2f}  {expected.describe()}"
            )
    verdict = "within" if worst <= GOAL else "OUTSIDE"
    print(f"largest difference {worst:.0%}: {verdict} the {GOAL:.0%} goal")


if __name__ == "__main__":
    main()
