"""`ft-tui export --to gguf-lora`: the adapter alone as llama.cpp's LoRA GGUF (what `llama-cli --lora` and
Ollama's `ADAPTER` read), megabytes on top of the base's own GGUF.

llama.cpp applies `W x + (alpha / r) * B (A x)` with A and B stored under the base tensor's name plus `.lora_a` /
`.lora_b`, and the scale from `adapter.lora.alpha` and the rank it reads from A. The B rows of q and k follow the
same RoPE reordering as the base's q and k rows.
"""

from __future__ import annotations

import math
import re
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gguf import GGUFWriter

from engine.atomic import write_file_atomically
from engine.export.architectures import Architecture, architecture_of, gguf_tensor_name, rows_permutation
from engine.export.errors import ExportError, ExportUsageError
from engine.export.gguf_file import (
    TensorPlan,
    TensorProgress,
    read_model_config,
    write_tensor_file,
)
from engine.export.merge import read_adapter_settings, unsupported_adapter
from engine.export.quants import Quant, tensor_type
from engine.export.stored import StoredTensor, open_stored_tensors

LORA_QUANTS = ("f16", "bf16", "q8_0")
"""An adapter is small already; lower bits would cost its accuracy for a few megabytes."""
DEFAULT_LORA_QUANT = "f16"
"""The adapter as trained, at a size that is still megabytes."""

_PEFT_NAME = re.compile(r"^base_model\.model\.(.+)\.lora_([AB])\.weight$")


@dataclass(frozen=True)
class LoraSource:
    adapter_dir: Path
    base_folder: Path
    name: str


def check_lora_quant(quant: Quant) -> None:
    if quant.name not in LORA_QUANTS:
        raise ExportUsageError(
            f"--quant {quant.name} is for whole models; a LoRA adapter is written in {', '.join(LORA_QUANTS)}",
            fix="leave --quant out (f16) or quantize the base model's GGUF instead",
        )


def write_lora_gguf(target: Path, source: LoraSource, quant: Quant, progress: TensorProgress | None = None) -> Path:
    """Write the adapter in `source.adapter_dir` as a llama.cpp LoRA GGUF at `target`."""
    config = read_model_config(source.base_folder)
    arch = architecture_of(config)
    settings = _adapter_settings(source.adapter_dir, config)
    with ExitStack() as stack:
        tensors = open_stored_tensors(source.adapter_dir, stack)
        plans = _plan(tensors, config, arch, quant)

        def write(path: Path) -> None:
            writer = GGUFWriter(path, arch.gguf_name)
            writer.add_type("adapter")
            writer.add_name(source.name)
            writer.add_string("adapter.type", "lora")
            writer.add_float32("adapter.lora.alpha", settings)
            write_tensor_file(writer, path, plans, tensors, progress)

        return write_file_atomically(target, write)


def _adapter_settings(adapter_dir: Path, model_config: dict[str, Any]) -> float:
    """`adapter.lora.alpha` for llama.cpp's `alpha / r`; ExportError for an adapter llama.cpp cannot apply."""
    settings = read_adapter_settings(adapter_dir)
    why = unsupported_adapter(settings, adapter_dir, model_config)
    if why:
        raise ExportError(
            f"the adapter in {adapter_dir} {why}, which a GGUF LoRA cannot carry",
            fix="export the merged model instead: --to gguf",
        )
    alpha, rank = float(settings["lora_alpha"]), int(settings["r"])
    return alpha * math.sqrt(rank) if settings.get("use_rslora") else alpha  # rsLoRA scales by alpha / sqrt(r)


def _plan(
    tensors: dict[str, StoredTensor], config: dict[str, Any], arch: Architecture, quant: Quant
) -> list[TensorPlan]:
    plans = []
    for source in sorted(tensors):
        match = _PEFT_NAME.match(source)
        if match is None:
            raise ExportError(f"the adapter holds a tensor that is not a LoRA matrix: {source}", fix="use --to gguf")
        base = gguf_tensor_name(f"{match[1]}.weight")
        if base is None:
            continue
        shape = tensors[source].shape
        is_b = match[2] == "B"
        heads = rows_permutation(base, config, arch) if is_b else None
        ggml_type = tensor_type(quant, shape, is_output=False, keep_f32=False)
        plans.append(TensorPlan(f"{base}.lora_{match[2].lower()}", shape, ggml_type, source, heads))
    if not plans:
        raise ExportError("the adapter holds no LoRA matrices", fix="point --adapter at a trained LoRA adapter")
    return plans
