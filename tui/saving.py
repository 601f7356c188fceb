"""Writing the wizard's config to the file the user named: asking before replacing a file, never over a folder,
and remembering the target beside it. The app's `save` decides when to ask for a name; this writes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.config import save_config
from engine.runs.paths import CONFIG_FILE
from tui.screens.dialogs import ChoiceDialog
from tui.state import new_file_header
from tui.target_memory import remember_target

if TYPE_CHECKING:
    from tui.app import WizardApp


def save_to(app: WizardApp, answer: str | None, then: Any) -> None:
    """Save to the name typed in the Save prompt (None: cancelled); a folder is refused, a file asked about."""
    if answer is None:
        return
    path = Path(answer).expanduser()
    if path.is_dir():
        app.notify(f"{path} is a folder; give a file name such as {path / CONFIG_FILE}", severity="error", markup=False)
        return
    if path.exists():
        app.push_screen(
            ChoiceDialog(f"{path} exists. Replace it?", [("replace", "Replace"), ("cancel", "Cancel")]),
            lambda reply: write(app, path, then) if reply == "replace" else None,
        )
        return
    write(app, path, then)


def write(app: WizardApp, path: Path, then: Any) -> None:
    """Write the YAML atomically (engine.config.save_config keeps an opened file's comments and mode), mark the
    state saved there, and run `then(path)`; a failed write says why and changes nothing."""
    state = app.state
    assert state is not None
    try:
        save_config(state.config, path, header=new_file_header(state.origin, path), base=state.path)
    except OSError as error:
        app.notify(f"could not save {path}: {error.strerror or error}", severity="error", markup=False)
        return
    app.state = state.saved_to(path)
    app.confirmed_path = path
    remember_target(path, app.target)
    app.notify(f"saved {path}", markup=False)
    if then is not None:
        then(path)
