"""What the monitor's next actions run: `ft-tui chat|merge CONFIG` from the right folder, and opening the run folder."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.runs import read_launch
from engine.runs.paths import config_copy

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class RunCommand:
    argv: list[str]
    cwd: Path

    def shell_text(self) -> str:
        """The command as a user would type it, for when it cannot be run from here."""
        return f"cd {shlex.quote(str(self.cwd))} && ft-tui {shlex.join(self.argv[3:])}"


def run_config(run_dir: Path) -> Path | None:
    """The config the run was launched with, else the engine's effective copy; None if the folder has neither."""
    return config_copy(run_dir)


def run_cwd(run_dir: Path, output_dir: str | None) -> Path:
    """The folder the run's relative paths resolve against: the launcher's record, else the folder that makes the
    config's output_dir land on this run folder, else the run folder's parent."""
    launch = read_launch(run_dir)
    if launch is not None:
        return Path(launch.cwd)
    run_dir = run_dir.resolve()
    if output_dir and not Path(output_dir).is_absolute():
        parts = [part for part in Path(output_dir).parts if part != "."]
        if parts and tuple(run_dir.parts[-len(parts) :]) == tuple(parts):
            return run_dir.parents[len(parts) - 1]
    return run_dir.parent


def ft_tui_command(verb: str, config: Path, cwd: Path) -> RunCommand:
    """`ft-tui VERB CONFIG`, through this interpreter so it runs the same installation as the monitor."""
    return RunCommand([sys.executable, "-m", "tui.cli", verb, str(config)], cwd)


def open_folder(path: Path) -> bool:
    """Open the folder in the desktop's file manager; False where there is no desktop (ssh, tmux on a server)."""
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    has_desktop = sys.platform == "darwin" or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if not has_desktop or shutil.which(opener) is None:
        return False
    subprocess.Popen(
        [opener, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return True


def still_running_note(screens: list[Any]) -> str | None:
    """What to print when the app quits while a monitored run is live: it goes on, and how to watch it again."""
    from tui.monitor.screens.monitor import ENDED, MonitorScreen

    monitor = next((screen for screen in reversed(screens) if isinstance(screen, MonitorScreen)), None)
    if monitor is None or monitor.state in ENDED:
        return None
    shown = as_typed(monitor.run_dir)
    return f"ft-tui: the run in {shown} goes on in the background.\nWatch it again with: ft-tui monitor {shown}"


def as_typed(path: Path) -> str:
    """The run folder as the user would type it in this shell: relative below the current folder, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run_ft_tui(
    screen: Screen[Any], run_dir: Path, output_dir: str | None, verb: str, wait_for_enter: bool = False
) -> None:
    """`ft-tui VERB` on the run's config, in this terminal while the monitor is suspended, then the monitor comes
    back; where the app cannot be suspended (a browser tab), the command to type is shown instead."""
    from textual.app import SuspendNotSupported

    config = run_config(run_dir)
    if config is None:
        screen.notify(f"{run_dir} has no config copy to {verb} with", severity="error", markup=False)
        return
    command = ft_tui_command(verb, config, run_cwd(run_dir, output_dir))
    try:
        with screen.app.suspend():
            subprocess.run(command.argv, cwd=command.cwd, check=False)
            if wait_for_enter:
                input("\nPress Enter to return to the monitor…")
    except SuspendNotSupported:
        screen.notify(f"Run it in a terminal: {command.shell_text()}", timeout=15, markup=False)
