"""prepare_datasets: merging, splitting, length limits, drop reporting, caching and the demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.data.errors import DataError, NoRowsLeft
from engine.data.prepare import prepare_datasets
from engine.rules import check_config

DEMO_DATA = Path(__file__).parents[1] / "fixtures" / "data"
ALPACA_DEMO = str(DEMO_DATA / "alpaca_demo.json")
C4_DEMO = str(DEMO_DATA / "c4_demo.jsonl")


def qa_rows(n: int, prefix: str = "q") -> list[dict[str, str]]:
    return [{"instruction": f"{prefix} question {i}?", "output": f"answer {i}."} for i in range(n)]


def ids(data: Any) -> list[list[int]]:
    return list(data["input_ids"])


def alpaca(path: str) -> dict[str, str]:
    return {"path": path, "type": "alpaca"}


def test_merge_shuffle_and_split_are_deterministic(tokenizer: Any, make_config: Any, write_json: Any) -> None:
    entries = [alpaca(write_json("a.json", qa_rows(30, "a"))), alpaca(write_json("b.json", qa_rows(20, "b")))]
    first = prepare_datasets(make_config(datasets=entries, val_set_size=0.1, seed=7), tokenizer)
    again = prepare_datasets(make_config(datasets=entries, val_set_size=0.1, seed=7), tokenizer)
    other = prepare_datasets(make_config(datasets=entries, val_set_size=0.1, seed=8), tokenizer)
    assert (first.facts.train_rows, first.facts.eval_rows) == (45, 5)
    assert ids(first.train) == ids(again.train) and ids(first.eval) == ids(again.eval)
    assert ids(first.train) != ids(other.train)
    decoded = {tokenizer.decode(row) for row in ids(first.train) + ids(first.eval)}
    assert (
        len(decoded) == 50 and any("\na question" in d for d in decoded) and any("\nb question" in d for d in decoded)
    )


def test_val_set_size_as_row_count(tokenizer: Any, make_config: Any, write_json: Any) -> None:
    cfg = make_config(datasets=[alpaca(write_json("a.json", qa_rows(20)))], val_set_size=3)
    assert prepare_datasets(cfg, tokenizer).facts.eval_rows == 3
    with pytest.raises(DataError, match="leaving none to train on"):
        prepare_datasets(make_config(datasets=cfg.datasets, val_set_size=20), tokenizer)


@pytest.mark.parametrize("strategy", ["drop", "truncate", "raise"])
def test_excess_length_strategy(tokenizer: Any, make_config: Any, write_json: Any, strategy: str) -> None:
    rows = [*qa_rows(5), {"instruction": "long", "output": "word " * 200}]
    cfg = make_config(datasets=[alpaca(write_json("a.json", rows))], sequence_len=128, excess_length_strategy=strategy)
    if strategy == "raise":
        with pytest.raises(DataError, match=r"row 5: \d+ tokens > sequence_len 128"):
            prepare_datasets(cfg, tokenizer)
        return
    facts = prepare_datasets(cfg, tokenizer).facts
    assert facts.max_length <= 128
    if strategy == "drop":
        assert (facts.train_rows, facts.rows_dropped, facts.rows_truncated) == (5, {"too_long": 1}, 0)
    else:
        assert (facts.train_rows, facts.rows_dropped, facts.rows_truncated) == (6, {}, 1)


def test_bad_rows_are_counted_with_their_index(tokenizer: Any, make_config: Any, write_json: Any) -> None:
    rows = [*qa_rows(3), {"instruction": "x", "output": ""}, {"instruction": "y", "output": "fine"}]
    rows.insert(1, {"instruction": "no answer"})
    facts = prepare_datasets(make_config(datasets=[alpaca(write_json("a.json", rows))]), tokenizer).facts
    assert facts.rows_read == 6 and facts.train_rows == 4
    assert facts.rows_dropped == {"missing_field": 1, "empty": 1}
    assert any("row 1:" in e and "'output'" in e for e in facts.dropped_examples)
    assert any("row 4:" in e and "empty" in e for e in facts.dropped_examples)


def test_nothing_left_is_an_error(tokenizer: Any, make_config: Any, write_json: Any) -> None:
    path = write_json("a.json", [{"instruction": "x", "output": ""}] * 3)
    config = make_config(datasets=[alpaca(path)])
    with pytest.raises(DataError, match=r"no usable rows: 3 read, all dropped \(empty: 3\); first: .*row 0") as raised:
        prepare_datasets(config, tokenizer)
    assert isinstance(raised.value, NoRowsLeft)
    facts = raised.value.facts
    assert (facts.rows_read, facts.train_rows, facts.eval_rows) == (3, 0, 0)
    [finding] = [f for f in check_config(config, data=facts) if f.rule_id == "data.every_row_dropped"]
    assert finding.severity == "error" and "empty: 3" in finding.message


def test_unknown_role_stops_with_row_and_role(tokenizer: Any, make_config: Any, write_json: Any) -> None:
    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    bad = {"messages": [{"role": "user", "content": "hi"}, {"role": "robot", "content": "beep"}]}
    path = write_json("c.jsonl", [good, good, bad])
    with pytest.raises(DataError, match="row 2: message 1 has role 'robot'"):
        prepare_datasets(make_config(datasets=[{"path": path, "type": "chat_template"}]), tokenizer)


def test_cache_is_reused_and_keyed_by_content(tokenizer: Any, make_config: Any, write_json: Any) -> None:
    path = write_json("a.json", qa_rows(10))
    cfg = make_config(datasets=[alpaca(path)])
    first = prepare_datasets(cfg, tokenizer)
    second = prepare_datasets(cfg, tokenizer)
    assert not first.reused_cache and second.reused_cache and first.cache_dir == second.cache_dir
    assert ids(second.train) == ids(first.train) and second.facts == first.facts
    write_json("a.json", qa_rows(11))
    assert not prepare_datasets(cfg, tokenizer).reused_cache
    assert not prepare_datasets(make_config(datasets=[alpaca(path)], sequence_len=256), tokenizer).reused_cache


def test_test_datasets_become_the_eval_set(tokenizer: Any, make_config: Any, write_json: Any) -> None:
    cfg = make_config(
        datasets=[alpaca(write_json("a.json", qa_rows(8)))], test_datasets=[alpaca(write_json("t.json", qa_rows(3)))]
    )
    facts = prepare_datasets(cfg, tokenizer).facts
    assert (facts.train_rows, facts.eval_rows) == (8, 3)


def test_alpaca_and_c4_demo(tokenizer: Any, make_config: Any) -> None:
    entries = [alpaca(ALPACA_DEMO), {"path": C4_DEMO, "type": "completion"}]
    cfg = make_config(datasets=entries, sequence_len=512, sample_packing=True, val_set_size=0.05)
    prepared = prepare_datasets(cfg, tokenizer)
    facts = prepared.facts
    assert facts.rows_read == 999 + 300
    assert facts.max_length <= 512 and facts.rows_dropped.get("too_long", 0) > 0
    assert facts.train_rows + facts.eval_rows > 999 + 300 - facts.rows_dropped_total
    assert facts.packing_efficiency > 0.95 and facts.trained_tokens < facts.train_tokens
    assert set(prepared.train.column_names) == {"input_ids", "labels", "length", "trained"}


def test_c4_completion_keeps_every_token(tokenizer: Any, make_config: Any) -> None:
    cfg = make_config(datasets=[{"path": C4_DEMO, "type": "completion", "field": "text"}], sequence_len=256)
    facts = prepare_datasets(cfg, tokenizer).facts
    # Only a document's last chunk can be dropped, when it holds a single token: nothing follows it to predict.
    assert facts.rows_read == 300 and set(facts.rows_dropped) <= {"no_trained_tokens"}
    assert facts.trained_tokens == facts.train_tokens - facts.train_rows
    assert Path(C4_DEMO).exists()


def test_multi_process_tokenizing_gives_the_same_rows(
    tokenizer: Any, make_config: Any, write_json: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.data import prepare

    path = write_json("a.json", qa_rows(60))
    single = prepare_datasets(make_config(datasets=[alpaca(path)], seed=1), tokenizer)
    monkeypatch.setattr(prepare, "PARALLEL_FROM_ROWS", 10)
    multi = prepare_datasets(
        make_config(
            datasets=[alpaca(path)], seed=1, dataset_processes=2, dataset_prepared_path=str(Path(path).parent / "p2")
        ),
        tokenizer,
    )
    assert not multi.reused_cache and ids(multi.train) == ids(single.train)


def test_validation_path_imports_nothing_heavy() -> None:
    """The rule catalog imports DataFacts; preprocess's --help must stay instant."""
    import subprocess
    import sys

    code = (
        "import sys, engine.data.stats, engine.data.prepare, engine.cli.preprocess; "
        "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_prepared_data_goes_to_the_user_cache_unless_the_config_names_a_folder(
    tokenizer: Any, write_json: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.config import parse_config_dict

    cache, elsewhere = tmp_path / "user-cache", tmp_path / "where-the-user-is"
    elsewhere.mkdir()
    monkeypatch.setenv("FT_TUI_CACHE_DIR", str(cache))
    monkeypatch.chdir(elsewhere)
    rows = [{"instruction": f"q{i}", "output": f"a{i}"} for i in range(5)]
    entry = {"path": write_json("a.json", rows), "type": "alpaca"}
    prepared = prepare_datasets(parse_config_dict({"base_model": "tiny", "datasets": [entry]}), tokenizer)
    assert prepared.cache_dir is not None and prepared.cache_dir.parent == cache / "prepared"
    assert list(elsewhere.iterdir()) == []
    named = parse_config_dict({"base_model": "tiny", "datasets": [entry], "dataset_prepared_path": "mine"})
    assert prepare_datasets(named, tokenizer).cache_dir.parent == Path("mine")
    assert [p.name for p in elsewhere.iterdir()] == ["mine"]
