"""The monitor's screens: one run's monitor, the runs list, and the stop confirmation."""

from tui.monitor.screens.monitor import MonitorScreen
from tui.monitor.screens.runs import RunsScreen

__all__ = ["MonitorScreen", "RunsScreen"]
