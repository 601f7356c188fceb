"""`ft-tui merge` and `ft-tui chat`: exit codes, one-line errors, streamed replies, the interactive loop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.cli import main
from tests.infer.runs import TinyRun, write_config


def _typed(monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> list[str]:
    """Feed `lines` to input() one by one, then Ctrl-D; returns the prompts shown."""
    prompts: list[str] = []
    queue: Iterator[str] = iter(lines)

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        try:
            return next(queue)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    return prompts


def test_merge_writes_the_merged_folder(tiny_run: TinyRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge", str(tiny_run.config_path)]) == 0
    assert (tiny_run.output_dir / "merged" / "model.safetensors").is_file()
    assert "merged" in capsys.readouterr().out


def test_merge_with_another_output_dir(tiny_run: TinyRun, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    tiny_run.output_dir.rename(elsewhere)
    assert main(["merge", str(tiny_run.config_path), "--output-dir", str(elsewhere)]) == 0
    assert (elsewhere / "merged" / "config.json").is_file()


def test_merge_before_training_is_one_clear_line(
    tmp_path: Path, tiny_base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "run.yml", tiny_base, tmp_path / "out")
    assert main(["merge", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"run `ft-tui train {config}` first" in " ".join(err.split())
    assert "Traceback" not in err


def test_unreadable_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", str(tmp_path / "missing.yml"), "--prompt", "hi"]) == 2
    assert main(["merge", str(tmp_path / "missing.yml")]) == 2
    assert "error" in capsys.readouterr().err


def test_chat_prompt_prints_one_greedy_reply(tiny_run: TinyRun, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["chat", str(tiny_run.config_path), "--prompt", "Hello there!", "--max-new-tokens", "6"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert first.strip()
    assert main(args) == 0
    assert capsys.readouterr().out == first


def test_chat_base_differs_from_the_adapter(tiny_run: TinyRun, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["chat", str(tiny_run.config_path), "--prompt", "The quick brown fox", "--max-new-tokens", "12"]
    assert main(args) == 0
    adapted = capsys.readouterr().out
    assert main([*args, "--base"]) == 0
    assert capsys.readouterr().out != adapted


def test_interactive_chat_keeps_resets_and_exits(
    tiny_run: TinyRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = _typed(monkeypatch, ["Hello there!", "", "/nonsense", "/reset", "Hello there!", "/exit", "never read"])
    assert main(["chat", str(tiny_run.config_path), "--max-new-tokens", "6"]) == 0
    out = capsys.readouterr().out
    assert len(prompts) == 6
    assert out.count("assistant> ") == 2
    assert "unknown command /nonsense" in out
    assert "(conversation cleared)" in out
    replies = [line.removeprefix("assistant> ") for line in out.splitlines() if line.startswith("assistant> ")]
    assert replies[0] == replies[1]


def test_interactive_chat_ends_on_ctrl_d(tiny_run: TinyRun, monkeypatch: pytest.MonkeyPatch) -> None:
    _typed(monkeypatch, [])
    assert main(["chat", str(tiny_run.config_path)]) == 0


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--max-new-tokens", "0", "not a positive whole number"),
        ("--max-new-tokens", "many", "is not a whole number"),
        ("--temperature", "-1", "is negative"),
    ],
)
def test_bad_chat_options_are_one_line_errors(
    tiny_run: TinyRun, capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["chat", str(tiny_run.config_path), option, value])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_chat_with_a_missing_adapter_folder(
    tiny_run: TinyRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", str(tiny_run.config_path), "--prompt", "hi", "--adapter", str(tmp_path / "nope")]) == 1
    assert "no such folder" in capsys.readouterr().err


def test_a_config_with_a_typo_exits_1_like_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "typo.yml"
    config.write_text("lora_rr: 8\n")
    assert main(["merge", str(config)]) == 1
    assert main(["chat", str(config), "--prompt", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.count("line 1: lora_rr: unknown key (did you mean `lora_r`?)") == 2
