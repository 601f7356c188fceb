"""The monitor's Export, outside the screens: whether this run can be exported (and if not, why, in one line), the
dialog's defaults, checking an output path, and the `ft-tui export` child process that does the work.

Every choice (formats, quants, defaults, the default file) comes from engine/export/choices.py, the owner `ft-tui
export` reads too; this module only asks it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import FtTuiError
from engine.runs import LIVE_STATES, RunState
from engine.runs.paths import config_copy
from tui.monitor.actions import RunCommand, run_cwd

if TYPE_CHECKING:
    from engine.config import RunConfig
    from engine.export.model import ExportRequest


@dataclass(frozen=True)
class ExportChoice:
    """What the dialog hands back: one `ft-tui export` command line."""

    format: str
    quant: str
    ollama: bool
    out: Path


@dataclass(frozen=True)
class ExportRun:
    """A run that can be exported: its folder and the config it trained with, pointed at that folder."""

    run_dir: Path
    config_path: Path
    config: RunConfig

    def request(self) -> ExportRequest:
        from engine.export.model import ExportRequest

        return ExportRequest(self.config, self.config_path)

    def default_out(self, format_name: str, quant: str) -> Path:
        """Where `ft-tui export RUN_DIR --to FORMAT --quant QUANT` writes without `--out`."""
        from engine.export.choices import default_target

        return default_target(self.request(), format_name, quant)

    @property
    def has_adapter(self) -> bool:
        """False for a full fine-tune: it has the whole model, so only the merged format applies."""
        return self.config.uses_lora()


class NotExportable(FtTuiError):
    """Why this run cannot be exported now, in one line, with what to do instead."""


def exportable_run(run_dir: Path, state: RunState) -> ExportRun:
    """The run as an ExportRun, or NotExportable saying why not: it is still training, it ended before its final
    adapter was saved, or that adapter is not in the folder."""
    from engine.infer.adapters import is_adapter_folder, latest_checkpoint
    from engine.infer.loading import load_run_config

    if state in LIVE_STATES:
        raise NotExportable("Export needs a finished run: this one is still training", fix="press e when it ends")
    copy = config_copy(run_dir)
    if copy is None:
        raise NotExportable(f"Export: {run_dir} has no config copy", fix="export with `ft-tui export CONFIG`")
    config = load_run_config(copy, run_dir)
    if config.uses_lora() and not is_adapter_folder(run_dir):
        checkpoint = latest_checkpoint(run_dir)
        if state != "finished" and checkpoint is not None:
            raise NotExportable(
                f"Export needs the final adapter: this run {state} at {checkpoint.name}",
                fix=f"resume it (r), or run `ft-tui export {run_dir} --adapter {checkpoint}`",
            )
        raise NotExportable(f"Export: no adapter in {run_dir}", fix="train the run to the end, then export it")
    return ExportRun(run_dir, copy, config)


def check_out(text: str) -> tuple[Path | None, str]:
    """The output path typed in the dialog, and the one line to show under it: the error that refuses it, a note
    that an existing file is replaced, or nothing. The checks are the exporter's own (engine/export/model.py)."""
    from engine.export.model import check_output

    if not text.strip():
        return None, "name the .gguf file to write"
    path = Path(text.strip()).expanduser()
    try:
        check_output(path)
    except FtTuiError as error:
        message = error.message.removeprefix(f"--out {path}: ").removeprefix("--out ")
        return None, f"{message}; {error.fix.replace('--out ', '')}" if error.fix else message
    return path, "a file is there: the export replaces it" if path.exists() else ""


def export_command(run: ExportRun, choice: ExportChoice) -> RunCommand:
    """`ft-tui export RUN_DIR ...` with JSON progress lines, through this interpreter (the monitor's installation),
    from the folder the run's relative paths resolve against."""
    argv = [sys.executable, "-m", "tui.cli", "export", str(run.run_dir), "--to", choice.format]
    argv += ["--quant", choice.quant, "--out", str(choice.out), "--progress-lines"]
    if choice.ollama:
        argv.append("--ollama")
    return RunCommand(argv, run_cwd(run.run_dir, run.config.output_dir))
