"""The bad-input corpus (tests/bad_inputs): every case ends with its exit code and one clear line, nothing left over."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).parents[2]
CORPUS = ROOT / "tests" / "bad_inputs"


@dataclass(frozen=True)
class Expectation:
    case: str
    command: str
    code: int
    phrase: str
    setup: tuple[str, ...]
    args: tuple[str, ...] = ()
    """Command-line overrides given to `train` after the config."""
    export_args: tuple[str, ...] = ()
    """Arguments given to `export` after the config."""


def _expectations() -> list[Expectation]:
    found = []
    for config in sorted(CORPUS.glob("*.yml")):
        header = [line[1:].strip() for line in config.read_text().splitlines() if line.startswith("#")]
        setup = tuple(line.removeprefix("setup:").strip() for line in header if line.startswith("setup:"))
        args = tuple(arg for line in header if line.startswith("args:") for arg in line.removeprefix("args:").split())
        export_args = tuple(
            arg
            for line in header
            if line.startswith("export-args:")
            for arg in line.removeprefix("export-args:").split()
        )
        for line in header:
            if line.startswith("expect "):
                command, _, rest = line.removeprefix("expect ").partition(":")
                code, _, phrase = rest.strip().partition(" ")
                found.append(Expectation(config.stem, command, int(code), phrase, setup, args, export_args))
    return found


CASES = _expectations()


def test_the_corpus_is_read() -> None:
    assert len({e.case for e in CASES}) == len(list(CORPUS.glob("*.yml")))
    assert {e.command for e in CASES} == {"validate", "preprocess", "train", "export"}


def _prepare(folder: Path, case: Expectation, model: Path) -> None:
    shutil.copytree(CORPUS / "data", folder / "data")
    shutil.copy(CORPUS / f"{case.case}.yml", folder / "case.yml")
    (folder / "model").symlink_to(model, target_is_directory=True)
    for step in case.setup:
        kind, _, target = step.partition(" ")
        if kind == "file":
            (folder / target).write_text("not a folder")
        elif kind == "symlink-loop":
            (folder / target).symlink_to(folder / target)
        elif kind == "architecture":  # a model folder whose config.json names another architecture
            name, _, architecture = target.partition(" ")
            (folder / name).mkdir()
            (folder / name / "config.json").write_text(f'{{"architectures": ["{architecture}"]}}')
        else:
            raise AssertionError(f"unknown setup {step!r} in {case.case}")


def _leftovers(folder: Path) -> list[str]:
    found = [str(p) for p in folder.rglob("*.partial")] + [str(p) for p in folder.rglob("run.lock")]
    found += [str(p) for p in folder.rglob("*.gguf*")]
    for process in psutil.process_iter(["pid", "cmdline"]):
        if process.info["pid"] != os.getpid() and str(folder) in " ".join(process.info["cmdline"] or []):
            found.append(f"process {process.info['pid']}")
    return found


def _arguments(case: Expectation) -> tuple[str, ...]:
    return {"train": case.args, "export": case.export_args}.get(case.command, ())


@pytest.mark.parametrize("case", CASES, ids=[f"{e.case}-{e.command}" for e in CASES])
def test_bad_input(case: Expectation, tmp_path: Path, tiny_model_dir: Path) -> None:
    _prepare(tmp_path, case, tiny_model_dir)
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", case.command, "case.yml", *_arguments(case)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == case.code, output
    assert output.count(case.phrase) == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert _leftovers(tmp_path) == []
