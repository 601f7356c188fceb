"""The repository carries everything its tests and benchmarks read, and names no folder of the machine it was
built on: a clone at any path, on a machine with nothing else, must pass."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_DATA = ROOT / "tests" / "fixtures" / "data"

# A path of some machine: a home or work folder, a sibling of the checkout, the machine's shared data.
MACHINE_PATH = re.compile(r"""(/work/|/root/|/home/\w|/Users/\w|\.\./shared|["']shared["']\s*[/)])""")
SCANNED_SUFFIXES = {".py", ".toml", ".cfg", ".yml", ".yaml", ".sh", ".md", ".json", ".jsonl", ".txt"}
ALLOWED = {
    # This file spells the patterns it looks for.
    "tests/repo/test_portability.py",
}


def _tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    if listed.returncode != 0:  # an exported tree without git: scan what is there
        return [path for path in ROOT.rglob("*") if path.is_file() and ".venv" not in path.parts]
    return [ROOT / line for line in listed.stdout.splitlines()]


def _scanned() -> list[Path]:
    return [
        path
        for path in _tracked_files()
        if (path.suffix in SCANNED_SUFFIXES or path.parent.name == ".ci")
        and "__snapshots__" not in path.parts
        and path.relative_to(ROOT).as_posix() not in ALLOWED
        and path.is_file()
    ]


def _lines_matching(pattern: re.Pattern[str]) -> list[str]:
    """`file:line: text` for every scanned line the pattern finds something in."""
    found = []
    for path in _scanned():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    return found


def test_no_file_names_a_path_of_the_build_machine() -> None:
    offenders = _lines_matching(MACHINE_PATH)
    assert not offenders, "paths outside the repository:\n" + "\n".join(offenders)


# Words about how the project was made rather than what it is: a tracker's issue numbers, its reviewers' roles.
PROCESS_WORDS = re.compile(r"\b(issues? #?\d+|the lead's)", re.IGNORECASE)


def test_no_file_speaks_of_the_tracker() -> None:
    """A reader of the code or docs has no access to the tracker these words point at: say what was measured or
    decided instead."""
    offenders = _lines_matching(PROCESS_WORDS)
    assert not offenders, "words about the tracker:\n" + "\n".join(offenders)


def test_the_scan_sees_the_code() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in _scanned()}
    assert {"engine/presets.py", "tests/data/test_prepare.py", "bench/train_bench.py", ".ci/run"} <= names


# Spelled in pieces so that scanners of the repository (this test, the pre-stop hook) do not flag this file.
CAUGHT = ['open("' + "/work" + '/shared/data/x.json")', "ROOT.parent / " + '"shared" / "x"', ".." + "/shared/x"]


@pytest.mark.parametrize("line", CAUGHT)
def test_the_scan_catches_machine_paths(line: str) -> None:
    assert MACHINE_PATH.search(line)


def test_demo_data_matches_its_generator() -> None:
    spec = importlib.util.spec_from_file_location("make_demo_data", DEMO_DATA / "make_demo_data.py")
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    message = "run `python tests/fixtures/data/make_demo_data.py` and commit the result"
    assert (DEMO_DATA / "alpaca_demo.json").read_text(encoding="utf-8") == generator.alpaca_text(), message
    assert (DEMO_DATA / "c4_demo.jsonl").read_text(encoding="utf-8") == generator.c4_text(), message


def test_no_test_asserts_a_duration() -> None:
    """Speed belongs in bench/: a loaded machine must not fail a test."""
    timed = re.compile(r"assert .*(monotonic|perf_counter|time\.time)\(\)\s*-\s*\w+\s*[<>]")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "tests").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if timed.search(line)
    ]
    assert not offenders, offenders
