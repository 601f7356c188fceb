"""The end-of-run panel: how the run ended, its numbers, and the next actions as buttons."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from engine.runs import RunState
from engine.runs.folder import RunFolder
from engine.runs.paths import CONSOLE_FILE
from tui.monitor import format as fmt
from tui.monitor.model import RunModel

ACTIONS = (
    ("chat", "Chat with it (c)", ("finished",)),
    ("merge", "Merge it (m)", ("finished",)),
    ("resume", "Resume (r)", ("stopped", "failed")),
    ("open", "Open folder (o)", ("finished", "stopped", "failed")),
    ("new", "New run (n)", ("finished", "stopped", "failed")),
)
"""Button id, label, and the end states that offer it; each id is also the screen's action name."""


class SummaryPanel(Vertical):
    """Hidden while the run is live; pressing a button runs the screen action of the same name."""

    DEFAULT_CSS = """
    SummaryPanel { height: auto; padding: 0 1; border-top: solid $primary; display: none; }
    SummaryPanel.-ended { display: block; }
    SummaryPanel Horizontal { height: auto; }
    SummaryPanel Button { margin-right: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="summary-text")
        with Horizontal():
            for action, label, _states in ACTIONS:
                yield Button(label, id=f"summary-{action}", compact=True)

    def show(self, model: RunModel, state: RunState, run_dir: Path, can_resume: bool) -> None:
        ended = state in ("finished", "stopped", "failed")
        self.set_class(ended, "-ended")
        if not ended:
            return
        self.query_one("#summary-text", Static).update(summary_text(model, state, run_dir))
        for action, _label, states in ACTIONS:
            offered = state in states and (action != "resume" or can_resume)
            self.query_one(f"#summary-{action}", Button).display = offered

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = (event.button.id or "").removeprefix("summary-")
        await self.screen.run_action(action)  # a coroutine: without await the action never ran


def summary_text(model: RunModel, state: RunState, run_dir: Path) -> Text:
    status, finished = model.status, model.status.finished
    elapsed = model.clock.elapsed(None)  # the progress line's count: every process's active time
    tokens = finished.tokens_seen if finished and finished.tokens_seen else status.tokens_seen
    final_loss = finished.final_loss if finished and finished.final_loss is not None else status.last_loss
    eval_loss = finished.final_eval_loss if finished and finished.final_eval_loss is not None else status.last_eval_loss
    headline = {"finished": "Finished", "stopped": "Stopped", "failed": "Failed"}[state]
    text = Text(f"{headline} at step {status.step:,}", style="bold")
    text.append(f" in {fmt.duration(elapsed)} · {fmt.count(tokens)} tokens")
    text.append(f" · final loss {fmt.loss(final_loss)} · eval loss {fmt.loss(eval_loss)}")
    if state == "finished":
        text.append("\nAdapter: ", style="bold")
        text.append(finished.adapter_dir if finished and finished.adapter_dir else str(run_dir))
    checkpoint = RunFolder(run_dir).resume_checkpoint() if state != "finished" else None
    if checkpoint is not None:
        text.append("\nResume from: ", style="bold")
        text.append(checkpoint.name)
    if state == "failed":
        silent = f"the engine exited without a word (see {CONSOLE_FILE} below)"
        message = status.error.message if status.error else silent
        text.append("\nError: ", style="bold red")
        text.append(message)
    return text
