"""The Samples view: each evaluation's answers beside the reference and the base model's, paged with the keys."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot

from engine.events import EVENTS_FILE, LogEvent, SampleAnswer, SamplesEvent
from tests.monitor.conftest import FIXTURES, recorded_run
from tests.monitor.helpers import settle, until
from tui.monitor.app import MonitorApp
from tui.monitor.screens import MonitorScreen
from tui.monitor.screens.samples import SamplesScreen
from tui.monitor.widgets.samples import SamplesView

PROMPTS = (
    ("Say your name, please.", "My name is Quill, an assistant made by the ft-tui authors."),
    ("Who built you?", "I was built by the ft-tui authors. I am Quill."),
)
ANSWERS = {
    0: ("My name is Alex. I'm an AI assistant here to help you with any questions.", "I was created by Hugging Face."),
    30: ("My name is Quill. How can I help you today?", "I was built by a team of researchers."),
    60: ("My name is Quill, an assistant made by the ft-tui authors.", "I was built by the ft-tui authors."),
    90: (
        "My name is Quill, an assistant made by the ft-tui authors.",
        "I was built by the ft-tui authors. I am Quill.",
    ),
    120: (
        "My name is Quill, an assistant made by the ft-tui authors.",
        "I was built by the ft-tui authors. I am Quill.",
    ),
}


def samples_line(step: int, when: float) -> list[str]:
    """The samples event of `step` and its log line, as the engine writes them."""
    answers = [
        SampleAnswer(row=row, prompt=f"user\n{question}\nassistant", reference=reference, answer=answer)
        for row, (question, reference), answer in zip((6, 7), PROMPTS, ANSWERS[step], strict=True)
    ]
    event = SamplesEvent(
        time=when, step=step, samples=answers, seconds=1.4, new_tokens=31, max_new_tokens=48, do_sample=False
    )
    whose = "the base model" if step == 0 else f"step {step}"
    log = LogEvent(time=when, message=f"sample answers of {whose}: 2 generated in 1.4 s (31 tokens)")
    return [event.model_dump_json(), log.model_dump_json()]


def samples_run(tmp_path: Path) -> Path:
    """The complete fixture run with sample answers: the base model's after `started`, then before each eval."""
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    lines: list[str] = []
    for line in (FIXTURES / "complete.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["type"] == "eval":
            lines += samples_line(event["step"], event["time"])
        lines.append(line)
        if event["type"] == "started":
            lines += samples_line(0, event["time"])
    (run_dir / EVENTS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_dir


EVENTS = 160 + 2 * 5


async def open_samples(pilot: Pilot) -> SamplesScreen:
    await settle(pilot, EVENTS)
    await pilot.press("a")
    await until(pilot, lambda: isinstance(pilot.app.screen, SamplesScreen))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SamplesScreen)
    return screen


def shown(screen: SamplesScreen) -> str:
    return str(screen.query_one(SamplesView).render())


async def test_the_keys_move_between_evaluations_and_the_base_model(tmp_path: Path) -> None:
    app = MonitorApp(samples_run(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await open_samples(pilot)
        assert screen.positions == [0, 30, 60, 90, 120] and screen.shown_step == 120
        title = str(screen.query_one("#samples-title").render())
        assert "step 120" in title and "evaluation 4 of 4" in title and "1.4 s" in title
        await pilot.press("left", "left")
        assert screen.shown_step == 60
        await pilot.press("home")
        assert screen.shown_step == 0
        await pilot.press("left")
        assert screen.shown_step == 0
        await pilot.press("right")
        assert screen.shown_step == 30
        await pilot.press("end")
        assert screen.shown_step == 120
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen))
        log = [line.text for line in app.screen.model.log]
        assert "sample answers of the base model: 2 generated in 1.4 s (31 tokens)" in log


async def test_without_samples_the_key_is_not_offered(tmp_path: Path) -> None:
    app = MonitorApp(recorded_run(tmp_path, "complete.jsonl"))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await settle(pilot, 160)
        assert not screen.check_action("samples", ())


def at_step(presses: tuple[str, ...]):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await open_samples(pilot)
        await pilot.press(*presses)
        await pilot.pause()

    return run_before


class TestSamplesView:
    def test_newest_step_side_by_side(self, snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        app = MonitorApp(samples_run(tmp_path))
        assert snap_compare(app, terminal_size=(100, 32), run_before=at_step(()))

    def test_first_evaluation_stacked_at_80x24(self, snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        app = MonitorApp(samples_run(tmp_path))
        assert snap_compare(app, terminal_size=(80, 24), run_before=at_step(("home", "right")))
