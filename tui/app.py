"""The guided-setup wizard: a Textual app that walks from nothing to a valid, saved config and a started run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import var

from engine.config import ConfigError, RunConfig, load_config, save_config
from engine.errors import EXIT_USAGE, FtTuiError
from engine.rules import Finding, Target, check_config, declared_target, detect_target
from engine.runs.paths import CONFIG_FILE
from tui.lights import data_not_analysed_finding, step_lights
from tui.notify import notify_error
from tui.screens import STEP_SCREENS, StartScreen
from tui.screens.data_preview import DataPreview, Services, data_key, default_services, refresh_facts
from tui.screens.data_worker import Analysis, DataAnalyst
from tui.screens.dialogs import ChoiceDialog, HelpDialog, TextPrompt
from tui.screens.step import StepScreen
from tui.state import WizardState, new_file_header
from tui.target_memory import remember_target, remembered_target

if TYPE_CHECKING:
    from engine.data.stats import DataFacts
    from engine.models import ModelFacts
    from engine.rules.target import DeviceKind


class WizardApp(App[int]):
    """Holds the one WizardState and the caches derived from it (model facts, data preview, findings).

    The state, the data preview, the data analysis and the target are reactive: a step screen watches them and
    re-reads what it shows when one changes, so nothing here needs to know which screen is on top.
    """

    CSS_PATH = "styles/wizard.tcss"
    TITLE = "ft-tui"
    # Textual declares this as an instance attribute (not a ClassVar), so annotating it ClassVar here would clash.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the YAML (asks for a file name, and before replacing a file)"),
        Binding("f1", "help", "Help", tooltip="This list of keys"),
        Binding(
            "alt+n",
            "next_step",
            "Next",
            show=False,
            priority=True,  # before a text box, which would type the n
            tooltip="Next step, as Ctrl+N; in a browser, which keeps Ctrl+N for a new window, use this",
        ),
        Binding(
            "ctrl+o", "runs", "Runs", show=False, tooltip="The list of runs: watch, stop or resume one (Esc comes back)"
        ),
        Binding("question_mark", "help", "Help", show=False, tooltip="This list of keys"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit (asks first when there are unsaved changes)"),
    ]

    state: var[WizardState | None] = var(None)
    """The one wizard state; replaced whole on every edit (never mutated), so watchers see every change."""
    preview: var[DataPreview | None] = var(None)
    """The newest data analysis result (tokenized rows and facts), None until one finished."""
    analysis: var[Analysis] = var(Analysis())
    """What the data analysis is doing and what it saw (progress line, columns, detected format)."""
    target: var[Target] = var(Target(device="cpu"))
    """The machine the findings are judged against."""
    machine: var[str] = var("")
    """`ft-tui doctor` in short for the Model step; empty until engine.doctor has looked (once per session, in a
    worker: it runs nvidia-smi, which may take seconds)."""

    def __init__(
        self,
        state: WizardState | None = None,
        *,
        target: Target | None = None,
        services: Services | None = None,
    ) -> None:
        super().__init__()
        self.set_reactive(WizardApp.state, state)
        self.home_target = target if target is not None and not target.declared else detect_target()
        """The machine the wizard runs on (or the one tests fix); `target` may be a declared GPU instead."""
        self.declared = target if target is not None and target.declared else None
        """The target given on the command line (`--device`, `--gpu-memory`), which wins over a remembered one."""
        self.set_reactive(WizardApp.target, self._target_for(state))
        self.services = services or default_services()
        self.analyst = DataAnalyst(self)
        self._facts_cache: dict[str, ModelFacts | None] = {}
        self._findings: tuple[RunConfig, DataPreview | None, list[Finding]] | None = None
        self._data_facts: tuple[RunConfig, DataPreview, DataFacts] | None = None
        self._confirmed_path: Path | None = None
        self._machine_asked = False
        self.goodbye: str | None = None
        """Printed after the app closes: that a live run goes on and how to re-attach."""

    def on_mount(self) -> None:
        if self.state is None:
            self.push_screen(StartScreen())
        else:
            self.push_screen(STEP_SCREENS["model"]())
        self._update_title()

    # --- state ------------------------------------------------------------------------------------------
    @property
    def config(self) -> RunConfig:
        assert self.state is not None, "a step screen is only shown once a config is chosen"
        return self.state.config

    def start_with(self, state: WizardState) -> None:
        """Begin editing a config chosen on the start screen, once unsaved edits of the one before are saved or
        knowingly discarded."""

        def begin() -> None:
            self.state = state
            self.target = self._target_for(state)
            self._confirmed_path = None
            self.goto("model")

        self.unless_unsaved("The config has unsaved changes. Save them before opening another?", begin)

    def unless_unsaved(self, question: str, then: Callable[[], object], *, discard: str = "Discard them") -> None:
        """Run `then` now when nothing is unsaved; else ask Save / Discard / Cancel and run it after a save that
        succeeded or a discard (Cancel, or a save given up, leaves everything as it was)."""
        if self.state is None or not self.state.dirty:
            then()
            return

        def answered(answer: str | None) -> None:
            if answer == "discard":
                then()
            elif answer == "save":
                self.save(then=lambda _path: then())

        choices = [("save", "Save"), ("discard", discard), ("cancel", "Cancel")]
        self.push_screen(ChoiceDialog(question, choices), answered)

    def set_config(self, config: RunConfig) -> bool:
        """Replace the config; the screens watching `state` re-read what they show. False when nothing changed."""
        assert self.state is not None
        new_state = self.state.with_config(config)
        if new_state is self.state:
            return False
        self.state = new_state
        return True

    def apply_changes(self, changes: dict[str, Any]) -> str | None:
        """Apply a finding's fix (engine.rules `changes`) through set_config, like any edit; the reason it was
        refused (the config would not validate) leaves the config as it was."""
        from engine.rules import apply_changes

        try:
            config = apply_changes(self.config, changes)
        except ConfigError as error:
            return "; ".join(problem.one_line() for problem in error.problems) or str(error)
        self.set_config(config)
        return None

    def set_target(self, target: Target) -> None:
        """Judge the config against another machine (the Model step's "Train on"); findings are redone."""
        self.target = target

    def declare_target(self, device: str) -> None:
        """Judge against a declared `device` (a finding's fix: Train on a CUDA GPU), keeping a GPU memory already
        chosen."""
        memory = self.target.gpu_memory_gb if self.target.declared and self.target.device == "cuda" else None
        self.target = declared_target(cast("DeviceKind", device), memory)

    def _target_for(self, state: WizardState | None) -> Target:
        """The command line's target, else the one remembered for the opened file, else this machine."""
        remembered = remembered_target(state.path) if state is not None and state.path is not None else None
        return self.declared or remembered or self.home_target

    def watch_target(self) -> None:
        self._findings = None
        if self.state is not None and self.state.path is not None:
            remember_target(self.state.path, self.target)

    def accept_warnings(self, rule_ids: set[str]) -> None:
        assert self.state is not None
        self.state = self.state.accept(rule_ids)

    def watch_state(self) -> None:
        self._update_title()

    def _update_title(self) -> None:
        if self.state is None:
            self.sub_title = "guided setup"
            return
        where = str(self.state.path) if self.state.path else self.state.origin or "new config"
        self.sub_title = where + (" • unsaved" if self.state.dirty or self.state.path is None else "")

    # --- derived facts ----------------------------------------------------------------------------------
    def look_at_machine(self) -> None:
        """Start engine.doctor's look at this machine unless it was started already; `machine` says the result."""
        if self._machine_asked:
            return
        self._machine_asked = True
        from tui.screens.model import machine_summary
        from tui.workers import in_background

        def failed(error: Exception) -> None:
            self.machine = f"Could not check this machine ({type(error).__name__}: {error}); `ft-tui doctor` says more."

        in_background(
            self,
            lambda: machine_summary(self.services.machine()),
            lambda text: setattr(self, "machine", text),
            failed,
            group="machine",
        )

    def model_facts(self) -> ModelFacts | None:
        """The facts of the base model when its config.json is on disk, else None."""
        base_model = self.config.base_model
        if base_model not in self._facts_cache:
            from engine.models import find_model_facts

            self._facts_cache[base_model] = find_model_facts(base_model)
        return self._facts_cache[base_model]

    def forget_model_facts(self) -> None:
        """After a download the facts exist; drop the cached None."""
        self._facts_cache.clear()
        self._findings = None

    def data_facts(self) -> DataFacts | None:
        """DataFacts for the current config, when the data was analysed with the same data settings (cached per
        config, since every panel of a step asks for them on each edit)."""
        config, preview = self.config, self.preview
        if preview is None or preview.key != data_key(config):
            return None
        cached = self._data_facts
        if cached is None or cached[0] is not config or cached[1] is not preview:
            self._data_facts = cached = (config, preview, refresh_facts(preview, config))
        return cached[2]

    def watch_preview(self) -> None:
        self._findings = None

    def findings(self) -> list[Finding]:
        """All findings for the current config, with whatever model and data facts are known (cached per config),
        plus the data analysis's failure for this data (tui.lights), so every mark counts it."""
        config = self.config
        facts = self.model_facts()
        if self._findings is None or self._findings[0] is not config or self._findings[1] is not self.preview:
            data = self.data_facts()
            self._findings = (config, self.preview, check_config(config, self.target, facts=facts, data=data))
        failure = self.analysis.failure
        if failure is not None and failure[0] == data_key(config):
            return [*self._findings[2], data_not_analysed_finding(failure[1])]
        return self._findings[2]

    def step_marks(self, current: str = "", typed: dict[str, str] | None = None) -> dict[str, str]:
        """error / warning / ok for each step, by the same computation as the step's own lights (tui.lights);
        the `current` step also counts the values `typed` there that the config cannot take yet."""
        if self.state is None:
            return {}
        findings, accepted, pending = self.findings(), self.state.accepted, self.analyst.pending()
        return {
            step: step_lights(
                findings,
                screen.KEYS,
                (typed or {}) if step == current or not screen.KEYS else {},  # Review judges every key
                accepted,
                checking=screen.USES_DATA and pending,
            ).mark
            for step, screen in STEP_SCREENS.items()
        }

    # --- navigation -------------------------------------------------------------------------------------
    async def on_monitor_screen_new_run_requested(self, message: Any) -> None:
        """A new run from a finished run's config edits a copy, so the finished run's record stays as it ran."""
        try:
            config = load_config(message.config_path)
        except FtTuiError as error:
            notify_error(self, error)
            return
        state = WizardState(config=config, dirty=True, origin=f"run {message.config_path.parent.name}")
        await self.pop_screen()
        self.start_with(state)
        self.notify("Choose a new output_dir on the Training step so the finished run is kept.")

    def goto(self, step: str) -> None:
        """Show `step`; the switch waits for the current event to finish, so no widget of the screen being left
        (a pressed button, a header) is still handling it while its screen is taken down."""
        self.call_later(self.switch_screen, StartScreen() if step == "start" else STEP_SCREENS[step]())

    def action_next_step(self) -> None:
        if isinstance(self.screen, StepScreen):
            self.screen.action_next()

    def action_runs(self) -> None:
        """The runs list over whatever is shown: how a new tab or a new wizard re-attaches to a detached run."""
        from tui.monitor.screens import RunsScreen

        if not isinstance(self.screen, RunsScreen):
            self.push_screen(RunsScreen())

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpDialog):
            self.push_screen(HelpDialog())

    async def action_quit(self) -> None:
        """Quit, first applying what was typed on the step (the edit debounce may not have run yet), so the
        unsaved-changes question sees every edit."""
        from tui.monitor.actions import still_running_note

        self.goodbye = still_running_note(self.screen_stack)
        lost = ""
        if isinstance(self.screen, StepScreen) and not self.screen.flush():
            lost = " (the value in the field marked ✗ cannot be saved)"
        question = f"The config has unsaved changes{lost}. Save them before quitting?"
        self.unless_unsaved(question, lambda: self.exit(0), discard="Quit without saving")

    # --- saving -----------------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.state is None:
            return
        self.save()

    def save(self, then: Any = None, *, ask: bool = False) -> None:
        """Save the YAML atomically; asks for the file name the first time and before overwriting a file."""
        if isinstance(self.screen, StepScreen) and not self.screen.flush():
            self.notify("Fix the field marked ✗ before saving.", severity="error")
            return
        assert self.state is not None
        path = self.state.path
        if path is not None and path == self._confirmed_path and not ask:
            self._write(path, then)
            return
        self.push_screen(
            TextPrompt("Save the config as", str(path or CONFIG_FILE), "A YAML file path (axolotl format)."),
            lambda answer: self._save_to(answer, then),
        )

    def _save_to(self, answer: str | None, then: Any) -> None:
        if answer is None:
            return
        path = Path(answer).expanduser()
        if path.is_dir():
            self.notify(
                f"{path} is a folder; give a file name such as {path / CONFIG_FILE}", severity="error", markup=False
            )
            return
        if path.exists():
            self.push_screen(
                ChoiceDialog(f"{path} exists. Replace it?", [("replace", "Replace"), ("cancel", "Cancel")]),
                lambda reply: self._write(path, then) if reply == "replace" else None,
            )
            return
        self._write(path, then)

    def _write(self, path: Path, then: Any) -> None:
        assert self.state is not None
        try:
            save_config(self.state.config, path, header=new_file_header(self.state.origin, path), base=self.state.path)
        except OSError as error:
            self.notify(f"could not save {path}: {error.strerror or error}", severity="error", markup=False)
            return
        self.state = self.state.saved_to(path)
        self._confirmed_path = path
        remember_target(path, self.target)
        self.notify(f"saved {path}", markup=False)
        if then is not None:
            then(path)


def load_initial_state(preset: str | None, config_path: Path | None) -> WizardState | None:
    """The state to open with: a config file, a named preset, or None for the start screen.

    Raises an FtTuiError: ConfigError/ConfigFileError for a broken file, engine.presets.PresetError for an unknown
    preset.
    """
    if config_path is not None:
        return WizardState(config=load_config(config_path), path=config_path, origin=str(config_path))
    if preset is not None:
        from engine.presets import load_preset

        return WizardState(config=load_preset(preset), origin=f"preset {preset}")
    return None


def create_app(
    preset: str | None = None,
    config_path: Path | None = None,
    *,
    target: Target | None = None,
    services: Services | None = None,
) -> WizardApp:
    """The app as the command line builds it; tests pass a fixed target and tiny services."""
    return WizardApp(load_initial_state(preset, config_path), target=target, services=services)


def run_wizard(preset: str | None, config_path: Path | None, target: Target | None = None) -> int:
    """`ft-tui [--preset NAME]` and `ft-tui wizard CONFIG` (both with `--device`, `--gpu-memory`): 0 when the user
    quits, 2 when the input is unusable."""
    from engine.cli.report import report_error

    try:
        app = create_app(preset, config_path, target=target)
    except FtTuiError as error:
        if isinstance(error, ConfigError) and not error.fix:
            error.fix = f"fix the file, or run `ft-tui validate {config_path}` for details"
        report_error(error)
        return EXIT_USAGE
    code = app.run() or 0
    if app.goodbye:
        print(app.goodbye)
    return code


__all__ = ["WizardApp", "create_app", "load_initial_state", "run_wizard"]
