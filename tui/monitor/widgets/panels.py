"""The panels around the charts: the run header, the progress line, the checkpoints and the end-of-run summary."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import ProgressBar, Static

from engine.events.text import phase_progress
from engine.runs import RunState
from engine.runs.checkpoints import checkpoint_step
from engine.runs.folder import RunFolder
from tui.monitor import format as fmt
from tui.monitor.model import RunModel

STATE_STYLES: dict[str, str] = {
    "starting": "cyan",
    "preparing data": "cyan",
    "loading model": "cyan",
    "training": "green bold",
    "evaluating": "blue bold",
    "saving": "magenta bold",
    "finished": "green bold",
    "stopped": "yellow bold",
    "failed": "red bold",
}


class RunHeader(Static):
    """Run name, model, device and the state (or the pending action: stopping…, resuming…)."""

    DEFAULT_CSS = "RunHeader { height: 1; background: $panel; padding: 0 1; }"

    def show(self, model: RunModel, state: RunState, name: str, model_name: str, pending: str = "") -> None:
        width = max(self.size.width - 2, 20)
        device = model.status.device or "device: -"
        short_model = (model_name or "-").rsplit("/", 1)[-1]
        for shown_model, shown_device in ((model_name or "-", device), (short_model, device), (short_model, "")):
            text = self._line(state, name, shown_model, shown_device, pending)
            if text.cell_len <= width:
                break
        text.truncate(width, overflow="ellipsis")  # only a very narrow terminal still cuts (the state stays)
        self.update(text)

    @staticmethod
    def _line(state: RunState, name: str, model_name: str, device: str, pending: str) -> Text:
        """The header at one level of detail; a narrow terminal drops the hub owner, then the device."""
        text = Text.assemble((name, "bold"))
        text.append("  ● ", style=STATE_STYLES.get(state, ""))
        text.append(pending or state, style=STATE_STYLES.get(state, ""))  # second, so a narrow terminal keeps it
        text.append(f"  {model_name}")
        if device:
            text.append("  ")
            text.append(device, style="dim")
        return text


class ProgressPanel(Static):
    """Step/total, epoch, elapsed, ETA and real tokens/s; during data preparation, that progress instead; during an
    evaluation, its batches done first."""

    DEFAULT_CSS = "ProgressPanel { height: 1; padding: 0 1; }"

    def show(self, model: RunModel, state: RunState, now: float, *, stopping: bool = False) -> None:
        status = model.status
        if state == "preparing data" and status.phase_total:
            detail = f"  {status.phase_detail}" if status.phase_detail else ""
            self.update(f"preparing data {status.phase_current or 0:,}/{status.phase_total:,}{detail}")
            return
        self.update(fit_parts(progress_parts(model, state, now, stopping=stopping), self.size.width - 2))


def progress_parts(model: RunModel, state: RunState, now: float, *, stopping: bool = False) -> list[str]:
    """The progress line's parts, most important first. While a stop is pending the ETA says so instead of
    counting down to an end that will not come."""
    status = model.status
    live = state not in ("finished", "stopped", "failed")
    elapsed = model.clock.elapsed(now if live else None)
    eta = model.clock.eta(now) if live else None
    planned = status.num_epochs and not model.step_bound  # max_steps ends the run, not the epoch count
    epoch = f"{status.epoch:.2f}/{status.num_epochs:g}" if planned else f"{status.epoch:.2f}"
    evaluating = state == "evaluating" and status.phase_total
    return [
        *([phase_progress("evaluating", status.phase_current, status.phase_total)] if evaluating else []),
        f"step {status.step:,}/{status.total_steps:,}",
        f"epoch {epoch}",
        f"elapsed {fmt.duration(elapsed)}",
        *(["ETA: stopping"] if stopping and live else [f"ETA {fmt.duration(eta)}"] if eta is not None else []),
        f"loss {fmt.loss(status.last_loss)}",
        f"{fmt.count(status.tokens_per_second)} tok/s",
    ]


def fit_parts(parts: list[str], width: int) -> str:
    """`a  ·  b  ·  c` when it fits, tighter when not, then without the last parts: never a word cut in half."""
    for separator in ("  ·  ", " · "):
        if len(line := separator.join(parts)) <= width:
            return line
    while len(parts) > 1 and len(" · ".join(parts)) > width:
        parts = parts[:-1]
    return " · ".join(parts)


class StepBar(ProgressBar):
    DEFAULT_CSS = "StepBar { height: 1; padding: 0 1; } StepBar Bar { width: 1fr; }"

    def show(self, model: RunModel, state: RunState) -> None:
        status = model.status
        if state == "preparing data" and status.phase_total:
            self.update(total=status.phase_total, progress=status.phase_current or 0)
        elif status.total_steps:
            self.update(total=status.total_steps, progress=status.step)
        else:
            self.update(total=None)


class CheckpointList(Static):
    """The checkpoints on disk now, newest last: the places a resume can start from. Read from the run folder, not
    from the checkpoint events, since save_total_limit deletes older ones as the run goes on."""

    DEFAULT_CSS = "CheckpointList { height: auto; max-height: 8; padding: 0 1; }"

    def show(self, run_dir: Path) -> None:
        folders = RunFolder(run_dir).checkpoints()
        text = Text("Checkpoints", style="bold")
        if not folders:
            text.append("\nnone yet", style="dim")
        for folder in folders[-6:]:
            text.append(f"\nstep {checkpoint_step(folder):>6,}  ", style="cyan")
            text.append(folder.name)
        self.update(text)
