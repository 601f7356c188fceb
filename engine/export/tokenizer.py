"""The tokenizer inside the GGUF: vocabulary, merges, token types, special ids, BOS behaviour, chat template.

llama.cpp and Ollama read nothing but the `.gguf`, so everything a prompt needs travels in `tokenizer.ggml.*`.
Only byte-level BPE tokenizers (`tokenizer.ggml.model = gpt2`: Llama 3, SmolLM2, Qwen2) are written; llama.cpp
also needs to know which pre-tokenizer splits text before BPE (`tokenizer.ggml.pre`), read here from the
tokenizer's own description.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gguf import GGUFWriter, SpecialVocab, TokenType

from engine.export.errors import ExportError

TOKENIZER_JSON = "tokenizer.json"

LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
"""The split patterns of Llama 3's and Qwen2's tokenizer.json (they differ only in how digits group)."""

_KNOWN_MERGES = {"aea6ed50becdb3beed814d2fde2dea2e655d1039addf269d74a4708ce2ed4d63": "smollm"}
"""SHA-256 of the merges of vocabularies whose pre-tokenizer a saved tokenizer.json may no longer describe: the
embedded SmolLM2, rebuilt from a GGUF by transformers, keeps SmolLM2's merges but not its digit splitting."""


@dataclass(frozen=True)
class Vocabulary:
    """What `tokenizer.ggml.*` holds, read from a tokenizer folder and padded to the model's embedding rows."""

    tokens: list[str]
    token_types: list[int]
    pre: str
    add_bos: bool
    add_space_prefix: bool


def read_vocabulary(folder: Path, vocab_size: int) -> Vocabulary:
    """The vocabulary of the tokenizer in `folder`, as llama.cpp reads it; ExportError for one it cannot read."""
    description = _tokenizer_json(folder)
    model = description.get("model") or {}
    if model.get("type") != "BPE" or not _byte_level(description):
        raise ExportError(
            f"the tokenizer in {folder} is not a byte-level BPE tokenizer, which is all GGUF export writes",
            fix="export a Llama 3, SmolLM2 or Qwen2 model",
        )
    tokens, types = _tokens(model["vocab"], description.get("added_tokens") or [], vocab_size, folder)
    return Vocabulary(tokens, types, _pre_tokenizer(description), _adds_bos(folder), _space_prefix(description))


def add_vocabulary(writer: GGUFWriter, folder: Path, vocabulary: Vocabulary, chat_template: str) -> None:
    """Write the tokenizer keys in the order llama.cpp's converter does (readers do not depend on it)."""
    writer.add_add_space_prefix(vocabulary.add_space_prefix)
    writer.add_add_bos_token(vocabulary.add_bos)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(vocabulary.pre)
    writer.add_token_list(vocabulary.tokens)
    writer.add_token_types(vocabulary.token_types)
    special = SpecialVocab(folder, load_merges=True, n_vocab=len(vocabulary.tokens))
    special.add_special_token = {}  # add_bos was decided above from what the tokenizer does
    special.chat_template = chat_template or None
    special.add_to_gguf(writer, quiet=True)


def _tokenizer_json(folder: Path) -> dict[str, Any]:
    path = folder / TOKENIZER_JSON
    if not path.is_file():
        raise ExportError(f"no {TOKENIZER_JSON} in {folder}", fix="export a model saved with a fast tokenizer")
    description: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return description


def _parts(component: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A pre-tokenizer (or decoder) as its list of steps, whether it is a Sequence or a single one."""
    if not component:
        return []
    return list(component.get("pretokenizers") or component.get("decoders") or [component])


def _byte_level(description: dict[str, Any]) -> bool:
    steps = _parts(description.get("pre_tokenizer")) + _parts(description.get("decoder"))
    return any(step.get("type") == "ByteLevel" for step in steps)


def _tokens(
    vocab: dict[str, int], added: list[dict[str, Any]], vocab_size: int, folder: Path
) -> tuple[list[str], list[int]]:
    """Tokens by id with their types; ids the tokenizer does not use, up to the embedding rows, become
    `[PAD<id>]` tokens llama.cpp never produces."""
    by_id = {index: token for token, index in vocab.items()}
    types = {index: int(TokenType.NORMAL) for index in by_id}
    for entry in added:
        by_id[entry["id"]] = entry["content"]
        types[entry["id"]] = int(TokenType.CONTROL if entry.get("special") else TokenType.USER_DEFINED)
    if by_id and max(by_id) >= vocab_size:
        raise ExportError(
            f"the tokenizer in {folder} has {max(by_id) + 1} tokens but the model only {vocab_size} embeddings",
            fix="export the tokenizer the model was trained with (the one saved beside the adapter)",
        )
    tokens = [by_id.get(index, f"[PAD{index}]") for index in range(vocab_size)]
    return tokens, [types.get(index, int(TokenType.UNUSED)) for index in range(vocab_size)]


def _pre_tokenizer(description: dict[str, Any]) -> str:
    """llama.cpp's name for how this tokenizer splits text before BPE."""
    known = _KNOWN_MERGES.get(_merges_digest(description["model"].get("merges") or []))
    if known:
        return known
    steps = _parts(description.get("pre_tokenizer"))
    patterns = [_split_pattern(step) for step in steps if step.get("type") == "Split"]
    if patterns == [LLAMA3_SPLIT]:
        return "llama-bpe"
    if patterns == [QWEN2_SPLIT]:
        return "qwen2"
    kinds = [step.get("type") for step in steps]
    if kinds == ["Digits", "ByteLevel"] and steps[0].get("individual_digits"):
        return "smollm"
    if kinds == ["ByteLevel"] and steps[0].get("use_regex", True):
        return "gpt-2"
    raise ExportError(
        "the tokenizer splits text in a way llama.cpp has no name for here (its pre_tokenizer is unknown)",
        fix="export a Llama 3, SmolLM2 or Qwen2 model with its original tokenizer",
    )


def _split_pattern(step: dict[str, Any]) -> str:
    pattern = step.get("pattern") or {}
    return str(pattern.get("Regex") or pattern.get("String") or "")


def _merges_digest(merges: list[Any]) -> str:
    lines = (" ".join(merge) if isinstance(merge, list) else str(merge) for merge in merges)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _space_prefix(description: dict[str, Any]) -> bool:
    steps = _parts(description.get("pre_tokenizer"))
    return any(step.get("type") == "ByteLevel" and step.get("add_prefix_space") for step in steps)


def _adds_bos(folder: Path) -> bool:
    """Whether encoding plain text starts with the BOS token: what the tokenizer does, not what a flag claims.

    The `tokenizers` library alone reads tokenizer.json (post-processor included) at a fraction of the memory a
    transformers tokenizer takes; the BOS token's name comes from tokenizer_config.json."""
    from tokenizers import Tokenizer

    settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    bos = settings.get("bos_token")
    bos = bos.get("content") if isinstance(bos, dict) else bos
    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_JSON))
    ids = tokenizer.encode("a").ids
    return bos is not None and bool(ids) and ids[0] == tokenizer.token_to_id(bos)
