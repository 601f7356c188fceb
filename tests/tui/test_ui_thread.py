"""Slow or unsafe work kept off the UI thread: the Model step answers keys while engine.doctor is still looking at
the machine (once per session), the data analysis never forks from the app's threads, and a cancelled analysis
stops."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from tests.tui.conftest import machine, settle, wait_for
from tui.app import WizardApp, create_app
from tui.screens import STEP_SCREENS
from tui.services.data_preview import Services


async def test_the_model_step_does_not_wait_for_the_machine_check(services: Services, tmp_path: Any) -> None:
    release = threading.Event()
    calls: list[int] = []

    def slow_machine() -> Any:
        calls.append(1)
        release.wait(timeout=10)  # a hung nvidia-smi, until the test lets it answer
        return machine()

    app: WizardApp = create_app("smollm2-135m-lora", services=replace(services, machine=slow_machine))
    async with app.run_test(size=(100, 32)) as pilot:
        facts: Callable[[], str] = lambda: str(app.screen.query_one("#machine-facts", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["model"]) and app.screen.is_mounted, 5)
        assert "Checking what this machine can do" in facts() and not release.is_set()
        await pilot.press("ctrl+n")  # the keys work meanwhile
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["dataset"]), 5)
        release.set()
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["model"]) and "Works here" in facts())
        await settle(pilot)
        assert len(calls) == 1, "the machine is looked at once per session"


def test_the_wizard_tokenizes_in_its_own_process_never_forking_from_its_threads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Forked workers would inherit locks held by Textual's threads; the wizard's analysis must not fork, even for
    data past the size where the trainer tokenizes in worker processes."""
    import engine.data.prepare as prepare_module
    import engine.data.workers as workers_module
    from engine.config import parse_config_dict
    from tests.tiny import tiny_tokenizer
    from tui.services.data_preview import prepare_with_engine

    def no_fork(*_args: Any) -> int:
        raise AssertionError("the wizard forked a tokenizing worker from a threaded process")

    monkeypatch.setattr(prepare_module, "PARALLEL_FROM_ROWS", 2)  # this small file counts as large
    monkeypatch.setattr(workers_module, "_fork", no_fork)
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps({"text": f"row {i} " * 5}) + "\n" for i in range(40)), encoding="utf-8")
    config = parse_config_dict(
        {
            "base_model": "HuggingFaceTB/SmolLM2-135M-Instruct",
            "datasets": [{"path": str(data), "type": "completion"}],
            "dataset_prepared_path": str(tmp_path / "prepared"),
            "dataset_processes": 4,
        }
    )
    prepared = prepare_with_engine(config, tiny_tokenizer(), lambda _message: None)
    assert prepared.facts.rows_read == 40


async def test_a_cancelled_analysis_stops_at_its_next_progress_report(services: Services) -> None:
    seen: list[str] = []

    def slow_prepare(config: Any, tokenizer: Any, progress: Callable[[str], None]) -> Any:
        for step in range(400):
            try:
                progress(f"tokenizing, part {step}")
            except BaseException as stopped:
                seen.append(type(stopped).__name__)
                raise
            time.sleep(0.05)
        raise AssertionError("the analysis ran to its end after being cancelled")

    app: WizardApp = create_app("smollm2-135m-lora", services=replace(services, prepare=slow_prepare))
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await wait_for(pilot, lambda: "tokenizing, part" in app.analysis.status)
        assert app.analyst.worker is not None
        app.analyst.worker.cancel()
        await wait_for(pilot, lambda: seen == ["AnalysisCancelled"], 10)
