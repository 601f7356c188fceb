"""The monitor's Export on a finished run: the dialog, a real export of a tiny model through it, cancelling it,
and the one line that says why a run cannot be exported."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from gguf import GGUFReader
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static

from engine.cli.export_lines import Done, Step, Tensors, to_json
from engine.export.choices import FORMATS
from engine.export.lora import LORA_QUANTS
from engine.export.quants import DEFAULT_QUANT, QUANTS
from engine.runs.paths import CONFIG_FILE
from tests.infer.runs import save_adapter
from tests.monitor.conftest import recorded_run
from tests.monitor.helpers import settle, until
from tests.monitor.test_snapshots import monitor
from tests.tiny import tiny_llama, tiny_tokenizer
from tui.monitor.actions import RunCommand
from tui.monitor.app import MonitorApp
from tui.monitor.export import NotExportable, exportable_run
from tui.monitor.screens import export as export_screens
from tui.monitor.screens.export import ExportDialog, ExportProgress

SIZE = (100, 32)
EVENTS = 160
"""The complete.jsonl fixture's event count: the monitor has read the whole finished run."""
PAUSE_HOOK = """
import time

from gguf import quants

_real = quants.quantize
_calls = [0]


def _quantize_then_wait(*args):
    _calls[0] += 1
    if _calls[0] > 2:
        time.sleep(600)  # the test's Cancel (SIGINT) interrupts this sleep
    return _real(*args)


quants.quantize = _quantize_then_wait
"""
"""A sitecustomize for the export child process: it holds the export after two tensors, so Cancel lands
mid-export on any machine, however fast."""


def finished_run(tmp_path: Path, *, adapter: bool = True) -> Path:
    """A finished run folder as training leaves it: events, the config copy and (unless not) the tiny adapter."""
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    base = tmp_path / "base"
    tiny_llama().save_pretrained(base)
    tiny_tokenizer().save_pretrained(base)
    if adapter:
        save_adapter(base, run_dir)
        tiny_tokenizer().save_pretrained(run_dir)
    (run_dir / CONFIG_FILE).write_text(f"base_model: {base}\noutput_dir: {run_dir}\n", encoding="utf-8")
    return run_dir


async def open_dialog(pilot: Pilot) -> ExportDialog:
    await settle(pilot, EVENTS)
    await pilot.press("e")
    await until(pilot, lambda: isinstance(pilot.app.screen, ExportDialog))
    screen = pilot.app.screen
    assert isinstance(screen, ExportDialog)
    return screen


async def test_a_real_export_through_the_dialog_writes_a_readable_gguf(tmp_path: Path) -> None:
    run_dir = finished_run(tmp_path)
    app = MonitorApp(run_dir)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        assert dialog.query_one("#export-quant", Select).value == DEFAULT_QUANT
        out = dialog.query_one("#export-out", Input)
        assert out.value == str(run_dir / "smollm2-alpaca.Q8_0.gguf")  # what `ft-tui export RUN_DIR` writes
        dialog.query_one("#export-ollama", Checkbox).value = True
        await pilot.click("#export-start")
        await until(pilot, lambda: isinstance(app.screen, ExportProgress))
        progress = app.screen
        assert isinstance(progress, ExportProgress)
        await until(pilot, lambda: progress.outcome != "running", timeout=120)
        result = str(progress.query_one("#export-result", Static).render())
    gguf = run_dir / "smollm2-alpaca.Q8_0.gguf"
    assert progress.outcome == "done", result
    reader = GGUFReader(gguf)
    assert len(reader.tensors) == progress.tensors.total == progress.tensors.done
    assert str(gguf) in result and str(run_dir / "Modelfile") in result
    assert f"ollama create smollm2-alpaca -f {run_dir / 'Modelfile'}" in result


async def test_a_lora_export_names_the_llama_cpp_command(tmp_path: Path) -> None:
    run_dir = finished_run(tmp_path)
    app = MonitorApp(run_dir)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        await pilot.click("#format-gguf-lora")
        quant = dialog.query_one("#export-quant", Select)
        assert quant.value == FORMATS["gguf-lora"].default_quant
        assert [value for _prompt, value in quant._options if value is not Select.NULL] == list(LORA_QUANTS)
        assert dialog.query_one("#export-ollama", Checkbox).disabled
        out = dialog.query_one("#export-out", Input).value
        assert out == str(run_dir / "smollm2-alpaca-LoRA.F16.gguf")
        await pilot.click("#export-start")
        await until(pilot, lambda: isinstance(app.screen, ExportProgress))
        progress = app.screen
        assert isinstance(progress, ExportProgress)
        await until(pilot, lambda: progress.outcome != "running", timeout=120)
        result = str(progress.query_one("#export-result", Static).render())
    assert progress.outcome == "done", result
    assert GGUFReader(out).fields["general.type"] is not None
    assert f"--lora {out}" in result and "--base-only" in result


async def test_cancel_mid_export_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(PAUSE_HOOK, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]))
    run_dir = finished_run(tmp_path)
    out_dir = tmp_path / "gguf"
    out_dir.mkdir()
    app = MonitorApp(run_dir)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        dialog.query_one("#export-out", Input).value = str(out_dir / "model.gguf")
        await pilot.click("#export-start")
        await until(pilot, lambda: isinstance(app.screen, ExportProgress))
        progress = app.screen
        assert isinstance(progress, ExportProgress)
        await until(pilot, lambda: progress.tensors.done >= 1, timeout=120)
        await pilot.press("escape")
        await until(pilot, lambda: progress.outcome not in ("running", "cancelling"), timeout=60)
        assert progress.outcome == "cancelled"
        assert "no file was written" in str(progress.query_one("#export-result", Static).render())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ExportProgress))
    assert list(out_dir.iterdir()) == []


async def test_a_failed_export_is_one_line_and_leaves_no_file(tmp_path: Path) -> None:
    """The base model went away after the dialog opened: the command's own error, one line, no traceback."""
    import shutil

    run_dir = finished_run(tmp_path)
    app = MonitorApp(run_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot)
        shutil.rmtree(tmp_path / "base")
        await pilot.click("#export-start")
        await until(pilot, lambda: isinstance(app.screen, ExportProgress))
        progress = app.screen
        assert isinstance(progress, ExportProgress)
        await until(pilot, lambda: progress.outcome != "running", timeout=120)
        result = str(progress.query_one("#export-result", Static).render())
    assert progress.outcome == "failed"
    assert len(result.splitlines()) == 1 and "Traceback" not in result
    assert str(tmp_path / "base") in result
    assert not list(run_dir.glob("*.gguf*"))


async def test_a_missing_output_folder_is_one_line_with_its_fix(tmp_path: Path) -> None:
    run_dir = finished_run(tmp_path)
    app = MonitorApp(run_dir)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        missing = tmp_path / "no such" / "m.gguf"
        dialog.query_one("#export-out", Input).value = str(missing)
        await pilot.pause()
        note = str(dialog.query_one("#export-out-note", Static).render())
        assert note == f"the folder {missing.parent} does not exist; create it: mkdir -p {missing.parent}"
        assert dialog.query_one("#export-start").disabled
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ExportDialog))


async def test_a_run_without_its_adapter_says_why_in_one_line(tmp_path: Path) -> None:
    run_dir = finished_run(tmp_path, adapter=False)
    app = MonitorApp(run_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, EVENTS)
        await pilot.press("e")
        await until(pilot, lambda: bool(app._notifications))
        assert not isinstance(app.screen, ExportDialog)
        (notice,) = list(app._notifications)
    assert notice.message == (
        f"Export: no adapter in {run_dir.resolve()}\nfix: train the run to the end, then export it"
    )


def test_a_live_run_cannot_be_exported_yet(tmp_path: Path) -> None:
    run_dir = finished_run(tmp_path)
    with pytest.raises(NotExportable, match="Export needs a finished run: this one is still training"):
        exportable_run(run_dir, "training")


def test_the_dialog_offers_the_exporters_quants_with_their_notes() -> None:
    from tui.monitor.screens.export import quant_options

    options = quant_options("gguf")
    assert [value for _prompt, value in options] == list(QUANTS)
    assert all(QUANTS[value].note in prompt for prompt, value in options)


SMALL = (80, 24)


def fake_export_lines(run_dir: Path) -> str:
    """What `ft-tui export --progress-lines --ollama` prints for a 30-tensor model, to replay in a snapshot (the
    real export is proven above; a snapshot needs the same text on every machine)."""
    lines = [Step(f"writing {run_dir / 'smollm2-alpaca.Q8_0.gguf'} (q8_0)")]
    lines += [Tensors(done, 30) for done in range(1, 31)]
    paths = (str(run_dir / "smollm2-alpaca.Q8_0.gguf"), str(run_dir / "Modelfile"))
    lines.append(Done(paths, "ollama create smollm2-alpaca -f outputs/smollm2-alpaca/Modelfile"))
    return "\n".join(to_json(line) for line in lines) + "\n"


class TestExportSnapshots:
    """The paths show as typed from the monitor's folder (the test's tmp_path), so they are the same everywhere."""

    @pytest.mark.parametrize("size", [SIZE, SMALL], ids=["100x32", "80x24"])
    def test_dialog(self, snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.chdir(tmp_path)
        run_dir = finished_run(tmp_path)
        assert snap_compare(monitor(run_dir), terminal_size=size, run_before=open_dialog)

    @pytest.mark.parametrize("size", [SIZE, SMALL], ids=["100x32", "80x24"])
    def test_finished(
        self, snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
    ) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.chdir(tmp_path)
        run_dir = finished_run(tmp_path)
        replay = tmp_path / "lines.jsonl"
        replay.write_text(fake_export_lines(run_dir.resolve()), encoding="utf-8")
        argv = [sys.executable, "-c", f"import sys; sys.stdout.write(open({str(replay)!r}).read())"]
        monkeypatch.setattr(export_screens, "export_command", lambda *_: RunCommand(argv, tmp_path))

        async def exported(pilot: Pilot) -> None:
            dialog = await open_dialog(pilot)
            dialog.query_one("#export-ollama", Checkbox).value = True
            await pilot.click("#export-start")
            await until(pilot, lambda: getattr(pilot.app.screen, "outcome", "") == "done")
            await pilot.pause()

        assert snap_compare(monitor(run_dir), terminal_size=size, run_before=exported)


def test_a_read_only_folder_is_one_line_with_its_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The exporter's own access check (root may write anywhere, so the check is made to say no)."""
    from tui.monitor.export import check_out

    monkeypatch.setattr("engine.export.model.os.access", lambda _path, _mode: False)
    path, note = check_out(str(tmp_path / "m.gguf"))
    assert path is None
    assert note == f"the folder {tmp_path} is not writable; choose a folder you can write to"
