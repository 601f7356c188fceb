"""`ft-tui compare` and engine.runs.compare on real tiny runs: what differs, the numbers, and every bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.config import parse_config_dict
from engine.events import EVENTS_FILE
from engine.runs.compare import CompareError, compare_runs, config_differences
from engine.train import train
from tests.train.conftest import ROWS
from tui.cli import main

RUN = {"max_steps": 4, "val_set_size": 0.25, "eval_steps": 2, "logging_steps": 1}


@pytest.fixture(scope="module")
def trained_pair(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> tuple[Path, Path]:
    """Two finished runs that differ only in their LoRA rank (and alpha, kept at twice the rank), trained once."""
    work = tmp_path_factory.mktemp("compare")
    (work / "rows.json").write_text(json.dumps(ROWS * 12))
    folders = []
    for rank in (4, 8):
        config = parse_config_dict(
            {
                "base_model": str(tiny_model_dir),
                "datasets": [{"path": str(work / "rows.json"), "type": "alpaca"}],
                "dataset_prepared_path": str(work / "prepared"),
                "output_dir": str(work / f"r{rank}"),
                "sequence_len": 128,
                "sample_packing": True,
                "adapter": "lora",
                "lora_r": rank,
                "lora_alpha": 2 * rank,
                "lora_target_linear": True,
                "micro_batch_size": 2,
                "learning_rate": 1e-3,
                "optimizer": "adamw_torch",
                "bf16": False,
                "seed": 7,
                **RUN,
            }
        )
        assert train(config).status == "completed"
        folders.append(Path(config.output_dir))
    return folders[0], folders[1]


@pytest.fixture
def two_runs(trained_pair: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the pair each test may damage."""
    copies = [tmp_path / folder.name for folder in trained_pair]
    for folder, copy in zip(trained_pair, copies, strict=True):
        shutil.copytree(folder, copy)
    return copies[0], copies[1]


def test_compare_names_the_keys_that_differ_and_each_runs_numbers(
    two_runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    comparison = compare_runs(list(two_runs))
    assert comparison.differences == {"lora_r": [4, 8], "lora_alpha": [8, 16]}
    for run in comparison.runs:
        assert run.status == "completed" and run.steps == 4 and len(run.loss) == 4 and len(run.eval) == 2
        assert run.final_loss == run.loss[-1][1] and run.eval_loss == run.eval[-1][1]
        assert run.tokens_per_second and run.tokens_per_second > 0 and run.duration_s and run.duration_s > 0
        assert run.peak_memory_mb and run.peak_memory_mb > 0 and run.unreadable_lines == 0
    assert main(["compare", *map(str, two_runs), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["differences"] == {"lora_r": [4, 8], "lora_alpha": [8, 16]}
    assert [run["final_loss"] for run in data["runs"]] == [run.final_loss for run in comparison.runs]
    assert main(["compare", *map(str, two_runs)]) == 0
    table = capsys.readouterr().out
    assert "lora_r" in table and "eval loss" in table and "peak memory" in table


def test_a_torn_events_file_still_compares_and_says_so(
    two_runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    events = two_runs[1] / EVENTS_FILE
    with events.open("a", encoding="utf-8") as stream:
        stream.write('not json\n{"v":1,"type":"step","step":')
    run = compare_runs(list(two_runs)).runs[1]
    assert run.unreadable_lines == 2 and run.steps == 4
    assert main(["compare", *map(str, two_runs)]) == 0
    assert "2 line(s) of its events could not be read" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make_folder", "message"),
    [
        (lambda tmp: None, "compare needs at least two run folders, got 1"),
        (lambda tmp: tmp / "missing", "is not a folder"),
        (lambda tmp: tmp.mkdir() or tmp, "is not a run folder: it has no events.jsonl"),
        (lambda tmp: (tmp.mkdir(), (tmp / EVENTS_FILE).write_text('{"v":1,"type":"log","message":"x"}\n'))
         and tmp, "has no training events yet"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    two_runs: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_folder: Callable[[Path], Path | None],
    message: str,
) -> None:
    other = make_folder(tmp_path / "other")
    folders = [two_runs[0]] + ([other] if other is not None else [])
    with pytest.raises(CompareError, match=message):
        compare_runs(folders)
    assert main(["compare", *map(str, folders)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.startswith("error: ")


def test_keys_set_in_one_run_only_differ_and_run_locations_do_not() -> None:
    configs = [{"lora_r": 8, "output_dir": "a", "seed": 1}, {"lora_r": 8, "output_dir": "b", "neftune_noise_alpha": 5}]
    assert config_differences(configs) == {"seed": [1, None], "neftune_noise_alpha": [None, 5]}
