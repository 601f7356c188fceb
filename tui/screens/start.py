"""The first screen: a new run from a preset, an existing YAML file, or the config of a past run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from engine.config import ConfigError, load_config
from engine.errors import FtTuiError
from engine.runs.paths import CONFIG_COPIES, config_copy
from tui.notify import notify_error
from tui.screens.dialogs import PathPicker
from tui.state import WizardState

if TYPE_CHECKING:
    from tui.app import WizardApp

WELCOME = (
    "Fine-tune a language model with LoRA, step by step. Pick where to start; every setting is explained as you "
    "go, and the result is a YAML file that `ft-tui train` and axolotl both run. New here? Press Enter: the "
    "first preset trains a small chat model on your CPU in minutes."
)
OPEN_FILE = "open:file"
OPEN_RUN = "open:run"


class StartScreen(Screen[None]):
    """Presets (built-in, then the user's), then the two ways to open an existing config."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="start"):
            yield Static("Welcome to ft-tui", classes="start-title")
            yield Static(WELCOME, classes="start-text")
            yield OptionList(*self._options(), id="start-choices")
            yield Static("", id="start-status", classes="start-text")
        yield Footer()

    def _options(self) -> list[Option | None]:
        from engine.presets import DEFAULT_PRESET, list_presets

        presets = sorted(list_presets(), key=lambda info: (not info.builtin, info.name != DEFAULT_PRESET, info.name))
        options: list[Option | None] = []
        for info in presets:
            kind = "preset" if info.builtin else "your preset"
            default = "  (default)" if info.name == DEFAULT_PRESET else ""
            options.append(
                Option(
                    _preset_prompt(f"New run: {info.name}{default}", f"{kind} · {info.description}"),
                    id=f"preset:{info.name}",
                )
            )
        options.append(None)
        options.append(Option("Open a YAML config file…", id=OPEN_FILE))
        options.append(Option("Re-open a past run (its run folder)…", id=OPEN_RUN))
        return options

    @property
    def wizard(self) -> WizardApp:
        return cast("WizardApp", self.app)

    AUTO_FOCUS = "#start-choices"

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        choices.highlighted = 0
        choices.focus()

    def on_screen_resume(self) -> None:
        """Coming back here (Back from the first step, a closed dialog) puts the arrow keys on the choices again,
        wherever the focus was on the screen left behind."""
        self.call_after_refresh(self.query_one(OptionList).focus)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id or ""
        if choice.startswith("preset:"):
            self._open_preset(choice.removeprefix("preset:"))
        elif choice == OPEN_FILE:
            self.app.push_screen(PathPicker("Open a YAML config", Path.cwd()), self._open_file)
        elif choice == OPEN_RUN:
            start = Path("outputs") if Path("outputs").is_dir() else Path.cwd()
            self.app.push_screen(PathPicker("Choose a run folder", start, folders=True), self._open_run)

    def _open_preset(self, name: str) -> None:
        from engine.presets import load_preset

        try:
            config = load_preset(name)
        except FtTuiError as error:
            self._fail(error, name)
            return
        self.wizard.start_with(WizardState(config=config, origin=f"preset {name}"))

    def _open_file(self, path: Path | None, *, from_run: bool = False) -> None:
        if path is None:
            return
        try:
            config = load_config(path)
        except FtTuiError as error:
            self._fail(error, str(path))
            return
        if from_run:  # a run's copy is its record: edits are saved to a new file, never over it
            state = WizardState(config=config, origin=f"run {path.parent}")
        else:
            state = WizardState(config=config, path=path, origin=str(path))
        self.wizard.start_with(state)

    def _open_run(self, folder: Path | None) -> None:
        if folder is None:
            return
        found = config_copy(folder)
        if found is None:
            listed = ", ".join(CONFIG_COPIES)
            self._fail(FtTuiError(f"{folder} holds no run config ({listed})", fix="choose a run's output folder"))
            return
        self._open_file(found, from_run=True)

    def _fail(self, error: FtTuiError, config: str | None = None) -> None:
        """The error under the choices and as a toast; a config with problems points at `ft-tui validate CONFIG`,
        which lists each with its why."""
        if isinstance(error, ConfigError) and config is not None and not error.fix:
            error.fix = f"run `ft-tui validate {config}` for every problem"
        self.query_one("#start-status", Static).update(Content(f"✗ {error.message}"))
        notify_error(self, error)


def _preset_prompt(title: str, description: str) -> Group:
    """Title, then the description indented as a block: a narrow terminal wraps it under itself, not the margin."""
    return Group(Text(title), Padding(Text(description, style="dim"), (0, 0, 0, 2)))
