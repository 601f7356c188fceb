"""The one exception a training run raises for problems the user can fix, with the text to show them."""

from __future__ import annotations

from engine.errors import FtTuiError
from engine.rules import Finding


class TrainError(FtTuiError):
    """A run that cannot start or go on because of the config, the data, the model or the hardware.

    `str(error)` is the one-line cause the CLI prints (no traceback); `findings` holds the catalog's errors when
    the config was refused, so a front end can show their why and fix as well.
    """

    def __init__(self, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []
