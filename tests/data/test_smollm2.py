"""With SmolLM2's real tokenizer: alpaca demo packing efficiency and chat masking with its own template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.data.prepare import prepare_datasets
from tests.conftest import EmbeddedModel
from tests.data.test_formats import trained_runs

pytestmark = pytest.mark.slow
ALPACA_DEMO = Path(__file__).parents[1] / "fixtures" / "data" / "alpaca_demo.json"


@pytest.fixture(scope="module")
def smollm2(embedded_model: EmbeddedModel) -> Any:
    """The real tokenizer, from the session's one build of the embedded model."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(embedded_model.folder)


def test_alpaca_demo_packs_at_least_99_percent(smollm2: Any, make_config: Any) -> None:
    cfg = make_config(
        datasets=[
            {"path": str(Path(__file__).parents[1] / "fixtures" / "data" / "alpaca_demo.json"), "type": "alpaca"}
        ],
        sequence_len=2048,
        sample_packing=True,
    )
    facts = prepare_datasets(cfg, smollm2).facts
    assert facts.rows_read == 999 and facts.train_rows == 999
    assert facts.packing_efficiency >= 0.99


def test_chat_masking_with_the_model_template(smollm2: Any, make_config: Any, write_json: Any) -> None:
    """SmolLM2's template adds a default system prompt; only the assistant replies (and <|im_end|>) train."""
    messages = [
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4."},
    ]
    cfg = make_config(datasets=[{"path": write_json("c.json", [{"messages": messages}]), "type": "chat_template"}])
    sample = prepare_datasets(cfg, smollm2).train[0]
    assert smollm2.decode(sample["input_ids"]) == smollm2.apply_chat_template(messages, tokenize=False)
    runs = trained_runs(smollm2, sample["input_ids"], sample["labels"])
    assert runs == ["Hello! How can I help?<|im_end|>", "4.<|im_end|>"]
