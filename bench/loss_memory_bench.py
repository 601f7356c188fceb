"""Peak memory and speed of one training step at sequence_len 4096: the model's own loss vs ft-tui's chunked loss.

The job is the default preset's model and adapter (SmolLM2-135M-Instruct, 49k vocabulary, LoRA r16 on every linear
layer, bf16 autocast where the CPU has it, the per-sample packed attention) on one packed row of 4096 tokens: eight
samples of 512 tokens whose first 64 tokens are prompt (label -100). "old" is transformers' forward, which makes
the [4096 x 49152] logits, upcasts them to float32 and runs cross-entropy; "new" is engine.train.chunked_loss, the
path `ft-tui train` uses. Both sides run the same steps on the same tokens, each in its own process (peak RSS is a
per-process high-water mark), alternating old new old new so the shared machine's noise shows in every row.

Reported per run: the loss of the first step, the process's peak RSS, the peak above the loaded model and batch
(what the step itself needs), and seconds per step after a warm-up step, wall clock and the process's CPU time (on
a shared machine the CPU time shows the work done, the wall clock also the waiting for a core). On a GPU
(`--device cuda`) memory is torch's peak allocation instead of RSS.

Run: .venv/bin/python bench/loss_memory_bench.py [--rounds 2] [--steps 2] [--sequence-len 4096] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.child import child_result, print_result

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "smollm2-135m-lora.yml"
SAMPLE_LEN = 512
PROMPT_LEN = 64
GOAL_MEMORY = 0.30
"""At least 30% lower peak memory than the model's own loss."""
GOAL_SPEED = 0.97
"""No loss of speed: at least 97% of the old speed (3% is below this machine's run-to-run noise)."""


def current_rss_gib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**30


def packed_row(sequence_len: int, vocab: int) -> dict[str, Any]:
    """One row of 512-token samples: position ids restart per sample; prompts and first tokens carry no loss."""
    import torch

    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(10, vocab, (1, sequence_len), generator=generator)
    labels = ids.clone()
    positions = torch.arange(sequence_len) % SAMPLE_LEN
    labels[0, positions < PROMPT_LEN] = -100
    return {"input_ids": ids, "labels": labels, "position_ids": positions.unsqueeze(0)}


def child(side: str, args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from engine.config import load_config
    from engine.models import resolve_model
    from engine.models.loading import load_model_and_tokenizer
    from engine.rules.target import cpu_has_bf16
    from engine.train.model import build_model, wrap_lora
    from engine.train.packed_attention import use_packed_sdpa

    torch.manual_seed(0)
    config = load_config(PRESET)
    bf16 = args.device == "cuda" or cpu_has_bf16()
    dtype = "bfloat16" if bf16 else "float32"
    folder = resolve_model(config.base_model)
    if side == "new":
        model = build_model(config, folder, dtype=dtype, device=args.device).model
    else:
        loaded = load_model_and_tokenizer(folder, dtype=dtype, attn_implementation="sdpa", device=args.device)
        use_packed_sdpa(loaded.model)
        model = wrap_lora(config, loaded.model)
    model = model.to(args.device).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    batch = {k: v.to(args.device) for k, v in packed_row(args.sequence_len, model.config.vocab_size).items()}
    items = (batch["labels"][:, 1:] != -100).sum()
    if args.device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated() / 2**30
    else:
        base = current_rss_gib()
    losses, seconds, cpu_seconds = [], [], []
    for _ in range(args.steps):
        started, cpu_started = time.perf_counter(), time.process_time()
        with torch.autocast(args.device, dtype=torch.bfloat16, enabled=bf16):
            loss = model(**batch, use_cache=False, num_items_in_batch=items).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if args.device == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
        losses.append(float(loss))
    if args.device == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**30
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    timed = seconds[1:] or seconds
    cpu_timed = cpu_seconds[1:] or cpu_seconds
    return {
        "side": side,
        "loss": losses[0],
        "peak_gib": peak,
        "step_gib": peak - base,
        "seconds": statistics.mean(timed),
        "cpu_seconds": statistics.mean(cpu_timed),
        "dtype": "bfloat16" if bf16 else "float32",
    }


def measure(side: str, args: argparse.Namespace) -> dict[str, Any]:
    arguments = ["--child", side, "--steps", str(args.steps), "--sequence-len", str(args.sequence_len)]
    return child_result(__file__, [*arguments, "--device", args.device], side)


def report(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    memory = "GPU allocated" if args.device == "cuda" else "peak RSS"
    print(f"sequence_len {args.sequence_len}, {runs[0]['dtype']}, device {args.device}, {os.cpu_count()} CPUs")
    print(f"{'run':>3} {'side':4} {'loss':>9} {memory:>13} {'step peak':>10} {'s/step':>7} {'cpu s/step':>10}")
    for number, r in enumerate(runs, 1):
        print(
            f"{number:3d} {r['side']:4} {r['loss']:9.5f} {r['peak_gib']:9.2f} GiB {r['step_gib']:6.2f} GiB"
            f" {r['seconds']:7.2f} {r['cpu_seconds']:10.2f}"
        )
    by_side = {side: [r for r in runs if r["side"] == side] for side in ("old", "new")}
    peak = {side: min(r["peak_gib"] for r in rs) for side, rs in by_side.items()}
    step = {side: min(r["step_gib"] for r in rs) for side, rs in by_side.items()}
    speed = {side: statistics.median(1 / r["seconds"] for r in rs) for side, rs in by_side.items()}
    loss_gap = max(abs(a["loss"] - b["loss"]) for a, b in zip(by_side["old"], by_side["new"], strict=False))
    peak_cut = 1 - peak["new"] / peak["old"]
    step_cut = 1 - step["new"] / step["old"]
    speed_ratio = speed["new"] / speed["old"]
    cpu_speed = {side: statistics.median(1 / r["cpu_seconds"] for r in rs) for side, rs in by_side.items()}
    print(f"new / old {memory}: {peak['new'] / peak['old']:.2f} ({peak_cut:.0%} lower)")
    print(f"new / old step peak above the loaded model: {step['new'] / step['old']:.2f} ({step_cut:.0%} lower)")
    print(f"new / old steps/s (median): {speed_ratio:.2f}x; per CPU second: {cpu_speed['new'] / cpu_speed['old']:.2f}x")
    print(f"largest loss difference: {loss_gap:.2e}")
    print(f"goal >= {GOAL_MEMORY:.0%} lower {memory}: {'met' if peak_cut >= GOAL_MEMORY else 'NOT met'}")
    print(f"goal no loss of speed (>= {GOAL_SPEED:.2f}x): {'met' if speed_ratio >= GOAL_SPEED else 'NOT met'}")
    tolerance = 1e-4 if runs[0]["dtype"] == "float32" else 1e-3
    print(f"goal same loss (<= {tolerance:g}): {'met' if loss_gap <= tolerance else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="old/new pairs, alternating")
    parser.add_argument("--steps", type=int, default=2, help="steps per run; the first is a warm-up for speed")
    parser.add_argument("--sequence-len", type=int, default=4096)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--child", choices=("old", "new"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print_result(child(args.child, args))
        return
    runs = []
    for _ in range(args.rounds):
        for side in ("old", "new"):
            runs.append(measure(side, args))
            print(f"run {len(runs)} {side}: {runs[-1]['seconds']:.2f} s/step", flush=True)
    report(runs, args)


if __name__ == "__main__":
    main()
