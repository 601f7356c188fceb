"""Fixtures for the wizard tests: a fixed CPU target, SmolLM2's config.json in a temporary model cache, the tiny
tokenizer instead of the real one, and no cursor blink, so every run and every snapshot is the same."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from engine.models import EMBEDDED_MODEL_ID
from engine.models.locations import converted_model_folder
from engine.rules import Target
from tests.tiny import tiny_tokenizer
from tui.app import WizardApp, create_app
from tui.services.data_preview import Services, read_first_rows

REPO = Path(__file__).resolve().parents[2]
TARGET = Target(device="cpu", bf16=True, cpu_cores=2, memory_gb=16.0)
"""The machine every test judges against, whatever machine runs the tests."""

SMOLLM2_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "max_position_embeddings": 8192,
    "vocab_size": 49152,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
}
"""SmolLM2-135M-Instruct's shape (from its config.json): 134.5 M parameters."""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository (the presets' data paths are relative to it), offline, with SmolLM2's config in the
    test's cache (the root conftest points the user folders at tmp)."""
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = converted_model_folder(EMBEDDED_MODEL_ID)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(SMOLLM2_CONFIG), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ messages }}"}), encoding="utf-8")
    return tmp_path


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor would make snapshots depend on timing."""
    original = Input._on_mount

    def steady(self: Input, event: Any) -> None:
        self.cursor_blink = False
        original(self, event)

    monkeypatch.setattr(Input, "_on_mount", steady)


@pytest.fixture
def services(tmp_path: Path) -> Services:
    """The real data pipeline with the tiny tokenizer, caching its prepared data in tmp."""
    from engine.data.prepare import prepare_datasets

    def prepare(config: Any, tokenizer: Any, progress: Callable[[str], None]) -> Any:
        local = config.model_copy(update={"dataset_prepared_path": str(tmp_path / "prepared")})
        return prepare_datasets(local, tokenizer, progress=progress, world_size=1)

    return Services(
        load_tokenizer=lambda _config: tiny_tokenizer(), prepare=prepare, read_rows=read_first_rows, machine=machine
    )


def machine() -> Any:
    """A fixed CPU machine for the Model step's doctor summary, whatever machine runs the tests."""
    from engine.doctor import Environment, diagnose
    from engine.doctor.compat import PACKAGES

    versions = {"transformers": "5.24.0", "peft": "0.18.0", "accelerate": "1.12.0", "datasets": "5.2.0"}
    packages = {name: versions.get(name) for name in PACKAGES}
    env = Environment("3.11.7", "Linux x86_64", "2.13.0+cpu", cpu_cores=2, cpu_bf16=True, packages=packages)
    return diagnose(env)


@pytest.fixture
def make_app(services: Services) -> Callable[..., WizardApp]:
    def make(preset: str | None = None, config_path: Path | None = None) -> WizardApp:
        return create_app(preset, config_path, target=TARGET, services=services)

    return make


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let timers and workers run until `condition` holds (the data analysis takes a moment)."""
    waited = 0.0
    while not condition():
        if waited > timeout:
            raise AssertionError("timed out waiting for the wizard")
        await pilot.pause(0.05)
        waited += 0.05


def edits_applied(app: App[Any]) -> bool:
    """Every change message posted on the screen has bubbled up and been handled, and the step's edit debounce
    has applied it (the app's own queue is left out: it is rarely empty while the pilot drives it)."""
    screen = app.screen
    quiet = all(node.message_queue_size == 0 for node in screen.walk_children(with_self=True))
    edits = getattr(screen, "edits", None)  # a step screen's typed-but-not-applied edits
    return quiet and (edits is None or not edits.pending)


async def settle(pilot: Pilot[Any]) -> None:
    """Until the config reflects what was typed: the change messages bubble up to the screen, which applies
    them after its debounce. A condition, not a fixed wait, so a loaded machine only makes it take longer."""
    await pilot.pause()
    await wait_for(pilot, lambda: edits_applied(pilot.app))
    await pilot.pause()


@asynccontextmanager
async def opened_at(app: WizardApp, step: str) -> AsyncIterator[Pilot[Any]]:
    """The wizard running at 100x32 on `step`, once the step has applied its own first edit (its fields post change
    messages after they are loaded): a test that then sets the config directly does not race the step's form,
    which would write the values it shows back over the change."""
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto(step)
        await settle(pilot)
        yield pilot
