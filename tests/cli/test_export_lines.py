"""The JSON lines `ft-tui export --progress-lines` prints read back as what was written; anything else is skipped."""

from __future__ import annotations

import pytest

from engine.cli.export_lines import Done, ExportLine, Failed, Step, Tensors, from_json, to_json


@pytest.mark.parametrize(
    "line",
    [
        Step("writing /tmp/a [b].gguf (q8_0)"),
        Tensors(3, 30),
        Done(("/tmp/m.gguf", "/tmp/Modelfile"), "ollama create m -f /tmp/Modelfile", "a note"),
        Failed("no adapter in /tmp/run", "export the whole model with --to gguf"),
    ],
)
def test_each_line_reads_back_as_written(line: ExportLine) -> None:
    assert from_json(to_json(line)) == line


@pytest.mark.parametrize("text", ["", "Loading weights: 100%", "[1, 2]", '{"type": "tensors"}', '{"type": "other"}'])
def test_a_line_of_anything_else_is_skipped(text: str) -> None:
    assert from_json(text) is None
