"""Bad dataset paths are errors, with the reason and the fix, in the rule catalog and in `ft-tui validate` alike."""

from __future__ import annotations

import json
import pathlib
from pathlib import Path
from typing import Any

import pytest

from engine.config import parse_config_dict
from engine.config.datasets import DatasetConfig
from engine.data.inspect import PREFIX_BYTES, inspect_dataset
from engine.rules import check_config, declared_target
from tui.cli import main

ALPACA_ROW = {"instruction": "Say hi", "input": "", "output": "hi"}
CHAT_ROW = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


def entry(path: str | Path, kind: str | None = "alpaca", **keys: Any) -> DatasetConfig:
    return DatasetConfig.model_validate({"path": str(path), "type": kind, **keys})


def jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def reason_of(ds: DatasetConfig) -> str:
    problem = inspect_dataset(ds)
    assert problem is not None
    assert problem.fix
    return problem.reason


def test_good_files_of_every_kind_pass(tmp_path: Path) -> None:
    array = tmp_path / "rows.json"
    array.write_text(json.dumps([ALPACA_ROW] * 3, indent=2))
    csv_file = tmp_path / "rows.csv"
    csv_file.write_text("instruction,input,output\nSay hi,,hi\n")
    text = tmp_path / "wiki.txt"
    text.write_text("Some raw text.\nMore text.\n")
    assert inspect_dataset(entry(jsonl(tmp_path / "a.jsonl", [ALPACA_ROW]))) is None
    assert inspect_dataset(entry(array)) is None
    assert inspect_dataset(entry(csv_file)) is None
    assert inspect_dataset(entry(text, "completion")) is None
    assert inspect_dataset(entry(jsonl(tmp_path / "c.jsonl", [CHAT_ROW]), "chat_template")) is None
    assert inspect_dataset(entry("tatsu-lab/alpaca")) is None  # a hub id is checked when downloaded


def test_a_mistyped_path_with_folders_is_a_missing_file_not_a_hub_id() -> None:
    """The wizard showed ✓ ready for `presets/data/ft_tui_persona.jsonlZ` (typed one key too far): an unknown
    suffix made it look like a hub id, but a hub id has one `/`."""
    assert reason_of(entry("presets/data/ft_tui_persona.jsonlZ")).endswith("does not exist")
    assert inspect_dataset(entry("tatsu-lab/alpaca")) is None


def test_a_large_file_is_judged_from_its_prefix(tmp_path: Path) -> None:
    rows = [{"instruction": "é" * 50, "output": "ü" * 50}] * (PREFIX_BYTES // 100)
    big = tmp_path / "big.json"
    big.write_text(json.dumps(rows, ensure_ascii=False))
    assert big.stat().st_size > PREFIX_BYTES
    assert inspect_dataset(entry(big)) is None
    assert inspect_dataset(entry(jsonl(tmp_path / "big.jsonl", rows))) is None


def test_empty_missing_and_folder_paths_are_named(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.md").write_text("not data")
    assert reason_of(entry("")) == "path is empty"
    assert reason_of(entry(tmp_path / "missing.jsonl")).endswith("missing.jsonl does not exist")
    assert "is empty (0 bytes)" in reason_of(entry(tmp_path / "empty.jsonl"))
    assert "holds no data files" in reason_of(entry(tmp_path / "folder"))


def test_a_folder_with_data_is_read_through_its_first_file(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    jsonl(folder / "part-0.jsonl", [ALPACA_ROW])
    assert inspect_dataset(entry(folder)) is None


def test_a_binary_file_is_not_data(tmp_path: Path) -> None:
    binary = tmp_path / "ls"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    assert "binary content" in reason_of(entry(binary, ds_type="json"))
    renamed = tmp_path / "ls.jsonl"
    renamed.write_bytes(binary.read_bytes())
    assert "binary content" in reason_of(entry(renamed))
    fake_parquet = tmp_path / "rows.parquet"
    fake_parquet.write_text("instruction,output\n")
    assert "is not a Parquet file" in reason_of(entry(fake_parquet))


def test_an_unreadable_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = jsonl(tmp_path / "locked.jsonl", [ALPACA_ROW])
    real_open = pathlib.Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == locked:  # chmod 000 does not stop root, so refuse the way the OS would
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", refuse)
    problem = inspect_dataset(entry(locked))
    assert problem is not None
    assert "cannot be read (permission denied)" in problem.reason
    assert "chmod u+r" in problem.fix


def test_rows_the_format_cannot_read_are_an_error_naming_the_detected_format(tmp_path: Path) -> None:
    chat = jsonl(tmp_path / "chat.jsonl", [CHAT_ROW] * 5)
    problem = inspect_dataset(entry(chat, "alpaca"))
    assert problem is not None
    assert problem.reason.startswith("none of the first 5 rows of")
    assert "no 'instruction'" in problem.reason
    assert problem.fix == "the rows look like chat_template: set type: chat_template"


def test_one_good_row_is_enough(tmp_path: Path) -> None:
    mixed = jsonl(tmp_path / "mixed.jsonl", [{"instruction": "x", "output": ""}, ALPACA_ROW])
    assert inspect_dataset(entry(mixed)) is None


def test_invalid_json_lines_name_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(ALPACA_ROW) + "\n{not json\n")
    assert "line 2 is not valid JSON" in reason_of(entry(broken))


def test_an_unmapped_role_is_reported_with_the_roles_fix(tmp_path: Path) -> None:
    tools = jsonl(tmp_path / "tools.jsonl", [{"messages": [{"role": "narrator", "content": "x"}]}])
    problem = inspect_dataset(entry(tools, "chat_template"))
    assert problem is not None
    assert "role 'narrator'" in problem.reason
    assert "roles:" in problem.fix


def config_for(path: Path | str, kind: str = "alpaca") -> Any:
    return parse_config_dict({"base_model": "x", "datasets": [{"path": str(path), "type": kind}]})


def test_the_rule_catalog_reports_the_problem_as_an_error(tmp_path: Path) -> None:
    binary = tmp_path / "ls"
    binary.write_bytes(b"\x7fELF\x00\x00" * 100)
    findings = check_config(config_for(binary), declared_target("cuda"), stages=("static",))
    [finding] = [f for f in findings if f.rule_id == "data.dataset_unusable"]
    assert finding.severity == "error"
    assert finding.message == f"datasets[0].path: {binary} is not a text data file (it holds binary content)"
    assert "point path at your data" in finding.fix


def test_validate_refuses_a_file_whose_every_row_would_drop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chat = jsonl(tmp_path / "chat.jsonl", [CHAT_ROW] * 3)
    config = tmp_path / "cfg.yml"
    config.write_text(f"base_model: x\ndatasets:\n  - path: {chat}\n    type: alpaca\n")
    assert main(["validate", "--json", "--device", "cuda", str(config)]) == 1
    report = json.loads(capsys.readouterr().out)
    [finding] = [f for f in report["findings"] if f["id"] == "data.dataset_unusable"]
    assert "none of the first 3 rows" in finding["message"]
    assert "set type: chat_template" in finding["fix"]


def test_evaluation_datasets_are_checked_too(tmp_path: Path) -> None:
    good = jsonl(tmp_path / "good.jsonl", [ALPACA_ROW])
    config = parse_config_dict(
        {
            "base_model": "x",
            "datasets": [{"path": str(good), "type": "alpaca"}],
            "test_datasets": [{"path": str(tmp_path / "gone.jsonl"), "type": "alpaca"}],
        }
    )
    [finding] = [f for f in check_config(config, declared_target("cuda")) if f.rule_id == "data.dataset_unusable"]
    assert finding.message.startswith("test_datasets[0].path: ") and finding.fields == ("test_datasets",)


def test_a_huge_folder_is_refused_in_a_moment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A path typed half-way in the wizard (`/`) must not walk the whole disk: past a bound it is not a dataset."""
    from engine.data import loading

    monkeypatch.setattr(loading, "MAX_FOLDER_FILES", 5)
    for index in range(8):
        (tmp_path / f"part-{index}.jsonl").write_text('{"text": "a"}\n')
    problem = inspect_dataset(DatasetConfig(path=str(tmp_path), type="completion"))
    assert problem is not None and "more than 5 files" in problem.reason
    assert "data_files" in problem.fix
