"""Step 6, review and run: the YAML as it will be written, how to launch it under either engine, every finding,
save, save as preset, and Run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from engine.config import RunConfig, config_text
from engine.config.axolotl_support import set_keys
from engine.errors import FtTuiError, one_line
from engine.rules import has_errors
from engine.runs.folder import REPLACED_SUFFIX, RunFolder
from engine.runs.paths import CONFIG_FILE
from tui.notify import notify_error
from tui.screens.dialogs import ChoiceDialog, TextPrompt
from tui.screens.step import Section, StepScreen
from tui.state import new_file_header
from tui.widgets.findings import FindingsList
from tui.widgets.help_panel import HelpPanel
from tui.workers import in_background


class ReviewScreen(StepScreen):
    STEP = "review"
    USES_DATA = True
    INTRO = (
        "This is the file that will be written, exactly. Errors (✗) must be fixed before a run: each names its "
        "step in the sidebar. Save writes the YAML (it runs unchanged under axolotl); Run saves it and starts "
        "training."
    )
    KEYS = ()
    BINDINGS: ClassVar[list[BindingType]] = [
        *StepScreen.BINDINGS,
        Binding("ctrl+r", "next", "Run"),
    ]

    def compose_form(self) -> ComposeResult:
        yield Horizontal(
            Button("Save YAML (Ctrl+S)", id="save", compact=True),
            Button("Save as preset", id="save-preset", compact=True),
            classes="field-extras review-actions",
        )
        yield Section("Run it with", Static("", id="launch"))
        yield Section("The config", Static("", id="yaml"))

    yaml_text = ""
    """The YAML shown, exactly as Save writes it (a new file's comment header included)."""

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#save", Button).focus()

    def refresh_state(self) -> None:
        super().refresh_state()
        self.query_one(FindingsList).show(self.step_findings(), self.wizard_state.accepted, detail=True)
        self.query_one(HelpPanel).explain(None, [], self.INTRO)
        self.query_one("#next", Button).label = "Run ▶"

    def refresh_numbers(self) -> None:
        theme = "ansi_dark" if self.app.current_theme.dark else "ansi_light"
        state = self.wizard.state
        path = state.path if state and state.path else Path(CONFIG_FILE)  # a new file: the name Save offers
        header = new_file_header(state.origin if state else None, path)
        self.yaml_text = config_text(self.wizard.config, header, base=state.path if state else None, path=path)
        self.query_one("#launch", Static).update(launch_text(self.wizard.config, state.path if state else None))
        self.query_one("#yaml", Static).update(
            Syntax(self.yaml_text, "yaml", theme=theme, background_color="default", word_wrap=True)
        )

    def button_actions(self) -> dict[str, Callable[[], object]]:
        save = lambda: self.wizard.save(ask=True)  # noqa: E731
        return {**super().button_actions(), "save": save, "save-preset": self._ask_preset_name}

    # --- save as preset ---------------------------------------------------------------------------------
    def _ask_preset_name(self) -> None:
        self.app.push_screen(
            TextPrompt(
                "Save as a preset named", "", "Letters, digits, '.', '_' and '-'; it appears on the start screen."
            ),
            self._save_preset,
        )

    def _save_preset(self, name: str | None, force: bool = False) -> None:
        from engine.presets import PresetExistsError, save_user_preset

        if name is None:
            return
        try:
            path = save_user_preset(name, self.wizard.config, force=force)
        except PresetExistsError:
            self.app.push_screen(
                ChoiceDialog(
                    f"Your preset {name!r} exists. Replace it?", [("replace", "Replace"), ("cancel", "Cancel")]
                ),
                lambda reply: self._save_preset(name, force=True) if reply == "replace" else None,
            )
            return
        except FtTuiError as error:
            notify_error(self, error)
            return
        self.notify(f"saved preset {name} ({path})", markup=False)

    # --- run --------------------------------------------------------------------------------------------
    def action_next(self) -> None:
        """Run: blocked by errors; saves first, since a run always starts from a file on disk. A folder that
        already holds a run (the run folder's owner decides) is never silently mixed with the new one: the user
        picks a resume or a replacement (the old run moved aside, never deleted)."""
        if not self.flush() or has_errors(self.step_findings()):
            self.notify("Fix the errors listed on the right before running.", severity="error")
            return
        warnings = {f.rule_id for f in self.step_findings() if f.severity == "warning"}
        self.wizard.accept_warnings(warnings)
        folder = RunFolder.of(self.wizard.config.output_dir)
        if not folder.holds_run():
            self._save_and_launch()
            return
        if folder.live_pid() is not None:
            self.notify(folder.refusal() or "", severity="error", markup=False)
            return
        state = folder.state()
        resumable = (
            state in ("stopped", "failed") and folder.resume_checkpoint() is not None
        )  # a finished run has nothing left
        choices = [("resume", "Resume it")] if resumable else []
        choices += [("replace", "Replace it"), ("cancel", "Cancel")]
        question = (
            f"{self.wizard.config.output_dir} already holds a {state} run. "
            + ("Resume it from its last checkpoint, or replace it? " if resumable else "Replace it? ")
            + f"Replacing moves the old run to {folder.path.name}{REPLACED_SUFFIX}<time> beside it; nothing is deleted."
        )
        self.app.push_screen(ChoiceDialog(question, choices), self._folder_answered)

    def _folder_answered(self, answer: str | None) -> None:
        if answer in ("resume", "replace"):
            self._save_and_launch(resume=answer == "resume", force=answer == "replace")

    def _save_and_launch(self, *, resume: bool = False, force: bool = False) -> None:
        state = self.wizard_state
        if state.dirty or state.path is None:
            self.wizard.save(then=lambda path: self._launch(path, resume=resume, force=force))
        else:
            self._launch(state.path, resume=resume, force=force)

    def _launch(self, path: Path, *, resume: bool = False, force: bool = False) -> None:
        """The run is detached, so it survives the wizard; the monitor re-attaches to it by its folder. Starting
        may wait up to 15 s for an engine that is still exiting, and `force` moves the old run aside first, so a
        worker does it and the keys stay live."""
        from engine.runs.launch import start_detached

        def start() -> Path:
            return start_detached(path, resume=resume, force=force)

        in_background(self, start, self._launched, self._launch_failed, group="launch")

    def _launched(self, run_dir: Path) -> None:
        from tui.monitor.screens import MonitorScreen

        self.app.push_screen(MonitorScreen(run_dir))

    def _launch_failed(self, error: Exception) -> None:
        """The saved config cannot be read or used, the run cannot start, or something unforeseen broke."""
        from engine.runs.launch import LaunchError

        if not isinstance(error, FtTuiError):
            error = LaunchError(f"could not start the run: {one_line(error)}")
        notify_error(self, error)


def launch_text(config: RunConfig, path: Path | None) -> str:
    """Both launch commands for the saved file, and which settings need which engine."""
    name = str(path) if path else CONFIG_FILE
    lines = [f"ft-tui:   ft-tui train {name}", f"axolotl:  accelerate launch -m axolotl.cli.train {name}"]
    axolotl_only = [key for key, _ in set_keys(config, "axolotl_only")]
    ignored = [key for key, _ in set_keys(config, "ignored")]
    if axolotl_only:
        lines.append(f"Needs axolotl (ft-tui's engine refuses them): {', '.join(axolotl_only)}")
    if ignored:
        lines.append(f"Used by axolotl only (ft-tui ignores them): {', '.join(ignored)}")
    if not axolotl_only and not ignored:
        lines.append("Every setting here runs the same under both engines.")
    return "\n".join(lines)
