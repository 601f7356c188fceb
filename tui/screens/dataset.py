"""Step 2, the data: which file, in which format, and what the model will actually see after tokenizing it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Label, Select, Static

from engine.config import ConfigError, RunConfig, config_to_dict
from engine.config.choices import LEGACY_DATASET_TYPES, OFFERED_DATASET_TYPES
from engine.wording import count
from tui.notify import notify_error
from tui.screens.step import EDIT_EVENTS, Section, StepScreen, browse_into
from tui.state import ROLES_SYNTAX, edit_config, edit_dataset
from tui.widgets.fields import BoolField, ChoiceField, FieldRow, ListField, RolesField, TextField
from tui.widgets.histogram import length_chart, sample_content

if TYPE_CHECKING:
    from engine.data.stats import DataFacts

TYPES: list[tuple[str, Any]] = [
    *((name, name) for name in OFFERED_DATASET_TYPES),
    *((f"{name} (old name)", name) for name in LEGACY_DATASET_TYPES),
    ("pre-tokenized", None),
]
MAPPING_ROWS: dict[str, tuple[str, ...]] = {
    "chat_template": ("field_messages", "map-role", "map-content", "roles", "roles_to_train"),
    "sharegpt": ("field_messages", "map-role", "map-content", "roles", "roles_to_train"),
    "alpaca": ("field_instruction", "field_input", "field_output"),
    "completion": ("field",),
}
"""Which mapping rows each format uses (by row id suffix); the others are hidden and cleared."""
RUN_KEYS = ("val_set_size", "train_on_inputs")


class DatasetScreen(StepScreen):
    STEP = "dataset"
    USES_DATA = True
    INTRO = (
        "Point at your training data: a .jsonl/.json/.csv/.parquet file or a hub dataset id. Say which format "
        "the rows are in and which columns hold what. Below, the rows appear as the model will see them, "
        "with the trained tokens highlighted, and a histogram of their lengths against sequence_len."
    )
    KEYS = ("datasets", "val_set_size", "train_on_inputs", "test_datasets")

    def __init__(self) -> None:
        super().__init__()
        self.index = 0
        """Which `datasets:` entry the fields edit; the analysis covers the whole mix."""
        self._entry_options: list[tuple[str, int]] = []
        self._untyped: set[int] = set()
        """Entries added here whose format nobody has chosen: they take the detected one once it is known,
        rather than starting as `pre-tokenized`, the empty format."""

    def compose_form(self) -> ComposeResult:
        yield Section(
            "Data",
            Horizontal(
                Label("Dataset", classes="field-label"),
                Select(entry_options(self.wizard.config), allow_blank=False, compact=True, id="entry"),
                classes="target-row",
            ),
            Horizontal(
                Button("Add a dataset", id="add-entry", compact=True),
                Button("Remove this one", id="remove-entry", compact=True),
                classes="field-extras",
            ),
            TextField("path", "File or hub id", "e.g. data/train.jsonl or org/dataset"),
            Horizontal(Button("Browse…", id="browse", compact=True), classes="field-extras"),
            ChoiceField("type", "Format", TYPES),
            Static("", id="data-columns", classes="note"),
            Horizontal(Button("Use the detected format", id="apply-detected", compact=True), classes="field-extras"),
        )
        yield Section(
            "Field mapping",
            TextField("field_messages", "Messages column", "e.g. messages"),
            TextField("message_property_mappings", "Role key", "e.g. role", id="row-map-role"),
            TextField("message_property_mappings", "Content key", "e.g. content", id="row-map-content"),
            RolesField("roles", "Role names", f"e.g. {ROLES_SYNTAX}"),
            ListField("roles_to_train", "Trained roles", "e.g. assistant"),
            TextField("field_instruction", "Instruction column", "e.g. instruction"),
            TextField("field_input", "Input column", "e.g. input"),
            TextField("field_output", "Output column", "e.g. output"),
            TextField("field", "Text column", "e.g. text"),
        )
        yield Section(
            "Evaluation and loss",
            TextField("val_set_size", "Held-out for eval", "e.g. 0.05 (5%) or a row count"),
            BoolField("train_on_inputs", "Train on prompts", "loss on prompts and user turns too"),
        )
        yield Section(
            "What the model will see",
            Static("", id="data-status", classes="note"),
            Static("", id="histogram"),
            Static("", id="sample"),
        )

    # --- the binding pair -------------------------------------------------------------------------------
    def load_fields(self, config: RunConfig) -> None:
        self.index = min(self.index, max(len(config.datasets) - 1, 0))
        self._show_entries(config)
        self.wizard.analyst.entry = self.index
        entry = config.datasets[self.index] if config.datasets else None
        mappings = dict(entry.message_property_mappings or {}) if entry else {}
        for row in self.rows():
            if row.key in RUN_KEYS:
                row.set_value(getattr(config, row.key))
            elif row.id == "row-map-role":
                row.set_value(mappings.get("role"))
            elif row.id == "row-map-content":
                row.set_value(mappings.get("content"))
            else:
                row.set_value(getattr(entry, row.key) if entry else None)
        self._show_mapping_rows()

    def build_config(self, config: RunConfig) -> RunConfig:
        self._show_mapping_rows()
        rows = {row.id: row for row in self.rows()}
        changes: dict[str, Any] = {}
        for row in rows.values():
            if row.key in RUN_KEYS or row.key == "message_property_mappings":
                continue
            changes[row.key] = row.value if row.display else None
        role, content = rows["row-map-role"], rows["row-map-content"]
        mappings = {"role": role.value, "content": content.value} if role.display else {}
        changes["message_property_mappings"] = {k: v for k, v in mappings.items() if v} or None
        changes["path"] = changes["path"] or ""
        config = edit_dataset(config, changes, self.index)
        return edit_config(config, {key: rows[f"row-{key}"].value for key in RUN_KEYS})

    # --- several datasets -------------------------------------------------------------------------------
    def _show_entries(self, config: RunConfig) -> None:
        """The entry picker lists every `datasets:` entry by its path; Remove needs two or more."""
        entries = config.datasets or []
        picker = self.query_one("#entry", Select)
        options = [
            (f"dataset {i + 1} of {len(entries)}: {e.path or '(no path yet)'}", i) for i, e in enumerate(entries)
        ]
        options = options or [("dataset 1 of 1", 0)]
        with self.prevent(Select.Changed):
            if options != self._entry_options:  # rebuilding an unchanged list on every reload is wasted work
                self._entry_options = options
                picker.set_options(options)
            if picker.value != self.index:
                picker.value = self.index
        self.query_one("#remove-entry").display = len(entries) > 1

    def _switch_to(self, index: int, config: RunConfig) -> None:
        """Edit entry `index` of `config` (already applied): its fields are loaded, its columns analysed."""
        self.index = index
        self.wizard.analyst.forget_peek()  # first: the redraw set_config causes must not show the old entry's guess
        self.wizard.set_config(config)
        with self.prevent(*EDIT_EVENTS):
            self.load_fields(self.wizard.config)
        self.refresh_state()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "in-row-type":
            self._untyped.discard(self.index)  # a format chosen by hand is never replaced by the detected one
        if event.select.id == "entry" and isinstance(event.value, int) and event.value != self.index:
            event.stop()
            if not self.edits.flush_or_refuse():
                self._show_entries(self.wizard.config)
                return
            self._switch_to(event.value, self.wizard.config)

    def _add_entry(self) -> None:
        if not self.edits.flush_or_refuse():
            return
        config = self.wizard.config
        self._untyped.add(len(config.datasets))
        self._switch_to(len(config.datasets), edit_dataset(config, {}, len(config.datasets)))

    def _remove_entry(self) -> None:
        config = self.wizard.config
        if len(config.datasets) < 2:
            return
        entries = [entry.model_dump(exclude_unset=True) for entry in config.datasets]
        del entries[self.index]
        self._untyped = {i - (i > self.index) for i in self._untyped if i != self.index}
        self._switch_to(max(self.index - 1, 0), edit_config(config, {"datasets": entries}))

    def _show_mapping_rows(self) -> None:
        kind = self.query_one("#row-type", ChoiceField).value
        wanted = MAPPING_ROWS.get(kind if isinstance(kind, str) else "alpaca" if kind else "", ())
        for row in self.query(FieldRow):
            suffix = (row.id or "").removeprefix("row-")
            if suffix in {name for names in MAPPING_ROWS.values() for name in names}:
                row.display = suffix in wanted

    def focus_key(self, widget: Any) -> str | None:
        return "path" if widget.id in ("browse", "entry", "add-entry", "remove-entry") else None

    def button_actions(self) -> dict[str, Callable[[], object]]:
        return {
            **super().button_actions(),
            "browse": lambda: browse_into(self, "row-path", "Choose a data file"),
            "add-entry": self._add_entry,
            "remove-entry": self._remove_entry,
            "apply-detected": self._apply_detected,
        }

    def _apply_detected(self) -> None:
        suggestion = self.wizard.analysis.suggestion
        if (
            not suggestion or not self.edits.flush_or_refuse()
        ):  # a pending edit first, or it would be written back over this
            return
        try:
            config = edit_dataset(self.wizard.config, suggestion, self.index)
        except ConfigError as error:
            notify_error(self, error)  # the entry's other keys do not fit the detected format; nothing changes
            return
        self.wizard.set_config(config)
        with self.prevent(*EDIT_EVENTS):
            self.load_fields(self.wizard.config)

    def _detected_would_change(self) -> bool:
        """Whether applying the detected format changes the entry: once it is the one set, the button is noise."""
        suggestion = self.wizard.analysis.suggestion
        if not suggestion:
            return False
        try:
            applied = edit_dataset(self.wizard.config, suggestion, self.index)
        except ConfigError:
            return True  # applying it says why it cannot be applied
        return config_to_dict(applied) != config_to_dict(self.wizard.config)

    # --- what the data looks like -----------------------------------------------------------------------
    def refresh_numbers(self) -> None:
        self.wizard.analyst.request()
        self.show_analysis()

    def show_analysis(self) -> None:
        wizard = self.wizard
        if self.index in self._untyped and wizard.analysis.suggestion:
            self._untyped.discard(self.index)
            self._apply_detected()
        self.query_one("#data-columns", Static).update(wizard.analysis.columns_note())
        self.query_one("#apply-detected").display = self._detected_would_change()
        self.query_one("#data-status", Static).update(wizard.analysis.status)
        facts = wizard.derived.data_facts()
        preview = wizard.preview if facts is not None else None
        histogram, sample = self.query_one("#histogram", Static), self.query_one("#sample", Static)
        if preview is None or facts is None:
            histogram.update("")
            sample.update("")
            return
        config = wizard.config
        histogram.update(
            Content("\n").join(
                [
                    length_chart(
                        facts.length_histogram,
                        config.sequence_len,
                        facts.rows_dropped.get("too_long", 0),
                        facts.rows_truncated,
                    ),
                    Content(rows_summary(facts, config)),
                ]
            )
        )
        legend = Content.assemble(("trained (loss)", "bold $text-success"), " · ", ("masked (context)", "$text-muted"))
        samples = [sample_content(segments) for segments in preview.samples[:1]]
        sample.update(Content("\n").join([legend, *samples]))


def entry_options(config: RunConfig) -> list[tuple[str, int]]:
    """`2/3 b.jsonl` for each `datasets:` entry: the file's name, since the path box below shows the rest (one
    empty entry for a config without any)."""
    count = max(len(config.datasets), 1)
    paths = [entry.path for entry in config.datasets] or [""]
    return [(f"{i + 1}/{count} {Path(path).name or '(no path yet)'}", i) for i, path in enumerate(paths)]


def longest_text(facts: DataFacts) -> str:
    """The longest row read, and the longest kept when they differ: "longest 511 tokens" beside "25 longer than
    sequence_len 512" read as a contradiction, since the longest kept row is never the longest read."""
    longest = f"longest {count(facts.longest_read or facts.max_length, 'token')}"
    if facts.longest_read > facts.max_length:
        longest += f" (longest kept {facts.max_length:,})"
    return f"{longest}, mean {facts.mean_length:,.0f}"


def rows_summary(facts: DataFacts, config: RunConfig) -> str:
    too_long = facts.rows_dropped.get("too_long", 0)
    other = facts.rows_dropped_total - too_long
    policy = config.effective_excess_length_strategy()
    mix = f"the mix of {len(config.datasets)} datasets: " if len(config.datasets) > 1 else ""
    parts = [
        f"{mix}{count(facts.rows_read, 'row')} read: {facts.train_rows:,} train + "
        f"{count(facts.eval_rows, 'eval sample')}",
        longest_text(facts),
        f"{too_long:,} longer than sequence_len {config.sequence_len} (dropped)"
        if policy != "truncate"
        else f"{facts.rows_truncated:,} truncated to sequence_len {config.sequence_len}",
    ]
    if other:
        parts.append(
            f"{other:,} dropped for other reasons ({', '.join(k for k in facts.rows_dropped if k != 'too_long')})"
        )
    return "; ".join(parts)
