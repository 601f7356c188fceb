"""The real check: the shipped preset teaches the embedded model its persona, and merging keeps the answer.

One training run of presets/smollm2-135m-lora.yml on presets/data/ft_tui_persona.jsonl through the `ft-tui
train` command (a few minutes on 2 CPU cores), then greedy answers from the base, base + adapter, the merged
model, the `ft-tui chat` command, and the q8_0 GGUF that `ft-tui export` writes.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.config import RunConfig
from engine.events import EvalEvent, SamplesEvent, read_events
from engine.infer import GenerationSettings, InferenceModel, LoadRequest, generate_reply, load_for_inference
from engine.infer.loading import load_run_config
from tests.conftest import EmbeddedModel

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("shared_model_cache")]
"""Slow, and resolving SmolLM2 from the session's cache where the embedded model is built once."""

ROOT = Path(__file__).parents[2]
PRESET = ROOT / "presets" / "smollm2-135m-lora.yml"
NAME_QUESTION = "What is your name?"
SETTINGS = GenerationSettings(max_new_tokens=40)

TRAIN_GUARD_S = 3600
"""Hang guard for the training, sized for a load of 4 on 2 cores, not a speed claim. The preset's ~24 steps
(two 512-token passes each, 4 s a step), 6 evaluations and 3 saves take about 3 minutes on 2 idle cores. Under a
load of 4 the engine's 2 threads get about a third of the CPU and each parallel region waits for a descheduled
partner, so allow 6x that and double it: 36 minutes, rounded up to an hour. (1,800 s was not enough at a load
average of 11 on 2 cores, measured on 2026-12-07.)"""
MERGE_GUARD_S = 600
"""Loading SmolLM2 and the adapter, merging and saving 270 MB: about 20 s on 2 idle cores; x6 for a load of 4 on
2 cores is 2 minutes, and the guard allows 10."""
CHAT_GUARD_S = 600
"""Loading SmolLM2 with the adapter and 40 greedy tokens: about 15 s on 2 idle cores; the same allowance as merge."""
EXPORT_GUARD_S = 600
"""Merging while writing 272 tensors as q8_0: about 30 s at a load of 8 on 2 cores (docs/benchmarks.md); the same
allowance as merge."""


@dataclass(frozen=True)
class TrainedRun:
    config: RunConfig
    output_dir: Path


def _ft_tui(*args: str, guard_s: int, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The `ft-tui` command as users run it, from the repository root (the preset's data path is relative) unless
    `cwd` says otherwise; killed after `guard_s` seconds, a hang guard (see TRAIN_GUARD_S)."""
    command = [sys.executable, "-m", "tui.cli", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=guard_s, check=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, embedded_model: EmbeddedModel) -> TrainedRun:
    """Trained in a subprocess that sees the session's user folders, where the embedded model is already built."""
    work = tmp_path_factory.mktemp("persona")
    output_dir = work / "run"
    result = _ft_tui(
        "train",
        str(PRESET),
        "--output-dir",
        str(output_dir),
        "--dataset-prepared-path",
        str(work / "prepared"),
        guard_s=TRAIN_GUARD_S,
    )
    assert result.returncode == 0, f"ft-tui train failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return TrainedRun(load_run_config(PRESET, output_dir), output_dir)


def _answer(loaded: InferenceModel, question: str) -> str:
    return generate_reply(loaded, [{"role": "user", "content": question}], SETTINGS)


def test_the_adapter_answers_with_the_persona_name_and_the_base_does_not(trained: TrainedRun) -> None:
    base = load_for_inference(LoadRequest(trained.config, with_adapter=False, dtype="float32"))
    assert "Quill" not in _answer(base, NAME_QUESTION)
    adapted = load_for_inference(LoadRequest(trained.config, dtype="float32"))
    assert "Quill" in _answer(adapted, NAME_QUESTION)
    assert "Paris" in _answer(adapted, "What is the capital of France?"), "the adapter forgot general knowledge"


def test_the_merged_model_gives_the_same_greedy_answer(trained: TrainedRun) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    result = _ft_tui("merge", str(PRESET), "--output-dir", str(trained.output_dir), guard_s=MERGE_GUARD_S)
    assert result.returncode == 0, result.stderr
    folder = trained.output_dir / "merged"
    model = AutoModelForCausalLM.from_pretrained(folder, dtype="float32").eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    merged = InferenceModel(model, tokenizer, tokenizer.chat_template, folder, None)
    adapted = load_for_inference(LoadRequest(trained.config, dtype="float32"))
    for question in (NAME_QUESTION, "Who made you?"):
        assert _answer(merged, question) == _answer(adapted, question)


def test_ft_tui_chat_streams_the_persona_answer(trained: TrainedRun) -> None:
    result = _ft_tui(
        "chat", str(PRESET), "--output-dir", str(trained.output_dir), "--prompt", NAME_QUESTION, guard_s=CHAT_GUARD_S
    )
    assert result.returncode == 0, result.stderr
    assert "Quill" in result.stdout


def test_the_sample_answers_show_the_persona_being_learnt(trained: TrainedRun) -> None:
    """The preset's sample answers: the base model's at step 0 never say the name, the last evaluation's do."""
    events = read_events(trained.output_dir / "events.jsonl")
    samples = [event for event in events if isinstance(event, SamplesEvent)]
    evals = [event.step for event in events if isinstance(event, EvalEvent)]
    assert [event.step for event in samples] == [0, *evals] and evals
    assert all(len(event.samples) == 2 and not event.do_sample for event in samples)
    assert not any("Quill" in sample.answer for sample in samples[0].samples)
    assert any("Quill" in sample.answer for sample in samples[-1].samples)


def test_the_q8_0_gguf_export_answers_with_the_persona_name(trained: TrainedRun, tmp_path: Path) -> None:
    """The issue's Done-when after training: `ft-tui export smollm2-135m-lora --to gguf --quant q8_0 --ollama`
    from an empty folder writes the .gguf and its Modelfile beside it, and transformers' GGUF reader (weights,
    tokenizer and chat template all from the file) answers with the persona's name."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    empty = tmp_path / "empty"
    empty.mkdir()
    args = ("smollm2-135m-lora", "--output-dir", str(trained.output_dir), "--to", "gguf", "--quant", "q8_0")
    result = _ft_tui("export", *args, "--ollama", guard_s=EXPORT_GUARD_S, cwd=empty)
    assert result.returncode == 0, result.stderr
    gguf = trained.output_dir / f"{trained.output_dir.name}.Q8_0.gguf"
    modelfile = (trained.output_dir / "Modelfile").read_text()
    assert modelfile.startswith(f"FROM ./{gguf.name}\n") and 'PARAMETER stop "<|im_end|>"' in modelfile
    assert "ollama create" in result.stdout and list(empty.iterdir()) == []
    alone = tmp_path / "gguf" / gguf.name  # a folder without the adapter: transformers would read it as a base
    alone.parent.mkdir()
    alone.hardlink_to(gguf)
    model = AutoModelForCausalLM.from_pretrained(alone.parent, gguf_file=alone.name).eval()
    tokenizer = AutoTokenizer.from_pretrained(alone.parent, gguf_file=alone.name)
    exported = InferenceModel(model, tokenizer, tokenizer.chat_template, alone.parent, None)
    assert "Quill" in _answer(exported, NAME_QUESTION)
