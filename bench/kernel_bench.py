"""The two CPU kernels the training step's speed rests on, each against the way it ran before, side by side.

- attention: the engine's per-sample packed attention (`engine.train.packed_attention`, float32 on the CPU with the
  grouped key/value heads read in place) against the same per-sample flash kernel in bfloat16 with the heads
  repeated (how it ran before; what GPUs still run), forward and backward of one layer;
- dropout: one lean LoRA layer (`engine.train.lean_lora.LoraDelta`) with lora_dropout 0.05 against the same layer
  without dropout (what the dropout costs), and peft's way of dropping (`torch.nn.functional.dropout` on the input,
  then the low-rank product) as the reference, forward and backward.

Shapes are SmolLM2-135M's (9 query heads, 3 key/value heads of 64; hidden 576, MLP 1536; LoRA r16) on one
512-token packed row of samples of 50-120 tokens, under bf16 autocast as `bf16: auto` trains on this CPU. Every
case runs in the same process, the cases of a group taking turns in every round, and the table shows each case's
fastest of `--rounds` rounds of `--repeats` calls: ratios, not absolute times, carry over between machines.

Run: .venv/bin/python bench/kernel_bench.py [--rounds 5] [--repeats 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TOKENS = 512
HEADS, KV_HEADS, HEAD_DIM = 9, 3, 64
SAMPLE_LENGTHS = (115, 89, 84, 98, 73, 53)
"""Six samples packed into the row, the rest of it one more sample (lengths like the preset's conversations)."""
RANK, DROPOUT = 16, 0.05


def fastest_ms(cases: dict[str, Callable[[], None]], rounds: int, repeats: int) -> dict[str, float]:
    """Each case's fastest round, in milliseconds a call; the cases take turns within every round."""
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, step in cases.items():
            started = time.perf_counter()
            for _ in range(repeats):
                step()
            best[name] = min(best[name], (time.perf_counter() - started) / repeats)
    return {name: seconds * 1000 for name, seconds in best.items()}


def attention_cases() -> dict[str, Callable[[], None]]:
    import torch
    import torch.nn.functional as F

    from engine.train.packed_attention import expand_kv_heads, packed_sdpa_attention, row_segments

    starts = [0]
    for length in SAMPLE_LENGTHS:
        starts.append(starts[-1] + length)
    positions = torch.cat([torch.arange(b - a) for a, b in zip(starts, [*starts[1:], TOKENS], strict=True)])
    positions = positions.unsqueeze(0)
    module = SimpleNamespace(num_key_value_groups=HEADS // KV_HEADS)

    def inputs() -> tuple[torch.Tensor, ...]:
        return tuple(
            torch.randn(1, heads, TOKENS, HEAD_DIM, dtype=torch.bfloat16, requires_grad=True)
            for heads in (HEADS, KV_HEADS, KV_HEADS)
        )

    def engine() -> None:
        query, key, value = inputs()
        output, _ = packed_sdpa_attention(module, query, key, value, None, position_ids=positions)  # type: ignore[arg-type]
        output.float().sum().backward()

    def bf16_repeated_heads() -> None:
        query, key, value = inputs()
        key, value = expand_kv_heads(module, key, value)  # type: ignore[arg-type]
        (bounds,) = row_segments(positions, 1, TOKENS)
        parts = [
            F.scaled_dot_product_attention(query[:, :, a:b], key[:, :, a:b], value[:, :, a:b], is_causal=True)
            for a, b in bounds
        ]
        torch.cat(parts, dim=2).transpose(1, 2).contiguous().float().sum().backward()

    return {
        "attention: engine (float32, shared heads)": engine,
        "attention: bfloat16, repeated heads": bf16_repeated_heads,
    }


def dropout_cases(in_features: int, out_features: int) -> dict[str, Callable[[], None]]:
    import torch
    import torch.nn.functional as F

    from engine.train.lean_lora import LoraDelta

    x = torch.randn(1, TOKENS, in_features, dtype=torch.bfloat16, requires_grad=True)
    weight_a = (torch.randn(RANK, in_features) * 0.02).requires_grad_()
    weight_b = (torch.randn(out_features, RANK) * 0.02).requires_grad_()

    def lean(p: float) -> Callable[[], None]:
        def step() -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                delta = LoraDelta.apply(x, weight_a, weight_b, p, 2.0, torch.bfloat16)
            delta.float().sum().backward()

        return step

    def peft_style() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            dropped = F.dropout(x.float(), DROPOUT, training=True)
            delta = F.linear(F.linear(dropped, weight_a), weight_b) * 2.0
        delta.float().sum().backward()

    shape = f"{in_features}->{out_features}"
    return {
        f"lora {shape}: lean, dropout {DROPOUT}": lean(DROPOUT),
        f"lora {shape}: lean, no dropout": lean(0.0),
        f"lora {shape}: torch dropout (peft's way)": peft_style,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the fastest counts")
    parser.add_argument("--repeats", type=int, default=10, help="calls per round")
    args = parser.parse_args()
    import torch

    torch.manual_seed(0)
    groups = [attention_cases(), dropout_cases(576, 576), dropout_cases(576, 1536), dropout_cases(1536, 576)]
    print(f"{'case':48} {'ms':>8}  (forward + backward, fastest of {args.rounds} x {args.repeats})")
    for cases in groups:
        timed = fastest_ms(cases, args.rounds, args.repeats)
        for name, ms in timed.items():
            print(f"{name:48} {ms:8.2f}")
        names = list(timed)
        if names[0].startswith("attention"):
            print(f"  bfloat16 with repeated heads / engine: {timed[names[1]] / timed[names[0]]:.2f}x the time")
        else:
            cost, peft_cost = timed[names[0]] - timed[names[1]], timed[names[2]] - timed[names[1]]
            print(f"  dropout's cost over no dropout: lean {cost:.2f} ms, torch's dropout {peft_cost:.2f} ms")
    print(f"threads: {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
