"""DataFacts numbers and the eval-packing feasibility check, including the rule catalog reading them."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from engine.data.prepare import prepare_datasets
from engine.data.stats import BatchSettings, compute_facts


def _facts(eval_lengths: list[int], **settings: Any) -> Any:
    base = {"sequence_len": 100, "sample_packing": True, "eval_sample_packing": True, **settings}
    train = np.array([60, 50, 40, 30, 20])
    evaluation = np.array(eval_lengths, dtype=np.int64)
    return compute_facts(BatchSettings(**base), (train, train - 5), (evaluation, evaluation // 2), rows_read=10)


def test_counts_bins_batches_and_steps() -> None:
    facts = _facts([90, 90, 90], micro_batch_size=1, gradient_accumulation_steps=2)
    assert (facts.train_tokens, facts.trained_tokens, facts.train_bins) == (200, 175, 2)
    assert facts.packing_efficiency == 1.0
    assert (facts.train_batches_per_epoch, facts.steps_per_epoch, facts.total_steps) == (2, 1, 1)
    assert (facts.eval_tokens, facts.eval_bins, facts.eval_batches, facts.eval_batches_needed) == (270, 3, 3, 2)
    assert sum(b.rows for b in facts.length_histogram) == 8
    json.dumps(facts.to_dict())


def test_eval_batches_are_counted_against_accumulation_times_world_size() -> None:
    small = _facts([90, 90, 90], gradient_accumulation_steps=2, world_size=2)
    assert (small.eval_bins, small.eval_batches, small.eval_batches_needed) == (3, 3, 4)
    enough = _facts([90] * 4, gradient_accumulation_steps=2, world_size=2)
    assert enough.eval_batches == enough.eval_batches_needed == 4


def test_rule_catalog_reports_the_small_eval_split(tokenizer: Any, make_config: Any, write_json: Any) -> None:
    from engine.rules import check_config

    rows = [{"instruction": f"q{i}", "output": f"a{i}"} for i in range(40)]
    cfg = make_config(
        datasets=[{"path": write_json("a.json", rows), "type": "alpaca"}],
        sample_packing=True,
        val_set_size=2,
        gradient_accumulation_steps=4,
    )
    facts = prepare_datasets(cfg, tokenizer).facts
    assert facts.eval_rows == 2 and facts.eval_batches == 1 < facts.eval_batches_needed
    findings = check_config(cfg, data=facts, stages=("preflight",))
    assert any(f.rule_id == "packing.eval_split_too_small" for f in findings)


def test_unpacked_eval_runs_one_batch_per_eval_batch_size_rows() -> None:
    """14 eval rows unpacked at micro batch 1 are 14 batches, whatever the packer would have made of them."""
    unpacked = _facts([10] * 14, eval_sample_packing=False, micro_batch_size=1, eval_batch_size=1)
    assert (unpacked.eval_rows, unpacked.eval_bins, unpacked.eval_batches) == (14, 2, 14)
    assert _facts([10] * 14, eval_sample_packing=False, eval_batch_size=4).eval_batches == 4
    assert _facts([10] * 14, eval_batch_size=1).eval_batches == 2  # packed: the bins


def test_the_longest_row_read_is_kept_apart_from_the_longest_kept(
    tokenizer: Any, make_config: Any, write_json: Any
) -> None:
    rows = [{"instruction": "q", "output": "short answer"}] * 5 + [{"instruction": "q", "output": "long " * 400}]
    cfg = make_config(datasets=[{"path": write_json("a.json", rows), "type": "alpaca"}], sequence_len=64)
    facts = prepare_datasets(cfg, tokenizer).facts
    assert facts.rows_dropped == {"too_long": 1}
    assert facts.max_length <= 64 < facts.longest_read
    cached = prepare_datasets(cfg, tokenizer)
    assert cached.reused_cache and cached.facts.longest_read == facts.longest_read


def test_words_agree_with_their_numbers() -> None:
    from engine.wording import count, gib

    assert [count(n, "row") for n in (0, 1, 2, 1500)] == ["0 rows", "1 row", "2 rows", "1,500 rows"]
    assert count(1, "batch", "batches") == "1 batch" and count(3, "batch", "batches") == "3 batches"
    assert gib(23.4567) == "23.5 GiB"
