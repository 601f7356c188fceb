"""How much slower one training step gets under a load of 4 on 2 cores: the factor the e2e hang guards use.

A SmolLM2-shaped step (hidden 576, 9 heads, 3 KV heads, 512 tokens, forward and backward, 2 threads) is timed
alone, then beside 2 busy-loop processes (the step's 2 threads + 2 busy loops = a load of 4). Run it on a machine
that is otherwise idle, pinned to 2 cores: `taskset -c 0,1 python bench/load_factor.py`. Prints both medians
and their ratio; the machine's own load average is printed too, since other work on it skews both.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time

STEPS = 4
LAYERS = 2
TOKENS = 512


def _busy() -> None:
    while True:
        pass


def _step_seconds() -> list[float]:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    torch.set_num_threads(2)
    config = LlamaConfig(
        vocab_size=49152,
        hidden_size=576,
        intermediate_size=1536,
        num_hidden_layers=LAYERS,
        num_attention_heads=9,
        num_key_value_heads=3,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    ids = torch.randint(0, config.vocab_size, (1, TOKENS))
    times = []
    for _ in range(STEPS + 1):  # the first step warms the allocator and kernels up; it is dropped
        start = time.perf_counter()
        model(input_ids=ids, labels=ids).loss.backward()
        times.append(time.perf_counter() - start)
    return times[1:]


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    alone = statistics.median(_step_seconds())
    busy = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(2)]
    for process in busy:
        process.start()
    try:
        loaded = statistics.median(_step_seconds())
    finally:
        for process in busy:
            process.terminate()
            process.join()
    print(f"step alone: {alone:.2f} s; beside 2 busy loops: {loaded:.2f} s; factor {loaded / alone:.2f}")


if __name__ == "__main__":
    main()
