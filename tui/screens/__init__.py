"""The wizard's screens: the start screen and one screen per step, registered here in step order."""

from __future__ import annotations

from tui.screens.dataset import DatasetScreen
from tui.screens.lora import LoraScreen
from tui.screens.model import ModelScreen
from tui.screens.review import ReviewScreen
from tui.screens.sequence import SequenceScreen
from tui.screens.start import StartScreen
from tui.screens.step import StepScreen
from tui.screens.training import TrainingScreen

STEP_SCREENS: dict[str, type[StepScreen]] = {
    "model": ModelScreen,
    "dataset": DatasetScreen,
    "lora": LoraScreen,
    "sequence": SequenceScreen,
    "training": TrainingScreen,
    "review": ReviewScreen,
}

__all__ = ["STEP_SCREENS", "StartScreen", "StepScreen"]
