"""A text box that applies every key in the order it was typed, however busy the screen is."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

FOCUS_KEYS = ("tab", "shift+tab")


class InOrderInput(Input):
    """Textual's Input inserts a printable key at once, but its editing keys (Backspace, Delete, arrows) are
    bindings: the key bubbles up through every container and the screen's message queue before the app runs the
    binding. While the screen is busy (a rule check on a loaded machine), a burst of Backspace waits in those
    queues and the letters typed after it are inserted first; the late deletions then eat them
    (`…135M-Instru`). This box runs its own bindings as the key arrives, so its text is always what was typed.
    Tab moves the focus at once too, and what was typed after it is handed on to the next field.

    Its placeholder is italic as well as faint: in a monochrome terminal faint alone reads as a value typed.
    """

    DEFAULT_CSS = """
    InOrderInput > .input--placeholder { text-style: italic; }
    InOrderInput:ansi > .input--placeholder { text-style: dim italic; }
    """

    def on_input_submitted(self) -> None:
        """Enter moves on to the next field, as in a paper form (the message still bubbles to the screen)."""
        self.screen.focus_next()

    async def _on_key(self, event: events.Key) -> None:
        if self._pass_on(event):
            return
        if event.key in FOCUS_KEYS:
            # Moved at once: keys typed after Tab are already queued here, and `_pass_on` hands them on.
            event.stop()
            event.prevent_default()
            self.screen.focus_next() if event.key == "tab" else self.screen.focus_previous()
            return
        if not event.is_printable and await self._run_own_binding(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        self._pass_on(event)  # otherwise Input's own handler, next in the class order, pastes it here

    def _pass_on(self, event: events.Key | events.Paste) -> bool:
        """A key or a paste that reached this box after the focus left it (typed right after Tab, in one burst)
        goes to the widget that has the focus now, as the person typing meant."""
        focused = self.app.focused
        if focused is None or focused is self:
            return False
        event.stop()
        event.prevent_default()
        again = events.Key(event.key, event.character) if isinstance(event, events.Key) else events.Paste(event.text)
        focused.post_message(again)
        return True

    async def _run_own_binding(self, key: str) -> bool:
        """Run this box's binding for `key` (the one the app would have found first, from the focused widget
        up); False when the box has none, so the key bubbles as before (Escape, the screen's keys)."""
        for binding in self._bindings.key_to_bindings.get(key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                return True
        return False
