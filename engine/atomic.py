"""Replacing a file so that readers see the old content or the new, never half of either.

The one atomic-write helper: configs, presets, launch plans, run records and model cards all go through it. Each
writer gets its own temporary name (mkstemp) in the target's folder, so two processes saving the same file at
once never write into each other's temporary file; the last rename wins with a whole file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`.

    The file keeps the mode it had (a 0644 config stays 0644; mkstemp's temporary file is 0600), and a new file
    gets the mode any other new file would get under the user's umask.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_current_umask()
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def _current_umask() -> int:
    """The process umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
