"""Runs the data analysis in a background thread, debounced, and publishes its progress line and format guess."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from engine.config import RunConfig
from engine.data.errors import NoRowsLeft
from tui.services.data_preview import DataPreview, analyse, data_key, detect_format
from tui.workers import in_background, post_to_ui

if TYPE_CHECKING:
    from tui.app import WizardApp

ANALYSIS_DEBOUNCE_S = 0.6
"""Wait this long after the last data-shaping edit before tokenizing again, so typing a path stays smooth."""
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class Analysis:
    """What the data analysis shows: its progress line, the columns it saw and the format it detected.

    Frozen and held by the app as a reactive, so every screen showing it redraws when a new one is published.
    """

    status: str = "The data is analysed once a dataset is set."
    columns: tuple[str, ...] = ()
    suggestion: dict[str, Any] | None = None
    failure: tuple[str, str] | None = None
    """(data_key, reason) of the last analysis that failed: a finding for that data until it changes."""

    def columns_note(self) -> Content:
        if not self.columns:
            return Content("")
        note = Content.assemble(("columns: ", "bold"), ", ".join(self.columns))
        if self.suggestion:
            kind = self.suggestion.get("type", "pre-tokenized")
            note = Content.assemble(note, ("   detected format: ", "bold"), str(kind))
        return note


class AnalysisCancelled(Exception):
    """Raised from a progress report of an analysis whose worker was cancelled: it ends there, silently."""


class DataAnalyst:
    """Owns the analysis worker for the app: one at a time, newest config wins, results for stale configs dropped.

    What it finds goes to `app.analysis` and `app.preview`; it never reaches into a screen."""

    def __init__(self, app: WizardApp) -> None:
        self.app = app
        self._key: str | None = None
        self.entry = 0
        """The `datasets:` entry whose columns and format are shown (the Dataset step's picker)."""
        self._timer: Timer | None = None
        self.worker: Worker[None] | None = None

    def pending(self) -> bool:
        """The current config's data is set but its analysis has neither finished nor failed yet."""
        config = self.app.config
        if not config.datasets or not any(entry.path for entry in config.datasets):
            return False
        key = data_key(config)
        preview, failure = self.app.preview, self.app.analysis.failure
        return not ((preview is not None and preview.key == key) or (failure is not None and failure[0] == key))

    def request(self) -> None:
        """Analyse the current config's data soon, unless that exact data was already analysed or is running."""
        config = self.app.config
        entry = min(self.entry, max(len(config.datasets) - 1, 0))
        key = f"{data_key(config)}#{entry}"
        if not config.datasets or not config.datasets[entry].path:
            self.forget_peek()
            return
        if key == self._key:
            return
        self._key = key
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(ANALYSIS_DEBOUNCE_S, lambda: self._start(config, entry))

    def _start(self, config: RunConfig, entry: int) -> None:
        self._set_status("reading the data…")
        self.worker = in_background(
            self.app,
            lambda: self._run(config, entry),
            self._finished,
            lambda error: self._ended_early(config, error),
            group="data",
        )

    def _run(self, config: RunConfig, entry: int) -> DataPreview:
        """In the worker thread: peek at the chosen entry's rows, then tokenize the whole mix through engine.data.

        A newer request (or the app closing) cancels the worker; the analysis then stops at its next progress
        report instead of tokenizing data nobody will look at."""
        worker = get_current_worker()

        def progress(message: str) -> None:
            if worker.is_cancelled:
                raise AnalysisCancelled
            self._post(self._set_status, message)

        one = config.model_copy(update={"datasets": [config.datasets[entry]]})
        rows = self.app.services.read_rows(one, SAMPLE_ROWS)
        columns = sorted({key for row in rows for key in row})
        suggestion = detect_format(rows) if rows else None
        progress("reading the data…")
        self._post(self._peeked, columns, suggestion, entry, config.datasets[entry].path)
        return analyse(config, self.app.services, progress, entry, rows)

    def _ended_early(self, config: RunConfig, error: Exception) -> None:
        """On the UI thread, how an analysis that gave no preview ended: cancelled (silently), with no rows left,
        or failed (one line on screen; the worker never crashes the app)."""
        if isinstance(error, AnalysisCancelled):
            return
        if isinstance(error, NoRowsLeft):
            # Not a failure to show as a status line only: its facts let rule data.every_row_dropped say why and
            # how to fix it in the findings panel, and block the step, as `ft-tui validate --data` does.
            empty = DataPreview(key=data_key(config), samples=(), facts=error.facts, prepared=None)
            self._finished(empty, f"✗ {error}")
            return
        self._failed(describe_error(error), data_key(config))

    def _post(self, callback: Any, *args: Any) -> None:
        """Hand a result to the UI thread."""
        post_to_ui(self.app, callback, *args)

    def _peeked(self, columns: list[str], suggestion: dict[str, Any] | None, entry: int, path: str) -> None:
        """The entry's columns and format guess, unless the user moved to another entry or file meanwhile: a late
        guess for the old one would be shown, and offered, as this one's."""
        datasets = self.app.config.datasets
        if entry != self.entry or entry >= len(datasets) or datasets[entry].path != path:
            return
        self.app.analysis = replace(self.app.analysis, columns=tuple(columns), suggestion=suggestion)

    def _failed(self, reason: str, key: str) -> None:
        """The columns and format guess belonged to the data read before; a failure leaves none of them, and is
        kept as `failure` so the findings (and every mark) say the data was not checked."""
        self.forget_peek()
        self.app.analysis = replace(self.app.analysis, status=f"✗ {reason}", failure=(key, reason))

    def forget_peek(self) -> None:
        """Drop the columns and format guess (another entry or file is about to be read)."""
        self.app.analysis = replace(self.app.analysis, columns=(), suggestion=None)

    def _finished(self, preview: DataPreview, status: str | None = None) -> None:
        if preview.key == data_key(self.app.config):
            self.app.preview = preview
        # No ✓ here: whether the data is fine is the findings' verdict (the marks), not this progress line's.
        self.app.analysis = replace(
            self.app.analysis,
            status=status or f"analysed {preview.facts.rows_read:,} rows with the model's tokenizer",
            failure=None,
        )

    def _set_status(self, message: str) -> None:
        self.app.analysis = replace(self.app.analysis, status=message)


def describe_error(error: Exception) -> str:
    """User mistakes (bad path, missing model) read as they are; anything else is named with its type."""
    from engine.errors import FtTuiError, first_line, one_line

    if isinstance(error, FtTuiError):
        return one_line(error)
    if isinstance(error, LookupError):  # a missing key or column: str() quotes it
        return first_line(error).strip("'\"")
    if isinstance(error, ImportError):
        return f"the data preview needs a newer engine ({error})"
    return f"could not analyse the data: {one_line(error)}"
