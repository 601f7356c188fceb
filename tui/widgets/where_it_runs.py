"""The Training step's "Where it runs" section: this machine, N GPUs on one node, or several nodes.

It edits no config key (the YAML stays axolotl's): the choice is saved as the launch plan beside the YAML
(engine.runs.plan), which `ft-tui train` and the wizard's Run read for the process count. The section shows the
exact torchrun and `accelerate launch` command for every node and what changes with more processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from engine.config import RunConfig
from engine.markup import escape_markup
from engine.runs.plan import (
    ADDRESS_PLACEHOLDER,
    DEFAULT_PORT,
    LaunchPlan,
    PlanError,
    Where,
    explain,
    load_plan,
    node_commands,
    save_plan,
)
from tui.notify import notify_error
from tui.widgets.text_input import InOrderInput

WHERE_CHOICES: list[tuple[str, str]] = [
    ("this machine (one process)", "local"),
    ("N GPUs on this node", "gpus"),
    ("several nodes", "nodes"),
]
CONFIG_PLACEHOLDER = "CONFIG.yml"
"""Shown in the commands until the config has been saved somewhere."""


class WhereItRuns(Vertical):
    """Inputs for the plan, the commands per node, the explanation, and a button that writes the plan file."""

    DEFAULT_CSS = """
    WhereItRuns { height: auto; margin: 1 0 0 0; }
    WhereItRuns > .section-title { text-style: bold; color: $text-primary; }
    WhereItRuns Horizontal { height: auto; }
    WhereItRuns .field-label { width: 18; padding: 0 1 0 0; color: $text-muted; }
    WhereItRuns Horizontal > Input, WhereItRuns Horizontal > Select { width: 1fr; }
    WhereItRuns .-hidden { display: none; }
    WhereItRuns #where-commands { padding: 1 0 0 0; }
    WhereItRuns #where-explain { color: $text-muted; padding: 1 0 0 0; }
    WhereItRuns #where-error { color: $text-error; }
    """

    def __init__(self, *, id: str | None = "where-it-runs") -> None:
        super().__init__(id=id)
        self._config: RunConfig | None = None
        self._path: Path | None = None
        self._loaded_for: Path | None = None

    def compose(self) -> ComposeResult:
        yield Static("Where it runs", classes="section-title")
        yield self._row("Runs on", Select(WHERE_CHOICES, value="local", allow_blank=False, compact=True, id="where"))
        yield self._row("GPUs per node", InOrderInput("2", compact=True, id="where-gpus"), "row-where-gpus")
        yield self._row("Nodes", InOrderInput("2", compact=True, id="where-nodes"), "row-where-nodes")
        yield self._row(
            "Node 0 address", InOrderInput(ADDRESS_PLACEHOLDER, compact=True, id="where-addr"), "row-where-addr"
        )
        yield self._row("Port", InOrderInput(str(DEFAULT_PORT), compact=True, id="where-port"), "row-where-port")
        yield Static("", id="where-error")
        yield Static("", id="where-commands")
        yield Static("", id="where-explain")
        yield Button("Save launch settings", id="where-save", compact=True)

    @staticmethod
    def _row(label: str, control: Input | Select[str], row_id: str | None = None) -> Horizontal:
        return Horizontal(Label(label, classes="field-label"), control, id=row_id)

    # --- called by the step screen whenever the config changes -------------------------------------------
    def show(self, config: RunConfig, path: Path | None) -> None:
        """Re-render for this config; the first time a saved config is shown, its plan file fills the inputs."""
        self._config, self._path = config, path
        if path is not None and path != self._loaded_for:
            self._loaded_for = path
            self._load(path)
        self._update_view()

    def _load(self, path: Path) -> None:
        try:
            plan = load_plan(path)
        except PlanError as error:
            self.query_one("#where-error", Static).update(f"✗ {escape_markup(error)}")
            return
        if plan is None:
            return
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#where", Select).value = plan.where
            self.query_one("#where-gpus", Input).value = str(plan.gpus_per_node)
            self.query_one("#where-nodes", Input).value = str(plan.nodes)
            self.query_one("#where-addr", Input).value = plan.master_addr
            self.query_one("#where-port", Input).value = str(plan.master_port)

    # --- the plan from the inputs ---------------------------------------------------------------------
    def plan(self) -> LaunchPlan:
        """The plan the inputs describe; raises PlanError naming the input that is wrong."""
        where = str(self.query_one("#where", Select).value)
        try:
            gpus = int(self.query_one("#where-gpus", Input).value or "1")
            nodes = int(self.query_one("#where-nodes", Input).value or "1")
            port = int(self.query_one("#where-port", Input).value or str(DEFAULT_PORT))
        except ValueError as error:
            raise PlanError("GPUs per node, nodes and port are whole numbers") from error
        address = self.query_one("#where-addr", Input).value.strip() or ADDRESS_PLACEHOLDER
        if where != "nodes":
            # Only what the choice uses is saved: the hidden inputs keep their text for switching back.
            nodes, address, port = 1, ADDRESS_PLACEHOLDER, DEFAULT_PORT
        # The Select offers only the three choices; LaunchPlan checks the value again on creation.
        return LaunchPlan(cast(Where, where), gpus if where != "local" else 1, nodes, address, port)

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        """Our inputs are no config keys: the step screen need not re-check the config for them."""
        event.stop()
        self._update_view()

    def _update_view(self) -> None:
        where = str(self.query_one("#where", Select).value)
        for row_id, visible in (
            ("#row-where-gpus", where != "local"),
            ("#row-where-nodes", where == "nodes"),
            ("#row-where-addr", where == "nodes"),
            ("#row-where-port", where == "nodes"),
        ):
            self.query_one(row_id).set_class(not visible, "-hidden")
        error = self.query_one("#where-error", Static)
        try:
            plan = self.plan()
        except PlanError as problem:
            error.update(f"✗ {escape_markup(problem)}")
            return
        error.update("")
        config_name = str(self._path) if self._path is not None else CONFIG_PLACEHOLDER
        lines = []
        for node in node_commands(plan, config_name):
            if plan.where == "nodes":
                lines.append(f"node {node.node_rank}:")
            lines += [f"  {node.torchrun}", f"  {node.accelerate}"]
        if plan.where == "gpus":
            lines.append(f"  ft-tui train {config_name} --nproc {plan.gpus_per_node} --detach")
        self.query_one("#where-commands", Static).update(escape_markup("\n".join(lines)))
        if self._config is not None:
            self.query_one("#where-explain", Static).update(
                escape_markup("\n".join(f"• {line}" for line in explain(plan, self._config)))
            )

    @on(Button.Pressed, "#where-save")
    def _save(self, event: Button.Pressed) -> None:
        event.stop()
        if self._path is None:
            self.notify("Save the config first (Ctrl+S); the launch settings go next to it.", severity="warning")
            return
        try:
            written = save_plan(self.plan(), self._path)
        except PlanError as error:
            notify_error(self, error)
            return
        self.notify(f"launch settings saved to {written}", markup=False)
