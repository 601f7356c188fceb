"""The bad-input corpus (tests/bad_inputs): every case ends with its exit code and one clear line, nothing left over."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
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


def _prepare(folder: Path, case: Expectation, model: Path) -> list[str]:
    """The case's folder, made by its setup steps; returns the command-line arguments the steps add."""
    shutil.copytree(CORPUS / "data", folder / "data")
    shutil.copy(CORPUS / f"{case.case}.yml", folder / "case.yml")
    (folder / "model").symlink_to(model, target_is_directory=True)
    args: list[str] = []
    for step in case.setup:
        kind, *words = step.split()
        args += _SETUP[kind](folder, *words)
    return args


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def _fresh(path: Path) -> Path:
    """The path with whatever the copied corpus put there removed (a step may replace case.yml itself)."""
    path.unlink(missing_ok=True)
    return path


def _file(folder: Path, name: str) -> list[str]:
    (folder / name).write_text("not a folder")
    return []


def _symlink_loop(folder: Path, name: str) -> list[str]:
    (folder / name).symlink_to(folder / name)
    return []


def _fifo(folder: Path, name: str) -> list[str]:
    os.mkfifo(_fresh(folder / name))
    return []


def _link(folder: Path, name: str, target: str) -> list[str]:
    _fresh(folder / name).symlink_to(target)
    return []


def _nul(folder: Path, name: str) -> list[str]:
    path = folder / name
    path.write_bytes(path.read_bytes().replace(b"\n", b"\x00\n", 1))
    return []


def _nested_json(folder: Path, name: str, depth: str) -> list[str]:
    (folder / name).write_text(_nested(int(depth)))
    return []


def _nested_row(folder: Path, name: str, depth: str) -> list[str]:
    """A good row, then one nested `depth` deep in arrays (200 KB for 100,000: inside validate's look at the file)."""
    row = '{"instruction": "hi", "input": "", "output": ' + "[" * int(depth) + "]" * int(depth) + "}"
    (folder / name).write_text('{"instruction": "hi", "input": "", "output": "hello"}\n' + row + "\n")
    return []


def _nested_arg(_folder: Path, flag: str, depth: str) -> list[str]:
    return [flag, "[" * int(depth) + "]" * int(depth)]


def _alias_bomb_arg(_folder: Path, flag: str) -> list[str]:
    """Six levels of nine aliases each: 9**6 values from about 200 bytes."""
    names = "abcdef"
    levels = ["&a [" + ", ".join(["x"] * 9) + "]"]
    levels += [f"&{name} [" + ", ".join([f"*{below}"] * 9) + "]" for below, name in itertools.pairwise(names)]
    return [flag, "[" + ", ".join(levels) + "]"]


def _architecture(folder: Path, name: str, architecture: str) -> list[str]:
    """A model folder whose config.json names another architecture."""
    (folder / name).mkdir()
    (folder / name / "config.json").write_text(f'{{"architectures": ["{architecture}"]}}')
    return []


_SETUP: dict[str, Callable[..., list[str]]] = {
    "file": _file,
    "symlink-loop": _symlink_loop,
    "fifo": _fifo,
    "link": _link,
    "nul": _nul,
    "nested-json": _nested_json,
    "nested-row": _nested_row,
    "nested-arg": _nested_arg,
    "alias-bomb-arg": _alias_bomb_arg,
    "architecture": _architecture,
}
"""Setup steps (`# setup: KIND WORDS...`): each makes an input in the case's folder that cannot be shipped as a
file (a FIFO, a link to a device, a NUL byte, nesting thousands deep) and returns the arguments it adds."""


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
    extra = _prepare(tmp_path, case, tiny_model_dir)
    args = [*_arguments(case), *extra] if case.command in ("train", "export") else []
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", case.command, "case.yml", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,  # a hang guard: every case must end
    )
    output = done.stdout + done.stderr
    assert done.returncode == case.code, output
    assert output.count(case.phrase) == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert _leftovers(tmp_path) == []
