"""The one error a user can cause when exporting; its message names the problem and its fix names the way out."""

from __future__ import annotations

from engine.errors import FtTuiError, UsageError


class ExportError(FtTuiError):
    """An export that cannot be done: an unsupported model, no adapter, an output that cannot be written."""


class ExportUsageError(UsageError):
    """An export command line that names nothing usable: an unknown quant, an output folder that is not there."""
