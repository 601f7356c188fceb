"""The quantizations `ft-tui export` writes, and which GGML type each tensor gets under each of them.

The rules follow what llama.cpp's own tools write, so a file from us reads like one from theirs: 1-D tensors
(norms, biases) and the RoPE frequency factors stay F32; the output projection (or the token embedding when it is
tied to the output) keeps 8 bits in the 4- and 5-bit quantizations, since every logit passes through it (llama.cpp
picks Q6_K there, a type the `gguf` package cannot write, and falls back to Q8_0 itself when rows do not fit Q6_K);
a tensor whose rows do not split into whole blocks is written as F16.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, LlamaFileType

from engine.export.errors import ExportUsageError


@dataclass(frozen=True)
class Quant:
    """One `--quant` choice: the GGML type of the large matrices and the `general.file_type` that announces it."""

    name: str
    tensor_type: GGMLQuantizationType
    file_type: LlamaFileType
    note: str
    """Size and quality in a few words, for a user picking one (the monitor's Export dialog shows it)."""

    @property
    def bits_per_weight(self) -> float:
        """What one weight of the large matrices costs on disk, block scales included (from the gguf package)."""
        block_size, type_size = GGML_QUANT_SIZES[self.tensor_type]
        return 8 * type_size / block_size


QUANTS: dict[str, Quant] = {
    quant.name: quant
    for quant in (
        Quant(
            "f16",
            GGMLQuantizationType.F16,
            LlamaFileType.MOSTLY_F16,
            "largest; lossless for float16 weights",
        ),
        Quant(
            "bf16",
            GGMLQuantizationType.BF16,
            LlamaFileType.MOSTLY_BF16,
            "largest; lossless for bfloat16 weights",
        ),
        Quant(
            "q8_0",
            GGMLQuantizationType.Q8_0,
            LlamaFileType.MOSTLY_Q8_0,
            "half of f16, near-lossless: the usual choice",
        ),
        Quant(
            "q4_0",
            GGMLQuantizationType.Q4_0,
            LlamaFileType.MOSTLY_Q4_0,
            "smallest; a visible quality loss on small models",
        ),
        Quant(
            "q4_1", GGMLQuantizationType.Q4_1, LlamaFileType.MOSTLY_Q4_1, "a little larger than q4_0, a little better"
        ),
        Quant("q5_0", GGMLQuantizationType.Q5_0, LlamaFileType.MOSTLY_Q5_0, "between q4 and q8: a small quality loss"),
        Quant(
            "q5_1", GGMLQuantizationType.Q5_1, LlamaFileType.MOSTLY_Q5_1, "a little larger than q5_0, a little better"
        ),
    )
}
DEFAULT_QUANT = "q8_0"
"""Near-lossless at half the size of f16: what most people run."""

_LOW_BIT = frozenset({"q4_0", "q4_1", "q5_0", "q5_1"})
_EIGHT_BIT_TYPE = GGMLQuantizationType.Q8_0
_FALLBACK_TYPE = GGMLQuantizationType.F16


def parse_quant(name: str) -> Quant:
    """The quant named `name` (any case), or an ExportUsageError that suggests the nearest name."""
    quant = QUANTS.get(name.lower())
    if quant is not None:
        return quant
    close = difflib.get_close_matches(name.lower(), QUANTS, n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    raise ExportUsageError(f"unknown quant `{name}`", fix=f"{hint}choose one of {', '.join(QUANTS)}")


def tensor_type(quant: Quant, shape: tuple[int, ...], *, is_output: bool, keep_f32: bool) -> GGMLQuantizationType:
    """The type one tensor is written in. `is_output`: the projection to the vocabulary (or the embedding tied to
    it); `keep_f32`: a tensor llama.cpp reads as F32 whatever its shape (RoPE factors)."""
    if keep_f32 or len(shape) < 2:
        return GGMLQuantizationType.F32
    wanted = _EIGHT_BIT_TYPE if is_output and quant.name in _LOW_BIT else quant.tensor_type
    block_size, _ = GGML_QUANT_SIZES[wanted]
    return wanted if shape[-1] % block_size == 0 else _FALLBACK_TYPE
