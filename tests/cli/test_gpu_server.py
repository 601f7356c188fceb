"""A config meant for a GPU server, checked on a laptop: `--device cuda` judges it for that server (a gated model
is the server's token to have), and `--gpu-memory` sets the one default GPU size the wizard uses too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.rules import DEFAULT_GPU_GIB
from tui.cli import main

GATED = "base_model: meta-llama/Llama-3.2-1B-Instruct\ndatasets:\n  - path: tatsu-lab/alpaca\n    type: alpaca\n"


@pytest.fixture
def gated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    path = tmp_path / "gated.yml"
    path.write_text(GATED, encoding="utf-8")
    return path


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["validate", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def by_id(found: dict) -> dict[str, str]:
    return {finding["id"]: finding["severity"] for finding in found["findings"]}


def test_a_gated_model_without_a_local_token_is_a_note_for_a_gpu_server(
    gated_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, found = report(capsys, "--device", "cuda", str(gated_config))
    assert code == 0 and found["ok"]
    assert by_id(found).get("model.gated_token_on_server") == "note"
    assert "model.gated_needs_token" not in by_id(found)
    code, found = report(capsys, str(gated_config))  # for this machine, the token here is the one that matters
    assert code == 1 and by_id(found)["model.gated_needs_token"] == "error"


def test_gpu_memory_sets_the_declared_gpu_and_has_one_default(
    gated_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, found = report(capsys, "--device", "cuda", str(gated_config))
    assert found["target"] == f"CUDA GPU, {DEFAULT_GPU_GIB:.1f} GiB (declared)"
    _, found = report(capsys, "--gpu-memory", "40", str(gated_config))  # implies --device cuda
    assert found["target"] == "CUDA GPU, 40.0 GiB (declared)"


def test_gpu_memory_with_another_device_or_no_number_is_a_usage_error(
    gated_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--device", "cpu", "--gpu-memory", "40", str(gated_config)]) == 2
    assert "--gpu-memory is the memory of a CUDA GPU" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["validate", "--gpu-memory", "lots", str(gated_config)])
    assert exited.value.code == 2


def test_load_in_8bit_on_a_cpu_offers_to_declare_the_gpu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "eight.yml"
    path.write_text("base_model: HuggingFaceTB/SmolLM2-135M-Instruct\nload_in_8bit: true\n", encoding="utf-8")
    _, found = report(capsys, "--device", "cpu", str(path))
    [finding] = [f for f in found["findings"] if f["id"] == "quant.needs_cuda"]
    assert finding["retarget"] == "cuda" and finding["changes"] == {}
    assert "--device cuda" in finding["fix"]


def test_plain_validate_says_the_data_was_not_read(gated_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The wizard's data findings (rows dropped, tools ignored) need the rows; plain validate must not claim them."""
    main(["validate", "--device", "cuda", str(gated_config)])
    verdict = capsys.readouterr().out.strip().splitlines()[-1]
    assert verdict.startswith("ready to train") and "data not read; add --data" in verdict
    _, found = report(capsys, "--device", "cuda", str(gated_config))
    assert found["data_read"] is False


def test_the_readme_lists_the_data_and_gpu_memory_options() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `ft-tui validate CONFIG"))
    assert "[--data]" in row and "[--gpu-memory GiB]" in row
