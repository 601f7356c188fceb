"""The one error a user can cause when merging or chatting; its message names the problem and the fix."""

from __future__ import annotations

from engine.errors import FtTuiError


class InferError(FtTuiError):
    """No adapter yet, a model that cannot be found or loaded, a bad dtype: a one-line message with the fix."""
