"""Read safetensors checkpoints a row slice at a time, so an export holds one slice of one tensor in memory.

A memory map would do the reading too, but every page it touches stays resident in the process until the map is
closed: exporting a model through one grows to the size of the checkpoint. Plain positioned reads leave the data in
the OS page cache, which any process may reclaim, and the process itself holds only the slice it converts. The
format is a little-endian u64 header length, a JSON header (dtype, shape, byte offsets per tensor), then the data.
"""

from __future__ import annotations

import json
import struct
from contextlib import ExitStack
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path

import numpy as np

from engine.export.errors import ExportError

_NUMPY_TYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "BF16": np.uint16}
"""bfloat16 is read as its 16 bits and widened to float32 by hand (numpy has no bfloat16)."""


@dataclass(frozen=True)
class StoredTensor:
    """One tensor of a safetensors file: where its bytes are, and how to turn rows of them into float32."""

    stream: BufferedReader
    dtype: str
    shape: tuple[int, ...]
    offset: int
    """Absolute position of its first byte in the file."""

    def rows(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows `start:stop` (along the first axis; a 1-D tensor is read whole) as float32."""
        row_shape = self.shape[1:]
        stop = self.shape[0] if stop is None or not row_shape else min(stop, self.shape[0])
        start = 0 if not row_shape else start
        kind = np.dtype(_NUMPY_TYPES[self.dtype])
        per_row = int(np.prod(row_shape, dtype=np.int64)) * kind.itemsize if row_shape else kind.itemsize
        buffer = np.empty((stop - start) * per_row, dtype=np.uint8)
        self.stream.seek(self.offset + start * per_row)
        if self.stream.readinto(buffer.data) != buffer.size:
            raise ExportError(f"a safetensors file ends early (at {self.stream.name})", fix="re-download the model")
        values = buffer.view(kind).reshape((stop - start, *row_shape) if row_shape else (stop - start,))
        if self.dtype == "BF16":
            return (values.astype(np.uint32) << 16).view(np.float32)
        return values.astype(np.float32, copy=False)


def open_stored_tensors(folder: Path, stack: ExitStack) -> dict[str, StoredTensor]:
    """Every tensor of every `*.safetensors` file in `folder`, by name; the files stay open until `stack` closes."""
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ExportError(
            f"no safetensors weights in {folder}", fix="save the model with safetensors (`ft-tui merge` does)"
        )
    found: dict[str, StoredTensor] = {}
    for file in files:
        stream = stack.enter_context(file.open("rb"))
        found.update(_header(stream, file))
    return found


def _header(stream: BufferedReader, file: Path) -> dict[str, StoredTensor]:
    (length,) = struct.unpack("<Q", stream.read(8))
    header = json.loads(stream.read(length))
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in _NUMPY_TYPES:
            raise ExportError(f"{file.name}: {name} is stored as {entry['dtype']}", fix="export a float checkpoint")
        begin = entry["data_offsets"][0]
        tensors[name] = StoredTensor(stream, entry["dtype"], tuple(entry["shape"]), 8 + length + begin)
    return tensors
