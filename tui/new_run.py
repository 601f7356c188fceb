""" "New run" from a run the monitor shows: the wizard opens its config as a new, unsaved file.

Saving over the run folder's own `run_config.yml` (what a resume trains) or writing into the finished run's
folder would change a run that already happened. So the config gets a new file beside the one the run was started
from and a fresh `output_dir` beside the run folder, both named by the run folder's owner (`RunFolder.next_run`).
"""

from __future__ import annotations

from pathlib import Path

from engine.config import load_config
from engine.runs.folder import RunFolder
from tui.state import WizardState, edit_config


def new_run_state(config_copy: Path) -> WizardState:
    """The wizard's state for a new run from `config_copy`, the run folder's copy of the run's config: unsaved,
    to be saved as a new file, training into a new folder. Raises an FtTuiError when the copy cannot be read."""
    run_dir = config_copy.parent
    plan = RunFolder(run_dir).next_run()
    config = load_config(config_copy)
    config = edit_config(config, {"output_dir": plan.output_dir(config.output_dir)})
    return WizardState(config=config, path=plan.config_file, dirty=True, origin=f"new run from {run_dir.name}")


def new_run_note(state: WizardState) -> str:
    """What the user is told when the wizard opens on the new run."""
    return f"New run: saves as {state.path}, trains into output_dir {state.config.output_dir}."
