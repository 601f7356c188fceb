"""What the wizard derives from its state, in one object: model facts, data facts, findings, the steps' marks and
this machine's summary. Each is cached against what it was computed from, so the many panels that ask on every
edit never recompute it, and a change of the config, the data preview or the target is seen without being told."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.rules import Finding, check_config
from tui.lights import data_not_analysed_finding, step_lights
from tui.services.data_preview import data_key, refresh_facts

if TYPE_CHECKING:
    from engine.config import RunConfig
    from engine.data.stats import DataFacts
    from engine.models import ModelFacts
    from engine.rules import Target
    from tui.app import WizardApp
    from tui.services.data_preview import DataPreview


class Derived:
    """The wizard's derived state; the app holds one (`app.derived`) and the screens ask it."""

    def __init__(self, app: WizardApp) -> None:
        self.app = app
        self._facts: dict[str, ModelFacts | None] = {}
        self._findings: tuple[RunConfig, DataPreview | None, Target, list[Finding]] | None = None
        self._data_facts: tuple[RunConfig, DataPreview, DataFacts] | None = None
        self._machine_asked = False

    def model_facts(self) -> ModelFacts | None:
        """The facts of the base model when its config.json is on disk, else None."""
        base_model = self.app.config.base_model
        if base_model not in self._facts:
            from engine.models import find_model_facts

            self._facts[base_model] = find_model_facts(base_model)
        return self._facts[base_model]

    def forget_model_facts(self) -> None:
        """After a download the facts exist; drop the cached None (and the findings judged without them)."""
        self._facts.clear()
        self._findings = None

    def data_facts(self) -> DataFacts | None:
        """DataFacts for the current config, when the data was analysed with the same data settings (cached per
        config, since every panel of a step asks for them on each edit)."""
        config, preview = self.app.config, self.app.preview
        if preview is None or preview.key != data_key(config):
            return None
        cached = self._data_facts
        if cached is None or cached[0] is not config or cached[1] is not preview:
            self._data_facts = cached = (config, preview, refresh_facts(preview, config))
        return cached[2]

    def findings(self) -> list[Finding]:
        """All findings for the current config and target, with whatever model and data facts are known (cached
        per config, preview and target), plus the data analysis's failure for this data (tui.lights), so every
        mark counts it."""
        app = self.app
        config, preview, target = app.config, app.preview, app.target
        facts = self.model_facts()
        cached = self._findings
        if cached is None or cached[0] is not config or cached[1] is not preview or cached[2] != target:
            found = check_config(config, target, facts=facts, data=self.data_facts())
            self._findings = cached = (config, preview, target, found)
        failure = app.analysis.failure
        if failure is not None and failure[0] == data_key(config):
            return [*cached[3], data_not_analysed_finding(failure[1])]
        return cached[3]

    def step_marks(self, current: str = "", typed: dict[str, str] | None = None) -> dict[str, str]:
        """error / warning / ok for each step, by the same computation as the step's own lights (tui.lights);
        the `current` step also counts the values `typed` there that the config cannot take yet."""
        from tui.screens import STEP_SCREENS

        state = self.app.state
        if state is None:
            return {}
        findings, pending = self.findings(), self.app.analyst.pending()
        return {
            step: step_lights(
                findings,
                screen.KEYS,
                (typed or {}) if step == current or not screen.KEYS else {},  # Review judges every key
                state.accepted,
                checking=screen.USES_DATA and pending,
            ).mark
            for step, screen in STEP_SCREENS.items()
        }

    def look_at_machine(self) -> None:
        """Start engine.doctor's look at this machine unless it was started already; `app.machine` says the
        result (it runs nvidia-smi, which may take seconds: a worker does it, once per session)."""
        if self._machine_asked:
            return
        self._machine_asked = True
        from tui.screens.model import machine_summary
        from tui.workers import in_background

        app = self.app

        def failed(error: Exception) -> None:
            app.machine = f"Could not check this machine ({type(error).__name__}: {error}); `ft-tui doctor` says more."

        in_background(
            app,
            lambda: machine_summary(app.services.machine()),
            lambda text: setattr(app, "machine", text),
            failed,
            group="machine",
        )
