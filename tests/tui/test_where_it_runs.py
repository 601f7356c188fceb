"""The Training step's "Where it runs" section: commands per node, the explanation, and the saved plan file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, Select, Static

from engine.config import save_config
from engine.presets import load_preset
from engine.runs.plan import LaunchPlan, load_plan
from tests.tui.conftest import settle
from tui.app import WizardApp
from tui.widgets.where_it_runs import WhereItRuns

AppFactory = Callable[..., WizardApp]


async def test_choosing_gpus_shows_commands_and_saves_the_plan_beside_the_yaml(
    make_app: AppFactory, tmp_path: Path
) -> None:
    config_path = save_config(load_preset("smollm2-135m-lora"), tmp_path / "my-run.yml")
    app = make_app(config_path=config_path)
    async with app.run_test(size=(100, 40)) as pilot:
        app.goto("training")
        await pilot.pause()
        section = app.screen.query_one(WhereItRuns)
        assert "python -m engine.train" in str(section.query_one("#where-commands", Static).render())
        section.query_one("#where", Select).value = "gpus"
        section.query_one("#where-gpus", Input).value = "4"
        await settle(pilot)
        commands = str(section.query_one("#where-commands", Static).render())
        assert f"torchrun --standalone --nproc_per_node 4 -m engine.train {config_path}" in commands
        assert f"accelerate launch --multi_gpu --num_processes 4 -m engine.train {config_path}" in commands
        assert f"ft-tui train {config_path} --nproc 4 --detach" in commands
        explanation = str(section.query_one("#where-explain", Static).render())
        assert "x processes 4 =" in explanation and "memory per GPU" in explanation
        section.query_one("#where-save").press()
        await settle(pilot)
        assert load_plan(config_path) == LaunchPlan("gpus", gpus_per_node=4)
        assert not app.state.dirty, "the YAML itself is untouched"


async def test_several_nodes_show_one_command_per_node_and_bad_numbers_are_named(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 40)) as pilot:
        app.goto("training")
        await pilot.pause()
        section = app.screen.query_one(WhereItRuns)
        section.query_one("#where", Select).value = "nodes"
        section.query_one("#where-addr", Input).value = "10.0.0.5"
        await settle(pilot)
        commands = str(section.query_one("#where-commands", Static).render())
        assert "node 0:" in commands and "node 1:" in commands and "--node_rank 1" in commands
        assert "CONFIG.yml" in commands, "an unsaved config is shown as a placeholder"
        section.query_one("#where-nodes", Input).value = "two"
        await settle(pilot)
        assert "whole numbers" in str(section.query_one("#where-error", Static).render())
        section.query_one("#where-save").press()
        await settle(pilot)
