"""Write one self-contained `.gguf` from a model folder, tensor by tensor, so memory holds one slice at a time.

The header, metadata and tensor table are written first (their sizes are known from shapes alone); then each
tensor is read from the safetensors files in row slices (engine/export/stored.py), a LoRA adapter's delta added
when one is merged (engine/export/merge.py), converted, quantized and appended. The file is filled under a
temporary name beside the target and renamed into place only when complete.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGML_QUANT_VERSION, GGMLQuantizationType, GGUFWriter, quant_shape_to_byte_shape, quants

from engine.atomic import write_file_atomically
from engine.export.architectures import (
    OUTPUT_TENSORS,
    ROPE_FREQS,
    Architecture,
    architecture_of,
    gguf_tensor_name,
    hyper_parameters,
    interleave_rope_rows,
    is_tied,
    llama3_rope_factors,
    rows_permutation,
)
from engine.export.errors import ExportError
from engine.export.merge import LoraDeltas, open_lora_deltas
from engine.export.quants import Quant, tensor_type
from engine.export.stored import StoredTensor, open_stored_tensors
from engine.export.tokenizer import add_vocabulary, read_vocabulary

TensorProgress = Callable[[int, int], None]
"""Called after each tensor with (tensors written, tensors in all)."""

SLICE_ELEMENTS = 1 << 22
"""Rows are read and quantized in slices of about this many values (16 MiB as float32), so the largest tensor
never has to be in memory whole."""


@dataclass(frozen=True)
class ModelSource:
    """What goes into the file: the weights' folder, the tokenizer's, and the chat template to store."""

    model_folder: Path
    tokenizer_folder: Path
    chat_template: str
    name: str
    """`general.name`: what llama.cpp and Ollama show for the model."""
    adapter_dir: Path | None = None
    """A LoRA adapter merged into the weights tensor by tensor as they are written (engine/export/merge.py)."""


@dataclass(frozen=True)
class TensorPlan:
    """One tensor of the file: where its values come from and how they are written."""

    name: str
    shape: tuple[int, ...]
    ggml_type: GGMLQuantizationType
    source: str | None
    """The checkpoint tensor it is read from; None for a tensor computed here (RoPE factors)."""
    interleave_heads: int | None = None
    values: np.ndarray | None = None

    @property
    def byte_shape(self) -> tuple[int, ...]:
        return tuple(int(size) for size in quant_shape_to_byte_shape(self.shape, self.ggml_type))

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.byte_shape))


def read_model_config(folder: Path) -> dict[str, Any]:
    """config.json of the model folder, checked for a supported architecture before anything else is read."""
    path = folder / "config.json"
    if not path.is_file():
        raise ExportError(f"no config.json in {folder}", fix="point base_model at a transformers model folder")
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    architecture_of(config)
    return config


def write_gguf(target: Path, source: ModelSource, quant: Quant, progress: TensorProgress | None = None) -> Path:
    """Write `source` as one GGUF file at `target` (replacing it only once the new file is complete)."""
    config = read_model_config(source.model_folder)
    arch = architecture_of(config)
    vocabulary = read_vocabulary(source.tokenizer_folder, int(config["vocab_size"]))
    with ExitStack() as stack:
        tensors = open_stored_tensors(source.model_folder, stack)
        plans = plan_tensors(tensors, config, arch, quant)
        deltas = None
        if source.adapter_dir is not None:
            deltas = open_lora_deltas(source.adapter_dir, stack, {plan.source for plan in plans if plan.source})

        def write(path: Path) -> None:
            writer = GGUFWriter(path, arch.gguf_name)
            writer.add_type("model")
            writer.add_name(source.name)
            _add_hyper_parameters(writer, arch, config)
            writer.add_file_type(int(quant.file_type))
            add_vocabulary(writer, source.tokenizer_folder, vocabulary, source.chat_template)
            writer.add_quantization_version(GGML_QUANT_VERSION)
            write_tensor_file(writer, path, plans, tensors, progress, deltas)

        return write_file_atomically(target, write)


def write_tensor_file(
    writer: GGUFWriter,
    path: Path,
    plans: list[TensorPlan],
    tensors: dict[str, StoredTensor],
    progress: TensorProgress | None = None,
    deltas: LoraDeltas | None = None,
) -> None:
    """Header, metadata and tensor table from `writer`, then each tensor's data streamed in slices (with its
    LoRA delta added when `deltas` has one for it)."""
    for plan in plans:
        writer.add_tensor_info(plan.name, plan.byte_shape, np.dtype(np.uint8), plan.nbytes, raw_dtype=plan.ggml_type)
    try:
        writer.write_header_to_file(path)
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        assert writer.fout is not None  # opened by write_header_to_file
        out = writer.fout[0]
        writer.write_padding(out, out.tell())
        for done, plan in enumerate(plans, start=1):
            written = 0
            for chunk in _encoded(plan, tensors, deltas):
                chunk.tofile(out)
                written += chunk.nbytes
            if written != plan.nbytes:
                raise ExportError(f"{plan.name}: wrote {written} bytes, planned {plan.nbytes}; please report this")
            writer.write_padding(out, plan.nbytes)
            if progress is not None:
                progress(done, len(plans))
        out.flush()
    finally:
        writer.close()


def plan_tensors(
    tensors: dict[str, StoredTensor], config: dict[str, Any], arch: Architecture, quant: Quant
) -> list[TensorPlan]:
    """Every tensor of the file, in the checkpoint's order, with its llama.cpp name and type."""
    plans = []
    tied = is_tied(config)
    for source in sorted(tensors):
        name = gguf_tensor_name(source)
        if name is None or (tied and name in OUTPUT_TENSORS):
            continue
        shape = tensors[source].shape
        is_output = name in OUTPUT_TENSORS or (tied and name == "token_embd.weight")
        ggml_type = tensor_type(quant, shape, is_output=is_output, keep_f32=False)
        plans.append(TensorPlan(name, shape, ggml_type, source, rows_permutation(name, config, arch)))
    factors = llama3_rope_factors(config)
    if factors is not None:
        plans.insert(0, TensorPlan(ROPE_FREQS, factors.shape, GGMLQuantizationType.F32, None, values=factors))
    return plans


def _add_hyper_parameters(writer: GGUFWriter, arch: Architecture, config: dict[str, Any]) -> None:
    for suffix, value in hyper_parameters(config, arch).items():
        key = f"{arch.gguf_name}.{suffix}"
        if isinstance(value, str):
            writer.add_string(key, value)
        elif isinstance(value, float):
            writer.add_float32(key, value)
        else:
            writer.add_uint32(key, value)


def _encoded(plan: TensorPlan, tensors: dict[str, StoredTensor], deltas: LoraDeltas | None) -> Iterator[np.ndarray]:
    """The tensor's bytes in row slices (whole when its rows must be reordered across the tensor). A merged
    tensor is the base rows plus the same rows of its delta, added in float32 before any reordering."""
    if plan.values is not None:
        yield quants.quantize(plan.values, plan.ggml_type)
        return
    assert plan.source is not None  # a checkpoint tensor
    stored = tensors[plan.source]
    delta = deltas.delta(plan.source) if deltas is not None else None
    if delta is not None and delta.shape != stored.shape:
        raise ExportError(
            f"the adapter's change to {plan.source} is {delta.shape}, the base tensor {stored.shape}",
            fix="check that base_model is the model the adapter was trained on",
        )
    if plan.interleave_heads is not None or len(plan.shape) < 2:
        values = stored.rows()
        if delta is not None:
            np.add(values, delta, out=values)  # rows() is a fresh array: no second tensor-sized buffer
        if plan.interleave_heads is not None:
            values = interleave_rope_rows(values, plan.interleave_heads)
        yield quants.quantize(values, plan.ggml_type)
        return
    step = max(1, SLICE_ELEMENTS // plan.shape[-1])
    for start in range(0, plan.shape[0], step):
        rows = stored.rows(start, start + step)
        if delta is not None:
            np.add(rows, delta[start : start + step], out=rows)
        yield quants.quantize(rows, plan.ggml_type)
