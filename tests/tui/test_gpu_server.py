"""The GPU-server path in the wizard: a gated model without a token here, a declared CUDA GPU, the one-key fix that
declares it, its own help, the command-line flags, and the target remembered with the saved file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Select

from engine.rules import DEFAULT_GPU_GIB, declared_target
from tests.tui.conftest import TARGET, settle
from tests.tui.test_steps import next_button, type_into
from tui.app import WizardApp, create_app
from tui.screens.fixes import apply_fix
from tui.screens.step import StepScreen
from tui.services.data_preview import Services
from tui.state import TARGET_HELP
from tui.widgets.findings import FixButtons
from tui.widgets.help_panel import HelpPanel

AppFactory = Callable[..., WizardApp]
GATED = "meta-llama/Llama-3.2-1B-Instruct"


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)


async def test_a_gated_model_for_a_gpu_server_reaches_review_without_a_local_token(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_into(pilot, app, "base_model", GATED)
        assert next_button(app).disabled, "for this machine, the token here is the one that matters"
        app.screen.query_one("#target-device", Select).value = "cuda"
        await settle(pilot)
        ids = {f.rule_id: f.severity for f in app.derived.findings()}
        assert ids.get("model.gated_token_on_server") == "note" and "model.gated_needs_token" not in ids
        assert not next_button(app).disabled
        for _ in range(5):
            await pilot.press("ctrl+n")
            await settle(pilot)
        assert type(app.screen).__name__ == "ReviewScreen"
        assert not [f for f in app.derived.findings() if f.severity == "error"]


async def test_load_in_8bit_on_a_cpu_is_fixed_by_declaring_the_gpu(make_app: AppFactory) -> None:
    app = make_app("llama-3-8b-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        fixes = app.screen.query_one(FixButtons).fixes
        assert any(f.rule_id == "quant.needs_cuda" and f.retarget == "cuda" for f in fixes)
        assert "Train on: a CUDA GPU" in [str(button.label) for button in app.screen.query_one(FixButtons).children]
        assert isinstance(app.screen, StepScreen)
        apply_fix(app.screen, next(f for f in fixes if f.rule_id == "quant.needs_cuda"))
        await settle(pilot)
        assert app.target == declared_target("cuda") and app.config.load_in_8bit is True
        assert app.screen.query_one("#target-device", Select).value == "cuda"
        assert "quant.needs_cuda" not in {f.rule_id for f in app.derived.findings()}


async def test_focusing_train_on_shows_its_own_help(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.query_one("#target-device", Select).focus()
        await pilot.pause()
        shown = " ".join(str(app.screen.query_one(HelpPanel).render()).split())  # wrapped to the panel
        assert "train_on" in shown and TARGET_HELP["train_on"][:40] in shown


async def test_the_chosen_target_is_remembered_with_the_saved_file(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "server.yml"
    path.write_text("base_model: HuggingFaceTB/SmolLM2-135M-Instruct\n", encoding="utf-8")
    app = create_app(config_path=path, target=TARGET, services=services)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.screen.query_one("#target-device", Select).value = "cuda"
        await settle(pilot)
        assert app.target == declared_target("cuda")
    again = create_app(config_path=path, target=TARGET, services=services)
    assert again.target == declared_target("cuda") and again.home_target == TARGET
    assert create_app("smollm2-135m-lora", target=TARGET, services=services).target == TARGET


@pytest.mark.parametrize(
    ("argv", "device", "memory"),
    [
        (["--device", "cuda"], "cuda", DEFAULT_GPU_GIB),
        (["--preset", "smollm2-135m-lora", "--gpu-memory", "40"], "cuda", 40.0),
        (["wizard", "--device", "cuda", "--gpu-memory", "80"], "cuda", 80.0),
    ],
)
def test_the_wizard_takes_device_and_gpu_memory(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], device: str, memory: float
) -> None:
    from tui import app as app_module
    from tui.cli import main

    seen: dict[str, Any] = {}
    monkeypatch.setattr(app_module, "run_wizard", lambda preset, config, target=None: seen.update(target=target) or 0)
    assert main(argv) == 0
    assert seen["target"].device == device and seen["target"].gpu_memory_gb == memory and seen["target"].declared
