"""The Model step's target choice (this machine or a declared CUDA GPU) and its base-weights (8-bit, 4-bit)
control, so a GPU preset can be prepared on a laptop."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, Select

from engine.rules import check_config, declared_target
from tests.tui.conftest import TARGET, settle
from tests.tui.test_steps import choose, next_button
from tui.app import WizardApp

AppFactory = Callable[..., WizardApp]


def choose_quant(app: WizardApp, value: object) -> None:
    field = app.screen.query_one("#row-quant")
    index = next(i for i, (_, v) in enumerate(field.choices) if v == value)  # type: ignore[attr-defined]
    field.query_one(Select).value = str(index)


def rule_ids(app: WizardApp) -> set[str]:
    return {f.rule_id for f in app.screen.step_findings()}  # type: ignore[attr-defined]


async def test_the_8bit_preset_is_set_up_on_a_laptop_by_declaring_a_cuda_gpu(make_app: AppFactory) -> None:
    app = make_app("llama-3-8b-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert next_button(app).disabled  # load_in_8bit needs a CUDA GPU, and this is a CPU
        assert app.screen.query_one("#row-quant").value == "8bit"  # type: ignore[attr-defined]
        app.screen.query_one("#target-device", Select).value = "cuda"
        await settle(pilot)
        assert app.target.device == "cuda" and app.target.gpu_memory_gb == 24.0
        wanted = {f.rule_id for f in check_config(app.config, app.target) if set(f.fields) & set(app.screen.KEYS)}  # type: ignore[attr-defined]
        assert rule_ids(app) == wanted
        assert not next_button(app).disabled, rule_ids(app)
        memory = app.screen.query_one("#target-gpu-memory", Input)
        memory.value = "lots"
        await settle(pilot)
        assert next_button(app).disabled and "GPU memory" in str(app.screen.query_one("#target-note").render())
        memory.value = "48"
        await settle(pilot)
        assert app.target.gpu_memory_gb == 48.0 and not next_button(app).disabled
        assert app.target == declared_target("cuda").__class__(
            **{**declared_target("cuda").__dict__, "gpu_memory_gb": 48.0}
        )
        app.screen.query_one("#target-device", Select).value = "here"
        await settle(pilot)
        assert app.target == TARGET and next_button(app).disabled


async def test_base_weights_choice_writes_load_in_8bit_and_qlora_means_4bit(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        choose_quant(app, "8bit")
        await settle(pilot)
        assert app.config.load_in_8bit is True and app.config.load_in_4bit is False
        choose(app, "adapter", "qlora")
        await settle(pilot)
        assert app.config.load_in_4bit is True and app.config.load_in_8bit is False
        quant = app.screen.query_one("#row-quant")
        assert quant.disabled and quant.value == "4bit"  # type: ignore[attr-defined]
        choose(app, "adapter", "lora")
        await settle(pilot)
        assert app.config.load_in_4bit is False and not quant.disabled
