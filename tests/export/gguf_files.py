"""Reading an exported GGUF back in tests: metadata as plain values, tensors dequantized to float32."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGUFReader, GGUFValueType
from gguf.quants import dequantize


def metadata(path: Path) -> dict[str, Any]:
    """Every key of the file with its value (strings decoded, arrays as lists), and its GGUF type."""
    reader = GGUFReader(path)
    return {key: (_value(field), tuple(field.types)) for key, field in reader.fields.items()}


def _value(field: Any) -> Any:
    kinds = field.types
    if kinds[0] == GGUFValueType.ARRAY:
        if kinds[1] == GGUFValueType.STRING:
            return [bytes(field.parts[index]).decode("utf-8") for index in field.data]
        return [field.parts[index].tolist()[0] for index in field.data]
    if kinds[0] == GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    return field.parts[field.data[0]].tolist()[0]


def tensors(path: Path) -> dict[str, tuple[str, tuple[int, ...], np.ndarray]]:
    """name -> (GGML type name, shape as llama.cpp lists it, values dequantized to float32)."""
    reader = GGUFReader(path)
    return {
        tensor.name: (
            tensor.tensor_type.name,
            tuple(int(size) for size in tensor.shape),
            dequantize(tensor.data, tensor.tensor_type).astype(np.float32),
        )
        for tensor in reader.tensors
    }
