"""Loading local files of every kind, folders, data_files, and failing fast on unreachable hub ids."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.config import DatasetConfig
from engine.data import loading
from engine.data.errors import DataError
from engine.data.loading import load_source
from engine.models import hub

ROWS = [{"text": "alpha"}, {"text": "beta"}]


def _rows(ds: Any) -> list[str]:
    return list(ds["text"])


def test_json_jsonl_csv_parquet_txt(tmp_path: Path, write_json: Any) -> None:
    import datasets

    paths = [write_json("a.json", ROWS), write_json("a.jsonl", ROWS)]
    (tmp_path / "a.csv").write_text("text\nalpha\nbeta\n")
    (tmp_path / "a.txt").write_text("alpha\nbeta\n")
    datasets.Dataset.from_list(ROWS).to_parquet(str(tmp_path / "a.parquet"))
    paths += [str(tmp_path / f"a.{ext}") for ext in ("csv", "txt", "parquet")]
    for path in paths:
        assert _rows(load_source(DatasetConfig(path=path))) == ["alpha", "beta"], path


def test_folder_and_data_files(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "one.jsonl").write_text('{"text": "alpha"}\n')
    (folder / "two.jsonl").write_text('{"text": "beta"}\n')
    assert sorted(_rows(load_source(DatasetConfig(path=str(folder))))) == ["alpha", "beta"]
    assert _rows(load_source(DatasetConfig(path=str(folder), data_files="two.jsonl"))) == ["beta"]


def test_saved_dataset_dict_and_split(tmp_path: Path) -> None:
    import datasets

    saved = tmp_path / "saved"
    datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS)}).save_to_disk(str(saved))
    assert _rows(load_source(DatasetConfig(path=str(saved)))) == ["alpha", "beta"]
    with pytest.raises(DataError, match="no split 'test'; it has: train"):
        load_source(DatasetConfig(path=str(saved), split="test"))


def test_missing_file_and_bad_json_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"'\./nope\.json' does not exist"):
        load_source(DatasetConfig(path="./nope.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("[{not json")
    with pytest.raises(DataError, match="cannot read dataset") as caught:
        load_source(DatasetConfig(path=str(bad)))
    assert "\n" not in str(caught.value)


def test_unknown_suffix_asks_for_ds_type(tmp_path: Path) -> None:
    odd = tmp_path / "rows.data"
    odd.write_text('{"text": "alpha"}\n')
    with pytest.raises(DataError, match="set `ds_type`"):
        load_source(DatasetConfig(path=str(odd)))
    assert _rows(load_source(DatasetConfig(path=str(odd), ds_type="json"))) == ["alpha"]


def test_hub_id_offline_fails_fast_naming_the_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setattr(loading, "hub_unreachable_reason", lambda: "https://huggingface.co did not answer")

    def no_hub_load(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an unreachable hub must be reported before `datasets` tries to download")

    monkeypatch.setattr("datasets.load_dataset", no_hub_load)
    with pytest.raises(DataError, match=r"'tatsu-lab/alpaca' is not a local file.*hub cannot be reached"):
        load_source(DatasetConfig(path="tatsu-lab/alpaca"))


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A local server that accepts TCP connections and never answers, like a sandbox or a corporate proxy."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_hub_id_uses_the_endpoint_check_not_a_bare_connect(
    monkeypatch: pytest.MonkeyPatch, silent_endpoint: str
) -> None:
    """Dataset loading asks the same HEAD probe as model resolution, at `$HF_ENDPOINT`: an endpoint that accepts the
    connection and answers nothing is unreachable, and the message says which endpoint was tried."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", silent_endpoint)
    monkeypatch.setattr(hub, "PROBE_TIMEOUT_S", 0.3)
    monkeypatch.setattr("datasets.load_dataset", lambda *_a, **_k: pytest.fail("the hub must be probed first"))
    with pytest.raises(DataError, match=rf"hub cannot be reached \({silent_endpoint} did not answer"):
        load_source(DatasetConfig(path="tatsu-lab/alpaca"))


def test_a_broken_jsonl_line_is_told_once_by_its_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """datasets logged its own "JSON parse error ... in row 6" (0-based) before ft-tui's "line 7" line."""
    import logging

    from datasets.utils import logging as datasets_logging

    datasets_logging.set_verbosity(logging.WARNING)  # as a run leaves it: errors are shown
    rows = ['{"instruction": "q", "input": "", "output": "a"}'] * 6 + ['{"instruction": "q" "output": "a"}']
    data = tmp_path / "broken.jsonl"
    data.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError, match="line 7 is not valid JSON"):
        load_source(DatasetConfig(path=str(data), type="alpaca"))
    captured = capfd.readouterr()
    assert "JSON parse error" not in captured.err + captured.out


@pytest.mark.parametrize("folder_name", ["[exp]", "run*1", "what?"])
def test_path_with_glob_characters_reads_that_file(tmp_path: Path, folder_name: str) -> None:
    """`datasets` treats data_files as patterns; a real folder named `[exp]` must still be read, not matched."""
    folder = tmp_path / "runs" / folder_name
    folder.mkdir(parents=True)
    (folder / "d.jsonl").write_text('{"text": "alpha"}\n{"text": "beta"}\n')
    assert _rows(load_source(DatasetConfig(path=str(folder / "d.jsonl")))) == ["alpha", "beta"]
    assert _rows(load_source(DatasetConfig(path=str(folder)))) == ["alpha", "beta"]
