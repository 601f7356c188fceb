"""The monitor's Export: a dialog that picks format, quant, Modelfile and output file, then a screen that runs the
export with a progress bar and ends with the files written and the command to run next."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, RadioButton, RadioSet, Select, Static

from engine.cli.export_lines import Done, ExportLine, Failed, Step, Tensors, from_json
from engine.errors import FtTuiError, one_line
from engine.markup import escape_markup
from engine.runs import RunState
from tui.monitor.actions import as_typed
from tui.monitor.export import ExportChoice, ExportRun, check_out, export_command, exportable_run
from tui.notify import notify_error
from tui.workers import loop_in_background

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90%; max-width: 84; height: auto; padding: 0 1; border: thick $primary; background: $surface;
}}
{name} .title {{ text-style: bold; margin-bottom: 1; }}
{name} .field {{ color: $text-muted; margin-top: 1; }}
{name} .note {{ color: $text-muted; }}
{name} .error {{ color: $error; }}
{name} > Vertical > Horizontal {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} Button {{ margin-left: 1; }}
"""


def quant_options(format_name: str) -> list[tuple[str, str]]:
    """The format's quants as Select options, each with its size and quality in one line (engine/export owns them)."""
    from engine.export.choices import FORMATS
    from engine.export.quants import QUANTS

    quants = [QUANTS[name] for name in FORMATS[format_name].quants]
    return [(f"{q.name:<5} {q.bits_per_weight:4.1f} bits  {q.note}", q.name) for q in quants]


class ExportDialog(ModalScreen[ExportChoice | None]):
    """Dismisses with the choice, or None (Esc, Cancel). The output file follows format and quant until the user
    edits it, and is checked as it is typed, with the exporter's own checks."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ExportDialog")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, run: ExportRun) -> None:
        super().__init__()
        from engine.export.choices import DEFAULT_FORMAT, default_quant

        self.run = run
        self.format = DEFAULT_FORMAT
        self.quant = default_quant(DEFAULT_FORMAT)
        self._default_out = run.default_out(self.format, self.quant)

    def compose(self) -> ComposeResult:
        from engine.export.choices import FORMATS

        with Vertical():
            yield Static(f"Export {escape_markup(self.run.run_dir.name)}", classes="title")
            yield Label("Format", classes="field")
            with RadioSet(id="export-format", compact=True):
                for fmt in FORMATS.values():
                    usable = not fmt.is_lora or self.run.has_adapter
                    label = fmt.label if usable else f"{fmt.label}: a full fine-tune has no adapter"
                    yield RadioButton(label, fmt.name == self.format, id=f"format-{fmt.name}", disabled=not usable)
            yield Label("Quantization", classes="field")
            yield Select(
                quant_options(self.format), value=self.quant, allow_blank=False, id="export-quant", compact=True
            )
            yield Checkbox("Also write an Ollama Modelfile", id="export-ollama", compact=True)
            yield Label("Output file", classes="field")
            yield Input(as_typed(self._default_out), id="export-out", compact=True)
            yield Static(id="export-out-note", classes="note", markup=False)
            with Horizontal():
                yield Button("Export", id="export-start", variant="primary", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)

    def on_mount(self) -> None:
        self._check_out()
        self.query_one("#export-start", Button).focus()

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        from engine.export.choices import FORMATS

        self.format = (event.pressed.id or "").removeprefix("format-")
        self.quant = FORMATS[self.format].default_quant
        lora = FORMATS[self.format].is_lora
        ollama = self.query_one("#export-ollama", Checkbox)
        ollama.disabled, ollama.value = lora, ollama.value and not lora
        with self.prevent(Select.Changed):
            self.query_one("#export-quant", Select).set_options(quant_options(self.format))
            self.query_one("#export-quant", Select).value = self.quant
        self._follow_default()

    @on(Select.Changed, "#export-quant")
    def _quant_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.quant = event.value
            self._follow_default()

    def _follow_default(self) -> None:
        """A path the user has not edited moves with the choices, as the command's default does."""
        out = self.query_one("#export-out", Input)
        untouched = out.value == as_typed(self._default_out)
        self._default_out = self.run.default_out(self.format, self.quant)
        if untouched:
            out.value = as_typed(self._default_out)

    @on(Input.Changed, "#export-out")
    def _out_changed(self) -> None:
        self._check_out()

    def _check_out(self) -> Path | None:
        path, note = check_out(self.query_one("#export-out", Input).value)
        shown = self.query_one("#export-out-note", Static)
        shown.update(note)
        shown.set_class(path is None, "error")
        self.query_one("#export-start", Button).disabled = path is None
        return path

    @on(Input.Submitted, "#export-out")
    @on(Button.Pressed, "#export-start")
    def _start(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        path = self._check_out()
        if path is not None:
            ollama = self.query_one("#export-ollama", Checkbox).value
            # absolute: the command runs from the run's own folder, not this one
            self.dismiss(ExportChoice(self.format, self.quant, ollama, path.resolve()))

    @on(Button.Pressed, "#export-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)


Outcome = Literal["running", "cancelling", "done", "failed", "cancelled"]


class ExportProgress(ModalScreen[Done | None]):
    """Runs `ft-tui export ... --progress-lines` as a child process and draws what it reports.

    A child process, not a thread in this one: the export imports torch, merges and quantizes for seconds to
    minutes, which in-process would hold the GIL against the UI and keep the merged model in the monitor's memory
    after it is done; and a child can be stopped at any point with SIGINT, which the command already turns into
    "interrupted, no file written" (the file is written beside the target and renamed only when whole). An async
    worker reads its stdout, as Textual's guide advises for subprocess I/O, so nothing here blocks the UI.
    Dismisses with the Done line when the export succeeded, else None.
    """

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ExportProgress")
        + """
    ExportProgress ProgressBar { margin-top: 1; width: 100%; }
    ExportProgress ProgressBar Bar { width: 1fr; }
    ExportProgress #export-result { margin-top: 1; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel_or_close", "Cancel")]

    def __init__(self, run: ExportRun, choice: ExportChoice) -> None:
        super().__init__()
        self.run, self.choice = run, choice
        self.outcome: Outcome = "running"
        self.done: Done | None = None
        self.tensors = Tensors(0, 0)
        self._process: asyncio.subprocess.Process | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            what = f"{self.choice.format} {self.choice.quant}"
            yield Static(f"Exporting {escape_markup(self.run.run_dir.name)} as {what}", classes="title")
            yield Static("starting ft-tui export…", id="export-step", classes="note", markup=False)
            yield ProgressBar(show_eta=False, id="export-bar")
            yield Static(id="export-result")
            with Horizontal():
                yield Button("Copy command", id="export-copy", compact=True)
                yield Button("Cancel", id="export-stop", variant="warning", compact=True)
                yield Button("Close", id="export-close", variant="primary", compact=True)

    def on_mount(self) -> None:
        self._show_buttons()
        loop_in_background(self, self._export, self._export_broke, group="export")

    def _export_broke(self, error: Exception) -> None:
        """The reading of the child's lines itself failed (not the export, which reports its own failure)."""
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGINT)
        self.outcome = "failed"
        self.query_one("#export-result", Static).update(f"[b red]✗[/] {escape_markup(one_line(error))}")
        self._show_buttons()

    async def _export(self) -> None:
        command = export_command(self.run, self.choice)
        try:
            self._process = await asyncio.create_subprocess_exec(
                *command.argv,
                cwd=command.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "NO_COLOR": "1"},
                start_new_session=True,  # a Ctrl-C meant for the terminal never reaches it; Cancel does
            )
        except OSError as error:  # the run's folder went away, or no process can be started
            self._ended(1, Failed(f"could not start ft-tui export in {command.cwd}: {error.strerror}", ""), "")
            return
        stderr = asyncio.ensure_future(self._read_stderr(self._process))
        failed: Failed | None = None
        try:
            assert self._process.stdout is not None
            async for raw in self._process.stdout:
                line = from_json(raw.decode("utf-8", errors="replace"))
                failed = line if isinstance(line, Failed) else failed
                if line is not None:
                    self._show(line)
            code = await self._process.wait()
        finally:
            if self._process.returncode is None:  # the screen went away mid-export: stop the child too
                self._process.send_signal(signal.SIGINT)
        self._ended(code, failed, await stderr)

    @staticmethod
    async def _read_stderr(process: asyncio.subprocess.Process) -> str:
        assert process.stderr is not None
        return (await process.stderr.read()).decode("utf-8", errors="replace")

    def _show(self, line: ExportLine) -> None:
        if isinstance(line, Step):
            self.query_one("#export-step", Static).update(line.message)
        elif isinstance(line, Tensors):
            self.tensors = line
            self.query_one("#export-bar", ProgressBar).update(total=line.total, progress=line.done)
            self.query_one("#export-step", Static).update(f"tensors written: {line.done} of {line.total}")
        elif isinstance(line, Done):
            self.done = line

    def _ended(self, code: int, failed: Failed | None, stderr: str) -> None:
        result = self.query_one("#export-result", Static)
        if self.outcome == "cancelling":
            self.outcome = "cancelled"
            result.update("[b]Cancelled[/]: no file was written.")
        elif code == 0 and self.done is not None:
            self.outcome = "done"
            result.update(done_text(self.done))
        else:
            self.outcome = "failed"
            result.update(f"[b red]✗[/] {escape_markup(failure_line(code, failed, stderr))}")
        self._show_buttons()

    def _show_buttons(self) -> None:
        running = self.outcome in ("running", "cancelling")
        self.query_one("#export-stop", Button).display = running
        self.query_one("#export-stop", Button).disabled = self.outcome == "cancelling"
        self.query_one("#export-close", Button).display = not running
        self.query_one("#export-copy", Button).display = self.outcome == "done"
        self.query_one("#export-close" if not running else "#export-stop", Button).focus()

    def action_cancel_or_close(self) -> None:
        if self.outcome == "running":
            self._cancel()
        elif self.outcome != "cancelling":
            self.dismiss(self.done if self.outcome == "done" else None)

    def _cancel(self) -> None:
        """SIGINT: the command stops, removes its unfinished file and exits; the worker then says so."""
        if self._process is None or self._process.returncode is not None:
            return
        self.outcome = "cancelling"
        self.query_one("#export-step", Static).update("cancelling…")
        self._show_buttons()
        self._process.send_signal(signal.SIGINT)

    @on(Button.Pressed, "#export-stop")
    def _stop_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._cancel()

    @on(Button.Pressed, "#export-close")
    def _close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel_or_close()

    @on(Button.Pressed, "#export-copy")
    def _copy_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.done is not None:
            self.app.copy_to_clipboard(self.done.next_command)
            self.notify("Command copied to the clipboard")


def done_text(done: Done) -> str:
    """The files written (as typed in this shell) and the command to run next, as markup (every path escaped)."""
    lines = ["[b green]✓ Written[/]"] + [f"  {escape_markup(as_typed(Path(path)))}" for path in done.paths]
    lines += ["", "[b]Next:[/]", f"  {escape_markup(done.next_command)}"]
    if done.note:
        lines.append(f"[dim]{escape_markup(done.note)}[/]")
    return "\n".join(lines)


def failure_line(code: int, failed: Failed | None, stderr: str) -> str:
    """One line: the command's own error and fix, else the last line it wrote on stderr (never a traceback)."""
    if failed is not None:
        return f"{failed.message}; {failed.fix}" if failed.fix else failed.message
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else "it wrote nothing"
    return f"the export stopped (exit {code}): {last}"


def open_export(screen: Screen[None], run_dir: Path, state: RunState) -> None:
    """The monitor's `e`: the dialog, then the export; or one line saying why this run cannot be exported now."""
    try:
        run = exportable_run(run_dir, state)
    except FtTuiError as error:
        notify_error(screen, error, severity="warning")
        return

    def chosen(choice: ExportChoice | None) -> None:
        if choice is not None:
            screen.app.push_screen(ExportProgress(run, choice))

    screen.app.push_screen(ExportDialog(run), chosen)
