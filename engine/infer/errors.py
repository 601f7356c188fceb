"""The one error a user can cause when merging or chatting; its message names the problem and the fix."""

from __future__ import annotations


class InferError(Exception):
    """No adapter yet, a model that cannot be found or loaded, a bad dtype: a one-line message with the fix."""
