"""A text box that applies every key in the order it was typed, however busy the screen is."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class InOrderInput(Input):
    """Textual's Input inserts a printable key at once, but its editing keys (Backspace, Delete, arrows) are
    bindings: the key bubbles up through every container and the screen's message queue before the app runs the
    binding. While the screen is busy (a rule check on a loaded machine), a burst of Backspace waits in those
    queues and the letters typed after it are inserted first; the late deletions then eat them
    (`…135M-Instru`). This box runs its own bindings as the key arrives, so its text is always what was typed.

    Its placeholder is italic as well as faint: in a monochrome terminal faint alone reads as a value typed.
    """

    DEFAULT_CSS = """
    InOrderInput > .input--placeholder { text-style: italic; }
    InOrderInput:ansi > .input--placeholder { text-style: dim italic; }
    """

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable and await self._run_own_binding(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    async def _run_own_binding(self, key: str) -> bool:
        """Run this box's binding for `key` (the one the app would have found first, from the focused widget
        up); False when the box has none, so the key bubbles as before (Tab, Escape, the screen's keys)."""
        for binding in self._bindings.key_to_bindings.get(key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                return True
        return False
