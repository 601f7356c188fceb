"""The frame every wizard step shares: sidebar, form, help panel, findings, and Back / Next gated on errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Header, Input, RadioSet, Select, SelectionList, Static

from engine.config import ConfigError, RunConfig
from engine.rules import Finding
from tui.lights import Lights, step_lights
from tui.screens.dialogs import PathPicker
from tui.screens.form_edits import FormEdits
from tui.state import STEP_IDS, STEPS, WizardState, edit_config, field_errors
from tui.widgets.fields import FieldRow
from tui.widgets.findings import FindingsList, FixButtons
from tui.widgets.help_panel import HelpPanel
from tui.widgets.sidebar import StepList

if TYPE_CHECKING:
    from tui.app import WizardApp

EDIT_EVENTS = (Input.Changed, Checkbox.Changed, Select.Changed, SelectionList.SelectedChanged, RadioSet.Changed)
"""Every input widget's change message: each one re-reads the form and re-checks the config."""


class StepScreen(Screen[None]):
    """One step of the wizard. Subclasses compose their form rows and, when the default does not fit, override
    the pair `load_fields` (config -> widgets) / `build_config` (widgets -> config)."""

    STEP: ClassVar[str]
    INTRO: ClassVar[str] = ""
    """What this step decides, shown in the help panel until a field has focus."""
    KEYS: ClassVar[tuple[str, ...]] = ()
    """Config keys this step edits; findings on them appear here and gate Next."""
    USES_DATA: ClassVar[bool] = False
    """Its findings include the tokenized data's: while the analysis runs it cannot be ✓ (mark "checking")."""
    WATCHES: ClassVar[tuple[str, ...]] = ("state", "preview", "target")
    """The app's reactives this step re-reads itself from when they change (the findings depend on all three)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Previous step (the first step goes back to the start screen)"),
        Binding("ctrl+n", "next", "Next", tooltip="Next step, accepting its warnings; refused while errors remain"),
        Binding(
            "ctrl+b", "back", "Back", show=False, tooltip="Previous step (the first step goes back to the start screen)"
        ),
        Binding(
            "ctrl+f",
            "apply_fix",
            "Apply fix",
            show=False,  # the Apply buttons show it; the footer has no room at 80 columns
            tooltip="Apply the first suggested fix of the findings panel (its Apply button), and say what changed",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.edits = FormEdits(self)
        self._focused_key: str | None = None

    @property
    def wizard(self) -> WizardApp:
        return cast("WizardApp", self.app)

    @property
    def wizard_state(self) -> WizardState:
        """The app's state, never None here: a step screen is only shown once a config is chosen."""
        state = self.wizard.state
        assert state is not None, "a step screen is only shown once a config is chosen"
        return state

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield StepList(self.STEP, self.wizard.derived.step_marks(self.STEP))
            with VerticalScroll(id="form"):
                yield Static(step_title(self.STEP), classes="step-title")
                yield from self.compose_form()
            with VerticalScroll(id="side"):
                yield HelpPanel(id="help")
                yield Static("Findings", classes="side-title")
                yield FindingsList(id="findings")
                yield FixButtons(id="fixes")
        with Horizontal(id="nav"):
            yield Button("← Back", id="back", compact=True)
            yield Static("", id="nav-status")
            yield Button("Next →", id="next", variant="primary", compact=True)
        yield Footer()

    def compose_form(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        with self.prevent(*EDIT_EVENTS):
            self.load_fields(self.wizard_state.config)
        for name in self.WATCHES:
            self.watch(self.wizard, name, self.refresh_state, init=False)
        # A failure or a finish of the analysis changes findings and marks, not only what the step shows of it.
        self.watch(self.wizard, "analysis", self.show_analysis, init=False)
        self.watch(self.wizard, "analysis", self.refresh_state, init=False)
        self.refresh_state()
        rows = self.rows()
        if rows:
            rows[0].query_one("#in-" + (rows[0].id or "")).focus()

    # --- the pair that binds widgets to the config -------------------------------------------------------
    def rows(self) -> list[FieldRow]:
        return list(self.query(FieldRow))

    def load_fields(self, config: RunConfig) -> None:
        for row in self.rows():
            row.set_value(getattr(config, row.key))

    def build_config(self, config: RunConfig) -> RunConfig:
        return edit_config(config, {row.key: row.value for row in self.rows()})

    # --- edits ------------------------------------------------------------------------------------------
    def _edited(self) -> None:
        self.edits.edited()

    for _edit in EDIT_EVENTS:  # handled from the one list that loading fields also silences: none is left out
        _edited = on(_edit)(_edited)
    del _edit

    def flush(self) -> bool:
        """Apply pending edits now; False when a field holds a value the config cannot take."""
        self.edits.stop()
        try:
            config = self.build_config(self.wizard_state.config)
        except ConfigError as error:
            self.edits.show_errors(field_errors(error))
            self.refresh_state()
            return False
        self.edits.show_errors({})
        if not self.wizard.set_config(config):
            self.refresh_state()  # the same config as before (a field fixed back): only the field marks changed
        return True

    def show_other_errors(self, errors: dict[str, str]) -> None:
        """Errors on keys without a row of their own (a dataset mapping, a module list); subclasses show them."""
        if errors:
            self.notify("; ".join(f"{key}: {message}" for key, message in errors.items()), severity="error")

    # --- findings, help and navigation ------------------------------------------------------------------
    def step_findings(self) -> list[Finding]:
        """The findings this step shows: the same list the panel, the status line and Next are drawn from."""
        return list(self.lights().findings)

    def lights(self) -> Lights:
        """Every light of this step, from the catalog's findings and the values on screen the config cannot take."""
        checking = self.USES_DATA and self.wizard.analyst.pending()
        findings = self.wizard.derived.findings()
        return step_lights(findings, self.KEYS, self.edits.errors, self.wizard_state.accepted, checking)

    def refresh_state(self) -> None:
        """Re-render what depends on the config: findings, help, Next, the sidebar marks and the step's numbers.
        The data is analysed for every config (not only on the data steps), so no step's mark waits on a visit."""
        self.wizard.analyst.request()
        lights = self.lights()
        self.query_one(FindingsList).show(lights.findings, lights.accepted)
        self.query_one(FixButtons).show(lights.findings)
        self.query_one(HelpPanel).explain(self._focused_key, list(lights.findings), self.INTRO)
        self.query_one(StepList).update_marks(self.wizard.derived.step_marks(self.STEP, self.edits.errors))
        button = self.query_one("#next", Button)
        button.disabled = lights.blocked
        button.label = lights.next_label
        self.query_one("#nav-status", Static).update(lights.status)
        self.refresh_numbers()

    def refresh_numbers(self) -> None:
        """Live numbers of the step (memory, parameters, packing); subclasses fill them in."""

    def show_analysis(self) -> None:
        """Redraw what this step shows of the data analysis (`app.analysis`); steps that show it fill it in."""

    # --- one-key fixes ----------------------------------------------------------------------------------------
    def action_apply_fix(self) -> None:
        fixes = self.query_one(FixButtons).fixes
        if not fixes:
            self.notify("No finding on this step has a fix that can be applied for you.")
            return
        from tui.screens.fixes import apply_fix

        apply_fix(self, fixes[0])

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        row = next((node for node in event.widget.ancestors_with_self if isinstance(node, FieldRow)), None)
        key = row.key if row is not None else self.focus_key(event.widget)
        if key is not None:
            self._focused_key = key
            self.query_one(HelpPanel).explain(key, self.step_findings(), self.INTRO)

    def focus_key(self, widget: Any) -> str | None:
        """The config key a focused widget that is not a FieldRow stands for (subclasses map their own)."""
        return None

    def button_actions(self) -> dict[str, Callable[[], object]]:
        """What each button of the step does, by button id; a step with buttons of its own adds them to these."""
        return {"next": self.action_next, "back": self.action_back}

    def on_button_pressed(self, event: Button.Pressed) -> None:
        action = self.button_actions().get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    def action_next(self) -> None:
        if not self.flush() or self.lights().blocked:
            self.notify("This step has errors; the findings panel says how to fix each one.", severity="error")
            return
        warnings = {f.rule_id for f in self.step_findings() if f.severity == "warning"}
        if warnings - self.wizard_state.accepted:
            self.wizard.accept_warnings(warnings)
        index = STEP_IDS.index(self.STEP)
        if index + 1 < len(STEP_IDS):
            self.wizard.goto(STEP_IDS[index + 1])

    def action_back(self) -> None:
        if not self.edits.flush_or_refuse():
            return
        index = STEP_IDS.index(self.STEP)
        self.wizard.goto(STEP_IDS[index - 1] if index > 0 else "start")


def step_title(step: str) -> str:
    return f"Step {STEP_IDS.index(step) + 1} of {len(STEPS)}: {dict(STEPS)[step]}"


def browse_into(screen: Screen[None], row_id: str, title: str, *, folders: bool = False) -> None:
    """Pick a file (or folder) from the working folder into a text row of `screen`, as if it had been typed."""

    def picked(path: Path | None) -> None:
        if path is not None:
            screen.query_one(f"#{row_id}", FieldRow).set_value(str(path))

    screen.app.push_screen(PathPicker(title, Path.cwd(), folders=folders), picked)


class Section(Vertical):
    """A titled group of rows inside a step's form."""

    DEFAULT_CSS = """
    Section { height: auto; margin: 1 0 0 0; }
    Section > .section-title { text-style: bold; color: $text-primary; }
    """

    def __init__(self, title: str, *children: Any, id: str | None = None) -> None:
        super().__init__(Static(title, classes="section-title"), *children, id=id)
