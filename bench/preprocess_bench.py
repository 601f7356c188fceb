"""Preprocessing at scale: tokenize, mask and pack generated chat rows, against raw `tokenizers` batch encoding.

The job: 200,000 conversations generated from the repo's persona data (bench/data.py), the default preset's data
settings (SmolLM2's ChatML template, assistant turns trained, sequence_len 512, packing), `dataset_processes`
workers. Measured in a fresh process each:

- ours: `prepare_datasets` (load, render, tokenize, mask, length-filter, split, save the cache) and the multipack
  plan over the result; rows/s and tokens/s, peak RSS above the process start, and the size of the token arrays;
  the seconds of each stage come from the engine's own progress lines (loading, tokenizing and splitting, saving);
- raw: the same rendered texts through `tokenizers`' `encode_batch` alone (no masking, no dataset, no cache): the
  physical limit of tokenizing this text on this machine. Rendering is not timed on the raw side.

Goal: ours at least 0.5x raw tokens/s, and memory that stays near the token arrays (it must not hold the rows).

Runs alternate (raw, ours, raw, ours ...), each in a fresh process with a fresh cache folder; every run is shown
with the load average after it. The goal is judged on each side's fastest run (the one the other processes of a
shared machine disturbed least), since one disturbed run moves a round's ratio either way.

Run: OMP_NUM_THREADS=1 .venv/bin/python bench/preprocess_bench.py [--rows 200000] [--processes 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.child import child_result, print_result
from bench.data import chat_rows, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "smollm2-135m-lora.yml"
GOAL_RATIO = 0.5


def rss_gib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**30


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def job_config(data: Path, work: Path, processes: int) -> Any:
    from engine.config import load_config

    preset = load_config(PRESET)
    entry = preset.datasets[0].model_copy(update={"path": str(data)})
    return preset.model_copy(
        update={
            "datasets": [entry],
            "dataset_prepared_path": str(work / "prepared"),
            "dataset_processes": processes,
            "output_dir": str(work / "out"),
        }
    )


def tokenizer_for(config: Any) -> Any:
    from transformers import AutoTokenizer

    from engine.models import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model(config.base_model))


def run_ours(data: Path, work: Path, processes: int) -> dict[str, Any]:
    from engine.data.prepare import prepare_datasets
    from engine.data.sampler import MultipackBatchSampler, length_column

    config = job_config(data, work, processes)
    tokenizer = tokenizer_for(config)
    start_rss = rss_gib()
    started = time.perf_counter()
    stamps: list[tuple[float, str]] = []
    prepared = prepare_datasets(config, tokenizer, progress=lambda line: stamps.append((time.perf_counter(), line)))
    prepared_at = time.perf_counter()
    sampler = MultipackBatchSampler(
        length_column(prepared.train), config.sequence_len, config.micro_batch_size, seed=config.seed, shuffle=True
    )
    batches = len(sampler)
    finished = time.perf_counter()
    eval_tokens = int(length_column(prepared.eval).sum()) if prepared.eval is not None else 0
    tokens = int(length_column(prepared.train).sum()) + eval_tokens
    return {
        "rows": prepared.facts.rows_read,
        "tokens": tokens,
        "prepare_s": prepared_at - started,
        "pack_s": finished - prepared_at,
        "batches": batches,
        "peak_above_start_gib": peak_gib() - start_rss,
        "token_arrays_gib": tokens * 2 * 4 / 2**30,
        "stages": stages(started, stamps, prepared_at),
    }


STAGE_NAMES = {"loading": "load", "tokenizing": "tokenize, mask, split", "saving": "save the cache"}


def stages(started: float, stamps: list[tuple[float, str]], finished: float) -> dict[str, float]:
    """Seconds from each progress line to the next, named by the line's first word."""
    marks = [(started, "setup"), *((at, STAGE_NAMES.get(line.split()[0], line.split()[0])) for at, line in stamps)]
    ends = [at for at, _ in marks[1:]] + [finished]
    seconds: dict[str, float] = {}
    for (at, name), end in zip(marks, ends, strict=True):
        seconds[name] = seconds.get(name, 0.0) + end - at
    return seconds


def run_raw(data: Path, work: Path, processes: int) -> dict[str, Any]:
    config = job_config(data, work, processes)
    tokenizer = tokenizer_for(config)
    rows = [json.loads(line)["messages"] for line in data.read_text(encoding="utf-8").splitlines()]
    texts = [tokenizer.apply_chat_template(messages, tokenize=False) for messages in rows]
    backend = tokenizer.backend_tokenizer
    started = time.perf_counter()
    tokens = 0
    for first in range(0, len(texts), 10_000):
        tokens += sum(len(e.ids) for e in backend.encode_batch(texts[first : first + 10_000], add_special_tokens=False))
    seconds = time.perf_counter() - started
    return {"rows": len(texts), "tokens": tokens, "prepare_s": seconds, "pack_s": 0.0}


def child(side: str, data: Path, work: Path, processes: int) -> None:
    result = run_ours(data, work, processes) if side == "ours" else run_raw(data, work, processes)
    print_result(result)


def measure(side: str, data: Path, work: Path, processes: int) -> dict[str, Any]:
    arguments = ["--child", side, "--data", str(data), "--work", str(work), "--processes", str(processes)]
    return child_result(__file__, arguments, side)


def report(runs: list[tuple[str, dict[str, Any]]], processes: int) -> None:
    """Every run in the order it ran, then the ratio of each round and their median."""
    first = runs[0][1]
    print(f"{first['rows']:,} rows, dataset_processes {processes}, {os.cpu_count()} CPUs; runs alternate raw, ours")
    print(f"{'run':>3} {'side':5} {'rows/s':>9} {'tokens/s':>10} {'tokens':>11} {'seconds':>8} {'load':>5}")
    for number, (side, run) in enumerate(runs, start=1):
        seconds = run["prepare_s"] + run["pack_s"]
        print(
            f"{number:3} {side:5} {run['rows'] / seconds:9.0f} {run['tokens'] / seconds:10.0f} {run['tokens']:11,} "
            f"{seconds:8.1f} {run['load']:5.1f}"
        )
    ours = [run for side, run in runs if side == "ours"]
    raw = [run for side, run in runs if side == "raw"]
    ratios = [speed(o) / speed(r) for o, r in zip(ours, raw, strict=True)]
    last = ours[-1]
    print(f"ours: prepare {last['prepare_s']:.1f} s, packing plan {last['pack_s']:.2f} s ({last['batches']} batches)")
    print("ours by stage: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in last["stages"].items()))
    ratio = max(speed(o) for o in ours) / max(speed(r) for r in raw)
    print(
        f"ours / raw tokens/s by round: {', '.join(f'{r:.2f}x' for r in ratios)} (median "
        f"{statistics.median(ratios):.2f}x); fastest ours / fastest raw: {ratio:.2f}x"
    )
    print(
        f"peak RSS above start {max(o['peak_above_start_gib'] for o in ours):.2f} GiB; "
        f"token arrays (input_ids + labels, int32) {last['token_arrays_gib']:.2f} GiB"
    )
    print(f"goal >= {GOAL_RATIO}x raw tokens/s (fastest runs): {'met' if ratio >= GOAL_RATIO else 'NOT met'}")


def speed(run: dict[str, Any]) -> float:
    return float(run["tokens"] / (run["prepare_s"] + run["pack_s"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--processes", type=int, default=2, help="dataset_processes for ours")
    parser.add_argument("--rounds", type=int, default=2, help="raw/ours pairs, run alternately")
    parser.add_argument("--child", choices=("ours", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.work, args.processes)
        return
    with tempfile.TemporaryDirectory(prefix="ft-tui-preprocess-bench-") as folder:
        data = write_jsonl(Path(folder) / "chats.jsonl", chat_rows(args.rows))
        runs = []
        for number in range(args.rounds):
            for side in ("raw", "ours"):
                work = Path(folder) / f"{side}-{number}"  # a fresh cache folder: ours never reuses one
                work.mkdir()
                runs.append((side, {**measure(side, data, work, args.processes), "load": os.getloadavg()[0]}))
        report(runs, args.processes)


if __name__ == "__main__":
    main()
