"""What sample answers and memory readings cost the default preset's run.

1. Sample answers: the seconds one evaluation's generation adds (the preset's 2 greedy samples of at most 48 new
   tokens, on its own eval prompts, through engine.train.samples exactly as the engine runs it), and over the whole
   run (the base model's answers plus one set per evaluation).
2. Memory readings: the time of the readings each step event takes (engine.train.memory: resident memory, the peak,
   the GPU counters) against the time of one optimiser step of the preset (two micro-batches of one packed
   512-token row, forward and backward, bf16 autocast where the CPU has it). The goal is under 1% of a step.

Run: OMP_NUM_THREADS=1 .venv/bin/python bench/samples_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "smollm2-135m-lora.yml"
READINGS_GOAL = 0.01


def preset_config(workdir: Path) -> Any:
    """The default preset as the engine runs it here (auto-set values applied), caches in `workdir`."""
    from engine.config import load_config, parse_config_dict
    from engine.rules import apply_auto_settings, check_config, detect_target

    preset = load_config(PRESET).model_dump(exclude_unset=True)
    preset["datasets"] = [{**entry, "path": str(ROOT / entry["path"])} for entry in preset["datasets"]]
    preset.update(output_dir=str(workdir / "run"), dataset_prepared_path=str(workdir / "prepared"))
    config = parse_config_dict(preset)
    automatic = [finding for finding in check_config(config, detect_target()) if finding.severity == "auto"]
    return apply_auto_settings(config, automatic)


def step_seconds(model: Any, row: list[int], accumulation: int, bf16: bool, rounds: int) -> float:
    """Median seconds of one optimiser step's forward and backward passes (no optimiser update: it is the same
    with or without readings, and small for LoRA)."""
    import torch

    ids = torch.tensor([row])
    times = []
    model.train()
    for _ in range(rounds + 1):  # the first is a warm-up
        started = time.perf_counter()
        for _ in range(accumulation):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = model(input_ids=ids, labels=ids).loss
            loss.backward()
        times.append(time.perf_counter() - started)
        model.zero_grad(set_to_none=True)
    return statistics.median(times[1:])


def readings_seconds(calls: int = 2000) -> float:
    """Median seconds of the readings one step event takes."""
    from engine.train.memory import gpu_memory, peak_memory_mb, resident_mb

    times = []
    for _ in range(calls):
        started = time.perf_counter()
        gpus = gpu_memory()
        peak_memory_mb(gpus)
        resident_mb()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import tempfile

    import torch

    from engine.data.prepare import prepare_datasets
    from engine.models import resolve_model
    from engine.train import decisions
    from engine.train.model import build_model
    from engine.train.samples import SampleSettings, generate_samples, pick_prompts

    with tempfile.TemporaryDirectory() as work:
        config = preset_config(Path(work))
        dtype, _ = decisions.weight_dtype(config, "cpu")
        built = build_model(config, resolve_model(config.base_model), dtype=dtype, device="cpu")
        prepared = prepare_datasets(config, built.tokenizer)
    settings = SampleSettings.from_config(config)
    prompts = pick_prompts(prepared.eval, settings)
    generations = []
    for round_ in range(args.rounds):
        event = generate_samples(built.model, built.tokenizer, prompts, settings, step=round_)
        generations.append(event.seconds)
        print(f"generation round {round_ + 1}: {event.seconds:.2f} s, {event.new_tokens} tokens")
    row = [token for item in prepared.train.select(range(8)) for token in item["input_ids"]][: config.sequence_len]
    accumulation = config.effective_gradient_accumulation_steps()
    step = step_seconds(built.model, row, accumulation, config.bf16 is True, args.rounds)
    readings = readings_seconds()
    evaluations = round(config.evals_per_epoch * config.num_epochs)
    generation = statistics.median(generations)
    print(f"\n{PRESET.name}: {settings.count} samples, max {settings.max_new_tokens} new tokens, greedy")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), weights {dtype}")
    print(f"one evaluation's generation: {generation:.2f} s (median of {args.rounds})")
    print(f"whole run: base model + {evaluations} evaluations = {(evaluations + 1) * generation:.1f} s")
    print(f"one optimiser step ({accumulation} x {len(row)} tokens, forward + backward): {step:.2f} s")
    print(f"memory readings per step event: {readings * 1e6:.1f} us = {readings / step:.5%} of a step")
    met = "met" if readings / step < READINGS_GOAL else "NOT met"
    print(f"goal readings under 1% of a step: {met}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
