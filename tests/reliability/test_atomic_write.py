"""engine.atomic.write_text_atomic, the one way a file is replaced: whole or not at all, even with two writers."""

from __future__ import annotations

import multiprocessing
import stat
import threading
from pathlib import Path

from engine.atomic import publish_folder, write_folder_atomically, write_text_atomic

SIZE = 256 * 1024
"""Big enough that a write takes several system calls, so a shared temporary file would show mixed content."""
ROUNDS = 40


def _write_many(path: Path, letter: str, start: multiprocessing.synchronize.Event) -> None:
    start.wait()
    for _ in range(ROUNDS):
        write_text_atomic(path, letter * SIZE)


def test_two_processes_writing_the_same_file_never_collide(tmp_path: Path) -> None:
    """Each writer has its own temporary file: every read sees one writer's whole text, and nothing is left over."""
    target = tmp_path / "run.json"
    context = multiprocessing.get_context("fork")
    start = context.Event()
    writers = [context.Process(target=_write_many, args=(target, letter, start)) for letter in "ab"]
    for writer in writers:
        writer.start()
    start.set()
    while any(writer.is_alive() for writer in writers):
        if target.exists():
            text = target.read_text(encoding="utf-8")
            assert len(text) == SIZE and text.strip(text[0]) == "", "a reader saw a mixed or partial file"
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0, "a writer failed (a temporary file taken by the other process?)"
    final = target.read_text(encoding="utf-8")
    assert len(final) == SIZE and final[0] in "ab" and final.strip(final[0]) == ""
    assert [path.name for path in tmp_path.iterdir()] == ["run.json"], "a temporary file was left behind"


def test_the_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "config.yml"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    write_text_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_two_writers_of_one_folder_each_stage_their_own(tmp_path: Path) -> None:
    """Two writers of the same folder at once (here two threads of one process, which share a pid): each fills
    its own staging folder, and the target ends up as one writer's whole folder."""
    target = tmp_path / "merged"
    both_writing = threading.Barrier(2)
    failures: list[BaseException] = []

    def fill(letter: str) -> None:
        def write(folder: Path) -> None:
            folder.mkdir()
            (folder / "weights").write_text(letter, encoding="utf-8")
            both_writing.wait(timeout=30)
            (folder / "config").write_text(letter, encoding="utf-8")

        try:
            write_folder_atomically(target, write)
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            failures.append(error)

    threads = [threading.Thread(target=fill, args=(letter,)) for letter in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    weights, config = ((target / name).read_text(encoding="utf-8") for name in ("weights", "config"))
    assert weights == config and weights in "ab"
    assert [path.name for path in tmp_path.iterdir()] == ["merged"]


def _done(folder: Path) -> bool:
    return (folder / "done").exists()


def _staged(parent: Path, letter: str) -> Path:
    folder = parent / f"staged-{letter}"
    folder.mkdir()
    (folder / "done").write_text(letter, encoding="utf-8")
    return folder


def test_publish_folder_keeps_the_first_complete_copy_and_replaces_an_interrupted_one(tmp_path: Path) -> None:
    target = tmp_path / "entry"
    target.mkdir()
    (target / "half").write_text("an interrupted older write", encoding="utf-8")
    assert publish_folder(_staged(tmp_path, "a"), target, _done)
    assert not publish_folder(_staged(tmp_path, "b"), target, _done)
    assert sorted(path.name for path in target.iterdir()) == ["done"]
    assert (target / "done").read_text(encoding="utf-8") == "a"
