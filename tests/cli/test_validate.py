"""`ft-tui validate`: exit codes, grouped findings, JSON output, and no traceback for user mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli import main

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "tests" / "data" / "axolotl_examples"
PRESETS = sorted((ROOT / "presets").glob("*.yml"))


@pytest.fixture(autouse=True)
def from_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Preset dataset paths are relative to the repository root, as in the README's commands."""
    monkeypatch.chdir(ROOT)


def validate_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["validate", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("path", PRESETS, ids=lambda path: path.name)
def test_every_preset_passes_for_a_gpu_server(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = validate_json(capsys, "--device", "cuda", str(path))
    errors = [finding["id"] for finding in report["findings"] if finding["severity"] == "error"]
    assert (code, errors) == (0, [])


def test_an_axolotl_only_example_is_refused_for_ft_tui_and_accepted_for_axolotl(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """All of axolotl's examples are swept in tests/config/test_axolotl_parity.py; this is the command itself."""
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    example = str(EXAMPLES / "llama-2" / "relora.yml")
    code, report = validate_json(capsys, "--device", "cuda", example)
    errors = {finding["id"] for finding in report["findings"] if finding["severity"] == "error"}
    assert (code, errors) == (1, {"axolotl.runs_under_axolotl"})
    code, report = validate_json(capsys, "--device", "cuda", "--target", "axolotl", example)
    assert (code, report["ok"], report["engine"]) == (0, True, "axolotl")


def test_the_gpu_recipes_are_refused_for_this_cpu_with_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = validate_json(capsys, "--device", "cpu", str(ROOT / "presets" / "llama-3-8b-lora.yml"))
    errors = {finding["id"] for finding in report["findings"] if finding["severity"] == "error"}
    assert code == 1
    assert {"quant.needs_cuda", "optim.needs_bitsandbytes_cuda"} <= errors


def test_typo_fails_with_did_you_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "typo.yml"
    config.write_text("base_model: HuggingFaceTB/SmolLM2-135M-Instruct\nlora_rr: 8\n")
    assert main(["validate", str(config)]) == 1
    err = capsys.readouterr().err
    assert "error: line 2: lora_rr: unknown key (did you mean `lora_r`?)" in err


def test_unreadable_yaml_exits_2_with_the_position(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "broken.yml"
    config.write_text("base_model: x\n  lora_r: [\n")
    assert main(["validate", str(config)]) == 2
    assert "line 2, column" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "none.yml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_text_output_groups_findings_with_why_and_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yml"
    config.write_text("datasets: [{path: a/b, type: alpaca}]\nwarmup_steps: 5\nwarmup_ratio: 0.1\ntf32: true\n")
    assert main(["validate", "--device", "cpu", str(config)]) == 1
    out = capsys.readouterr().out
    assert out.index("Errors (1)") < out.index("Warnings") < out.index("Set automatically")
    assert "schedule.warmup_steps_and_ratio" in out and "why:" in out and "fix:" in out
    assert "not ready to train: 1 error, " in out


def test_keys_lists_every_key_with_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--keys"]) == 0
    out = capsys.readouterr().out
    assert "lora_r: LoRA rank" in out
    assert "lora_mlp_kernel (ignored): " in out and "\nrl (needs axolotl): " in out


def test_limits_from_the_models_own_config_are_judged_when_it_is_on_disk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model"
    model.mkdir()
    shape = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64}
    shape |= {"intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}
    (model / "config.json").write_text(json.dumps(shape))
    config = tmp_path / "cfg.yml"
    config.write_text(f"base_model: {model}\nadapter: lora\nlora_r: 128\nlora_alpha: 256\n")
    code, report = validate_json(capsys, "--device", "cuda", str(config))
    messages = {finding["id"]: finding["message"] for finding in report["findings"]}
    assert code == 1
    assert messages["lora.rank_above_hidden_size"] == f"lora_r 128 is above {model}'s hidden size (64)"


def test_markup_like_text_in_a_config_is_printed_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "markup.yml"
    config.write_text('"[bold]lora_rr[/bold]": 8\n')
    assert main(["validate", str(config)]) == 1
    assert "line 1: [bold]lora_rr[/bold]: unknown key" in capsys.readouterr().err


def test_data_whose_every_row_is_dropped_fails_with_the_reason_and_the_fix(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's "no usable rows: all dropped" passed validate as ready; with --data it is the catalog's error,
    the same finding the wizard shows (tests/tui/test_fixes.py)."""
    rows = [{"instruction": "say it at length " * 40, "output": "fine " * 40} for _ in range(6)]
    data = tmp_path / "long.jsonl"
    data.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    config = tmp_path / "run.yml"
    config.write_text(
        f"base_model: {tiny_model_dir}\ndatasets:\n  - path: {data}\n    type: alpaca\nsequence_len: 64\n"
        f"dataset_prepared_path: {tmp_path / 'prepared'}\nlora_target_linear: true\n"
    )
    code, report = validate_json(capsys, str(config))
    assert code == 0 and "data.every_row_dropped" not in {f["id"] for f in report["findings"]}
    code, report = validate_json(capsys, "--data", str(config))
    [finding] = [f for f in report["findings"] if f["id"] == "data.every_row_dropped"]
    assert code == 1 and finding["severity"] == "error"
    assert finding["message"].startswith("all 6 rows read are dropped after tokenizing (too long: 6)")
    assert "raise sequence_len to at least" in finding["fix"]


def test_json_findings_carry_the_fix_as_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "run.yml"
    config.write_text("base_model: HuggingFaceTB/SmolLM2-135M-Instruct\nwarmup_steps: 10\nwarmup_ratio: 0.1\n")
    _code, report = validate_json(capsys, str(config))
    [finding] = [f for f in report["findings"] if f["id"] == "schedule.warmup_steps_and_ratio"]
    assert finding["changes"] == {"warmup_steps": None}
