"""Time the multipack packer on a million lengths, and report efficiency on the alpaca demo with SmolLM2.

Run: .venv/bin/python bench/packing_bench.py [--skip-demo]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from engine.data.packing import pack

T = TypeVar("T")
SEQUENCE_LEN = 2048
ALPACA_DEMO = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "data" / "alpaca_demo.json"
"""Alpaca-layout rows made by tests/fixtures/data/make_demo_data.py: the repository carries what it measures."""
N = 1_000_000


def synthetic_lengths(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Length mixes: chat-like (log-normal), uniform up to the limit, and many short rows."""
    return {
        "log-normal (median ~250)": np.clip(rng.lognormal(5.5, 1.0, N).astype(np.int64), 1, SEQUENCE_LEN),
        "uniform 1..2048": rng.integers(1, SEQUENCE_LEN + 1, N),
        "short 1..300": rng.integers(1, 301, N),
    }


def timed(run: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def bench_synthetic() -> None:
    print(f"packing {N:,} lengths into bins of {SEQUENCE_LEN}")
    for name, lengths in synthetic_lengths(np.random.default_rng(0)).items():
        bins, seconds = timed(lambda lengths=lengths: pack(lengths, SEQUENCE_LEN))
        lower_bound = -(-int(lengths.sum()) // SEQUENCE_LEN)
        print(
            f"  {name:<26} {seconds:6.2f} s  {len(bins):>8,} bins (lower bound {lower_bound:,})"
            f"  efficiency {bins.efficiency():.4f}"
        )


def bench_alpaca_demo() -> None:
    """The real thing: SmolLM2's tokenizer on alpaca_demo.json, through prepare_datasets."""
    from transformers import AutoTokenizer

    from engine.config import parse_config_dict
    from engine.data.prepare import prepare_datasets
    from engine.models.resolve import resolve_model

    tokenizer = AutoTokenizer.from_pretrained(resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct"))
    with tempfile.TemporaryDirectory() as folder:
        cfg = parse_config_dict(
            {
                "base_model": "HuggingFaceTB/SmolLM2-135M-Instruct",
                "datasets": [{"path": str(ALPACA_DEMO), "type": "alpaca"}],
                "sequence_len": SEQUENCE_LEN,
                "sample_packing": True,
                "dataset_prepared_path": folder,
            }
        )
        prepared, seconds = timed(lambda: prepare_datasets(cfg, tokenizer))
    facts = prepared.facts
    print(f"alpaca_demo.json with SmolLM2 at {SEQUENCE_LEN}: prepared in {seconds:.1f} s")
    print(
        f"  {facts.train_rows} rows, {facts.train_tokens:,} tokens -> {facts.train_bins} bins, "
        f"efficiency {facts.packing_efficiency:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-demo", action="store_true", help="only the synthetic timing")
    args = parser.parse_args()
    bench_synthetic()
    if not args.skip_demo:
        bench_alpaca_demo()


if __name__ == "__main__":
    main()
