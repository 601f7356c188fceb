"""Replacing a file so that readers see the old content or the new, never half of either.

The one atomic-write helper for files: configs, presets, launch plans, run records and model cards all go through
it, and `write_file_atomically` is its form for a file written by path (an exported model);
`write_folder_atomically` does the same for a whole folder (a merged model), `publish_folder` for a result whoever
computes it first (prepared data, a converted model), and `create_exclusive` for a file only one process
may create (the run lock). Each writer gets its own temporary name (mkstemp, mkdtemp) beside the target, so two
processes saving the same file at once never write into each other's temporary file; the last rename wins with
a whole file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

PUBLISH_ATTEMPTS = 5
"""How often a folder swap is retried when other writers keep publishing the same target in between."""


def write_text_atomic(path: Path, text: str) -> Path:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`.

    The file keeps the mode it had (a 0644 config stays 0644; mkstemp's temporary file is 0600), and a new file
    gets the mode any other new file would get under the user's umask.
    """

    def write(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8")

    return write_file_atomically(path, write)


def write_file_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Let `write` fill a temporary file beside `path` (by its name), flush it to disk, then rename it over `path`.

    For files too large to hold as one string (an exported model): whatever stops `write` (an error, a full disk,
    Ctrl-C) removes the temporary file, so no half-written file ever carries the final name. Modes as in
    `write_text_atomic`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~UMASK
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, mode)
        os.close(handle)
        write(Path(temp_name))
        _fsync_file(Path(temp_name))
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def _fsync_file(path: Path) -> None:
    """Flush a written file's data to disk before the rename makes it visible under its final name."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def create_exclusive(path: Path, text: str) -> bool:
    """Create `path` holding `text` unless it exists; False when it does. Readers never see it half written.

    The text goes to a temporary file that is then hard-linked to `path`: the link appears complete or not at all,
    and it fails when `path` exists, so of two processes creating the same file exactly one succeeds (a lock).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.link(temp_name, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temp_name)


def _read_umask() -> int:
    """The process umask. Reading it means setting it, which is process-wide and races with other threads creating
    files, so it is read once, when this module is imported (before any writer thread exists)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()
"""The user's umask as this process started: new files get `0o666 & ~UMASK`, as any other new file would."""


def discard_folder(folder: Path) -> None:
    """Remove a temporary or half-written folder (a staging folder, an interrupted save), whatever is in it.

    The one place ft-tui deletes a folder tree: tests/test_one_owner.py allows `rmtree` here only, so a run folder,
    an adapter or a user's data can never be deleted by a second code path (replacing a run moves it aside).
    """
    shutil.rmtree(folder, ignore_errors=True)


def write_folder_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Let `write` fill a new folder beside `target`, then swap it in; an existing `target` survives any failure.

    The staging folder has a unique name (mkdtemp) in the target's parent, so two processes writing the same
    target never share it and the final renames stay on one file system. When another writer publishes between
    our two renames, we move theirs aside too and try again: the last writer wins with a whole folder.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        staged, previous = work / "new", work / "previous"
        write(staged)
        for _ in range(PUBLISH_ATTEMPTS):
            discard_folder(previous)
            with contextlib.suppress(FileNotFoundError):  # no folder there yet
                target.rename(previous)
            try:
                staged.rename(target)
                return
            except OSError as error:
                if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
        raise OSError(errno.EBUSY, f"{target} kept being replaced by another writer; try again")
    finally:
        discard_folder(work)


def publish_folder(staged: Path, target: Path, is_complete: Callable[[Path], bool]) -> bool:
    """Rename the finished `staged` folder to `target` unless a complete one is already there; True when ours went in.

    For results that are the same whoever computes them (prepared data, a converted model): the first complete
    copy wins and later ones are dropped by the caller. A `target` that is there but incomplete is an interrupted
    older write, not a live copy: it is removed and the rename tried again.
    """
    for _ in range(PUBLISH_ATTEMPTS):
        if is_complete(target):
            return False
        try:
            staged.rename(target)
            return True
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
        if not is_complete(target):
            discard_folder(target)
    return False


def rename_to_new_name(source: Path, target: Path) -> None:
    """Rename a file or folder to `target`, which must not exist: a rename, never a replacement (raises
    FileExistsError when `target` is there)."""
    if target.exists():
        raise FileExistsError(errno.EEXIST, "already exists", str(target))
    source.rename(target)
