"""A row far too long to ever fit is refused before it is tokenized (one 50 MB row took minutes and gigabytes)."""

from __future__ import annotations

import json
from pathlib import Path

from engine.config import parse_config_dict
from engine.data.encode import BatchEncoder, LengthPolicy
from engine.data.prepare import prepare_datasets
from tests.tiny import tiny_tokenizer


class _Refuses:
    """A formatter that must not be reached."""

    def __call__(self, row: object) -> list[tuple[list[int], list[int]]]:
        raise AssertionError("the huge row reached the tokenizer")


def test_a_huge_row_is_dropped_without_tokenizing() -> None:
    encoder = BatchEncoder(_Refuses(), LengthPolicy(sequence_len=512))  # type: ignore[arg-type]
    out = encoder({"text": ["x" * 2_000_001]}, [0]).to_pydict()
    assert out["problem"] == ["too_long"]
    assert out["detail"] == ["2,000,001 characters, over the 1,000,000 one row may have; not tokenized"]


def test_a_huge_chat_row_is_counted_as_too_long(tmp_path: Path) -> None:
    rows = [{"instruction": "Say hi.", "input": "", "output": "Hi."}] * 4
    rows.append({"instruction": "Summarise:", "input": "word " * 400_000, "output": "Words."})
    data = tmp_path / "rows.json"
    data.write_text(json.dumps(rows))
    config = parse_config_dict(
        {
            "base_model": "tiny",
            "datasets": [{"path": str(data), "type": "alpaca"}],
            "dataset_prepared_path": str(tmp_path / "prepared"),
            "sequence_len": 128,
        }
    )
    facts = prepare_datasets(config, tiny_tokenizer()).facts
    assert facts.rows_dropped == {"too_long": 1} and facts.train_rows == 4
    assert "not tokenized" in facts.dropped_examples[0]
