"""`--ollama`: a Modelfile beside the `.gguf`, so `ollama create NAME -f Modelfile` runs the model as trained.

Ollama renders prompts with its own Go template language, not the Jinja template stored in the GGUF, so for the
template families the presets use (ChatML, Llama 3) the Modelfile spells the same layout out; for any other
template it writes no TEMPLATE line and says that Ollama reads the template stored in the GGUF.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.atomic import write_text_atomic

MODELFILE = "Modelfile"

CHATML_TEMPLATE = """{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
"""
LLAMA3_TEMPLATE = """{{- if .System }}<|start_header_id|>system<|end_header_id|>

{{ .System }}<|eot_id|>{{ end }}{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>

"""


@dataclass(frozen=True)
class TemplateFamily:
    name: str
    marker: str
    """A token only this family's Jinja template contains."""
    go_template: str
    stops: tuple[str, ...]


FAMILIES = (
    TemplateFamily("ChatML", "<|im_start|>", CHATML_TEMPLATE, ("<|im_end|>", "<|im_start|>")),
    TemplateFamily("Llama 3", "<|start_header_id|>", LLAMA3_TEMPLATE, ("<|eot_id|>", "<|start_header_id|>")),
)


@dataclass(frozen=True)
class Modelfile:
    path: Path
    family: str | None
    """The template family written out, or None when Ollama uses the GGUF's own template."""
    create_command: str


def ollama_name(gguf: Path) -> str:
    """A model name Ollama accepts: lower case, the file's stem without its quant suffix."""
    stem = gguf.name.split(".")[0]
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem.lower()).strip("-") or "model"


def write_modelfile(gguf: Path, chat_template: str, eos_token: str | None, system: str | None) -> Modelfile:
    """Write `Modelfile` beside `gguf`; return it with the command that imports it into Ollama."""
    family = next((f for f in FAMILIES if f.marker in chat_template), None)
    lines = [f"FROM ./{gguf.name}", ""]
    if family is not None:
        lines += [f'TEMPLATE """{family.go_template}"""', ""]
    else:
        lines += [
            "# No TEMPLATE: this chat template is not ChatML or Llama 3; Ollama reads the one stored in the GGUF.",
            "",
        ]
    stops = dict.fromkeys([*(family.stops if family else ()), *([eos_token] if eos_token else [])])
    lines += [f'PARAMETER stop "{stop}"' for stop in stops]
    if system:
        lines += ["", f'SYSTEM """{system}"""']
    path = write_text_atomic(gguf.parent / MODELFILE, "\n".join(lines) + "\n")
    command = f"ollama create {ollama_name(gguf)} -f {path}"
    return Modelfile(path, family.name if family else None, command)


def modelfile_for(gguf: Path, system: str | None) -> Modelfile:
    """The Modelfile for an exported GGUF, from what the file itself holds: its chat template and EOS token."""
    from gguf import GGUFReader

    reader = GGUFReader(gguf)

    def field_text(key: str) -> str | None:
        field = reader.fields.get(key)
        return None if field is None else bytes(field.parts[field.data[0]]).decode("utf-8")

    eos_field = reader.fields.get("tokenizer.ggml.eos_token_id")
    tokens = reader.fields["tokenizer.ggml.tokens"]
    eos = None
    if eos_field is not None:
        eos_id = int(eos_field.parts[eos_field.data[0]][0])
        eos = bytes(tokens.parts[tokens.data[eos_id]]).decode("utf-8")
    return write_modelfile(gguf, field_text("tokenizer.chat_template") or "", eos, system)
