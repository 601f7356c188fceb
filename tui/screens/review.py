"""Step 6, review and run: the YAML as it will be written, every finding, save, save as preset, and Run."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from engine.config import dump_config
from engine.rules import has_errors
from tui.screens.dialogs import ChoiceDialog, TextPrompt
from tui.screens.step import Section, StepScreen
from tui.widgets.findings import FindingsList
from tui.widgets.help_panel import HelpPanel


class ReviewScreen(StepScreen):
    STEP = "review"
    INTRO = (
        "This is the file that will be written, exactly. Errors (✗) must be fixed before a run: each names its "
        "step in the sidebar. Save writes the YAML (it runs unchanged under axolotl); Run saves it and starts "
        "training."
    )
    KEYS = ()
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        *StepScreen.BINDINGS,
        Binding("ctrl+r", "next", "Run"),
    ]

    def compose_form(self) -> ComposeResult:
        yield Horizontal(
            Button("Save YAML (Ctrl+S)", id="save", compact=True),
            Button("Save as preset", id="save-preset", compact=True),
            classes="field-extras review-actions",
        )
        yield Section("The config", Static("", id="yaml"))

    yaml_text = ""
    """The YAML shown, exactly as Save writes it (without the comment header)."""

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#save", Button).focus()

    def refresh_state(self) -> None:
        super().refresh_state()
        self.query_one(FindingsList).show(self.step_findings(), self.wizard.state.accepted, detail=True)
        self.query_one(HelpPanel).explain(None, [], self.INTRO)
        self.query_one("#next", Button).label = "Run ▶"

    def refresh_numbers(self) -> None:
        theme = "ansi_dark" if self.app.current_theme.dark else "ansi_light"
        self.yaml_text = dump_config(self.wizard.config)
        self.query_one("#yaml", Static).update(Syntax(self.yaml_text, "yaml", theme=theme, background_color="default"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            event.stop()
            self.wizard.save(ask=True)
        elif event.button.id == "save-preset":
            event.stop()
            self._ask_preset_name()
        else:
            super().on_button_pressed(event)

    # --- save as preset ---------------------------------------------------------------------------------
    def _ask_preset_name(self) -> None:
        self.app.push_screen(
            TextPrompt(
                "Save as a preset named", "", "Letters, digits, '.', '_' and '-'; it appears on the start screen."
            ),
            self._save_preset,
        )

    def _save_preset(self, name: str | None, force: bool = False) -> None:
        from engine.presets import PresetError, save_user_preset

        if name is None:
            return
        try:
            path = save_user_preset(name, self.wizard.config, force=force)
        except PresetError as error:
            if "exists" in str(error) and not force:
                self.app.push_screen(
                    ChoiceDialog(
                        f"Your preset {name!r} exists. Replace it?", [("replace", "Replace"), ("cancel", "Cancel")]
                    ),
                    lambda reply: self._save_preset(name, force=True) if reply == "replace" else None,
                )
                return
            self.notify(str(error), severity="error")
            return
        self.notify(f"saved preset {name} ({path})")

    # --- run --------------------------------------------------------------------------------------------
    def action_next(self) -> None:
        """Run: blocked by errors; saves first, since a run always starts from a file on disk."""
        if not self.flush() or has_errors(self.step_findings()):
            self.notify("Fix the errors listed on the right before running.", severity="error")
            return
        warnings = {f.rule_id for f in self.step_findings() if f.severity == "warning"}
        self.wizard.accept_warnings(warnings)
        state = self.wizard.state
        if state.dirty or state.path is None:
            self.wizard.save(then=self._launch)
        else:
            self._launch(state.path)

    def _launch(self, path: Path) -> None:
        """The run is detached, so it survives the wizard; the monitor re-attaches to it by its folder."""
        from engine.config import ConfigError, ConfigFileError
        from engine.runs.launch import LaunchError, start_detached
        from tui.monitor.screens import MonitorScreen

        try:
            run_dir = start_detached(path)
        except (ConfigError, ConfigFileError, LaunchError) as error:
            self.notify(str(error), severity="error")
            return
        self.app.push_screen(MonitorScreen(run_dir))
