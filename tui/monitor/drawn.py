"""What the monitor screen has drawn, and whether a redraw is due: the screen's one piece of derived state."""

from __future__ import annotations

from dataclasses import dataclass

CHART_SECONDS = 0.5
"""Charts, log and checkpoints redraw at most this often while steps stream in; the clocks move every redraw."""


@dataclass
class Drawn:
    """The inputs the slow panels (charts, checkpoints, summary, log) were last drawn from, when, and which
    state-dependent footer keys were shown; compared with what they would be drawn from now."""

    shown: tuple[object, ...] | None = None
    """(model version, state, pending action, engine alive, launch record, reader error) at the last draw."""
    at: float = 0.0
    keys: tuple[bool | None, ...] = ()

    def due(self, shown: tuple[object, ...], now: float) -> bool:
        """Whether to redraw the slow panels for `shown`, recording it as drawn when so: at once when the state
        or the pending action changed, at most every CHART_SECONDS while only new points arrive."""
        if shown == self.shown:
            return False
        only_points = self.shown is not None and shown[1:] == self.shown[1:]
        if only_points and now - self.at < CHART_SECONDS:
            return False
        self.shown, self.at = shown, now
        return True

    def keys_changed(self, keys: tuple[bool | None, ...]) -> bool:
        """Whether a footer key came or went (the footer is rebuilt on each refresh: only then)."""
        changed, self.keys = keys != self.keys, keys
        return changed
