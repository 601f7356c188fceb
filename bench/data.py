"""The benchmarks' data, generated from the repo's own chat rows (presets/data/ft_tui_persona.jsonl).

One place decides what the benches train and tokenize, so they never depend on files outside the repository.
Rows are deterministic: conversation i joins two persona conversations chosen by index and tags each user turn with
its row number, so 200,000 generated rows are all different texts with the persona data's word and length mix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PERSONA = ROOT / "presets" / "data" / "ft_tui_persona.jsonl"


def persona_rows() -> list[dict[str, Any]]:
    """The repo's chat rows: OpenAI-style `messages` (written by the ft-tui authors, same licence as the repo)."""
    return [json.loads(line) for line in PERSONA.read_text(encoding="utf-8").splitlines() if line.strip()]


def chat_rows(count: int) -> Iterator[dict[str, Any]]:
    """`count` distinct conversations: persona conversations i and (7i + 3) joined, user turns tagged with i."""
    base = persona_rows()
    for i in range(count):
        first, second = base[i % len(base)], base[(7 * i + 3) % len(base)]
        messages = [m for m in first["messages"] if m["role"] != "system"]
        messages += [m for m in second["messages"] if m["role"] != "system"]
        yield {"messages": [_tagged(m, i) for m in messages]}


def alpaca_rows(count: int) -> Iterator[dict[str, str]]:
    """`count` alpaca rows from the chat rows: the conversation so far is the instruction, the last answer is the
    output."""
    for row in chat_rows(count):
        *context, last = row["messages"]
        instruction = "\n".join(f"{m['role']}: {m['content']}" for m in context)
        yield {"instruction": instruction, "input": "", "output": last["content"]}


def write_jsonl(path: Path, rows: Iterator[dict[str, Any]]) -> Path:
    """Write rows one JSON object a line (streamed: 200,000 rows never sit in memory at once)."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def _tagged(message: dict[str, str], i: int) -> dict[str, str]:
    if message["role"] != "user":
        return dict(message)
    return {"role": "user", "content": f"(#{i}) {message['content']}"}
