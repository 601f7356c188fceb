"""What a user chooses when exporting, in one place for every front end: the formats, the quants each accepts and
its default, where each writes by default, and the command that runs the written file.

`ft-tui export` builds its `--to` and `--quant` defaults from this table, and the monitor's Export dialog builds
its choices from it, so a quant added here appears in both and neither lists them again.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.export.lora import DEFAULT_LORA_QUANT, LORA_QUANTS
from engine.export.model import ExportRequest, default_lora_output, default_output
from engine.export.quants import DEFAULT_QUANT, QUANTS, Quant


@dataclass(frozen=True)
class ExportFormat:
    """One `--to` choice."""

    name: str
    """The `--to` value."""
    label: str
    quants: tuple[str, ...]
    default_quant: str
    default_out: Callable[[ExportRequest, Quant], Path]

    @property
    def is_lora(self) -> bool:
        return self.name == "gguf-lora"


FORMATS: dict[str, ExportFormat] = {
    fmt.name: fmt
    for fmt in (
        ExportFormat("gguf", "GGUF model (base + adapter merged)", tuple(QUANTS), DEFAULT_QUANT, default_output),
        ExportFormat(
            "gguf-lora", "GGUF LoRA adapter (on top of the base's GGUF)", LORA_QUANTS, DEFAULT_LORA_QUANT,
            default_lora_output,
        ),
    )
}  # fmt: skip
DEFAULT_FORMAT = "gguf"


def default_quant(format_name: str) -> str:
    return FORMATS[format_name].default_quant


def default_target(request: ExportRequest, format_name: str, quant_name: str) -> Path:
    """The file `ft-tui export` writes when `--out` is not given."""
    return FORMATS[format_name].default_out(request, QUANTS[quant_name])


def run_command(gguf: Path, *, lora: bool, base_gguf: Path | None = None) -> str:
    """The llama.cpp command that chats with what was written: the model itself, or the base with this adapter."""
    if lora:
        base = shlex.quote(str(base_gguf)) if base_gguf is not None else "BASE.gguf"
        return f"llama-cli -m {base} --lora {shlex.quote(str(gguf))}"
    return f"llama-cli -m {shlex.quote(str(gguf))}"
