"""The exceptions the data pipeline raises: one for the user, one for a single bad row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import FtTuiError

if TYPE_CHECKING:
    from engine.data.stats import DataFacts


class DataError(FtTuiError):
    """A problem with the data or its settings that the user must fix; the message is shown as is.

    The message is one line that names what is wrong (a file, a row, a role) and says how to fix it,
    so the CLI and the TUI can print it without a traceback.
    """


class NoRowsLeft(DataError):
    """Every row read was dropped while tokenizing. Carries the facts of what was read (engine.data.stats.DataFacts,
    with no samples kept), so the rule catalog can say why (data.every_row_dropped) as the wizard and
    `validate --data` show it."""

    def __init__(self, message: str, facts: DataFacts) -> None:
        super().__init__(message)
        self.facts = facts


class RowProblem(FtTuiError):
    """One row cannot be used; it is dropped and counted under `reason`, with `detail` for the report.

    Raised by the row formatters and caught by the encoder, so a few malformed rows in a large dataset
    cost a line in the report instead of the whole run.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class FatalRowProblem(RowProblem):
    """A row problem that means the settings are wrong (e.g. an unknown role), so the run must stop.

    It is still collected row by row (worker processes never raise), then turned into a `DataError`
    naming the first offending row.
    """
