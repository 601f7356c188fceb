"""The real check: the shipped preset teaches the embedded model its persona, and merging keeps the answer.

One training run of presets/smollm2-135m-lora.yml on presets/data/ft_tui_persona.jsonl through the `ft-tui
train` command (a few minutes on 2 CPU cores), then greedy answers from the base, base + adapter, the merged
model, the `ft-tui chat` command, and the q8_0 GGUF that `ft-tui export` writes.
"""

from __future__ import annotations

import math
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

# Hang guards: each subprocess below is killed after its guard, so a hung command fails its test instead of
# hanging the suite. A guard is the time its work takes on 2 idle cores, times the slowdown under a load of 4 on 2
# cores, times a margin: it must never fire on a slow machine, only on a hung command.
LOAD_4_SLOWDOWN = 4.0
"""How much longer CPU-bound work takes under a load of 4 on 2 cores than on 2 idle cores. Fair sharing alone
gives 2 (the engine's 2 threads get half of the 2 cores); on top of that, each of torch's parallel regions waits
for its descheduled partner thread. Measured: the persona training hit 1,800 s at a load average of 11 on 2 cores
where it takes about 180 s idle, at least 10x where fair sharing alone gives 5.5x, so the waiting adds at least
1.8x; 2 x 1.8 rounded up is 4. bench/load_factor.py measures one SmolLM2-shaped step alone and beside 2 busy
loops: 12.3 s and 23.4 s (1.9x) on 2 cores already at a load average of 13 (2026-12-07), where fair sharing alone
would add 15%, so the waiting is real. Run on an otherwise idle 2-core machine, its factor checks this one."""
GUARD_MARGIN = 2.0
"""Twice what the work needs even under that load: a guard exists to catch a hang, never a slow machine."""


def _guard_s(idle_s: float) -> int:
    """The hang guard, in whole seconds, for work that takes `idle_s` on 2 idle cores."""
    return math.ceil(idle_s * LOAD_4_SLOWDOWN * GUARD_MARGIN)


TRAIN_IDLE_S = 240
"""`ft-tui train` of the preset: ~24 steps (two 512-token passes each, about 4 s a step), 6 evaluations with
sample answers, 3 saves and the model's load take about 3 minutes on 2 idle cores; 240 s with the data preparation
and the interpreter's start."""
TRAIN_GUARD_S = _guard_s(TRAIN_IDLE_S)
"""240 s x LOAD_4_SLOWDOWN x GUARD_MARGIN = 1,920 s."""
MERGE_IDLE_S = 30
"""`ft-tui merge`: loading SmolLM2 and the adapter, merging and saving 270 MB, about 20 s on 2 idle cores; 30 s with
the interpreter's start."""
MERGE_GUARD_S = _guard_s(MERGE_IDLE_S)
"""30 s x LOAD_4_SLOWDOWN x GUARD_MARGIN = 240 s."""
CHAT_IDLE_S = 25
"""`ft-tui chat --prompt`: loading SmolLM2 with the adapter and 40 greedy tokens, about 15 s on 2 idle cores; 25 s
with the interpreter's start."""
CHAT_GUARD_S = _guard_s(CHAT_IDLE_S)
"""25 s x LOAD_4_SLOWDOWN x GUARD_MARGIN = 200 s."""
EXPORT_IDLE_S = 30
"""`ft-tui export --quant q8_0 --ollama`: loading the adapter, merging while writing 272 tensors as q8_0, about 30 s
at a load of 8 on 2 cores (docs/benchmarks.md), so well under that idle; 30 s keeps the interpreter's start too."""
EXPORT_GUARD_S = _guard_s(EXPORT_IDLE_S)
"""30 s x LOAD_4_SLOWDOWN x GUARD_MARGIN = 240 s."""


@dataclass(frozen=True)
class TrainedRun:
    config: RunConfig
    output_dir: Path


def _ft_tui(*args: str, guard_s: int, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The `ft-tui` command as users run it, from the repository root (the preset's data path is relative) unless
    `cwd` says otherwise; killed after `guard_s` seconds, a hang guard (see LOAD_4_SLOWDOWN)."""
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
