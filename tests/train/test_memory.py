"""Memory with every step, the run's peak in its summary, and validate's estimate checked against it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from engine.config import RunConfig
from engine.events import FinishedEvent, LogEvent, StartedEvent, StepEvent, read_events
from engine.train import train
from engine.train.memory import gpu_memory, peak_memory_mb, resident_mb


def test_each_step_carries_memory_and_the_summary_its_peak(make_config: Callable[..., RunConfig]) -> None:
    config = make_config(max_steps=3, logging_steps=1)
    train(config)
    events = read_events(Path(config.output_dir) / "events.jsonl")
    started = next(event for event in events if isinstance(event, StartedEvent))
    steps = [event for event in events if isinstance(event, StepEvent)]
    finished = events[-1]
    assert isinstance(finished, FinishedEvent)
    assert started.memory_total_mb and started.memory_total_mb > 1024
    assert started.memory_estimate_mb and started.memory_estimate_mb > 0
    assert all(step.rss_mb and step.rss_mb > 0 and step.gpus == [] for step in steps)
    # statm and getrusage count pages a little differently: the peak is near or above the current reading.
    assert all(step.rss_mb <= step.memory_mb * 1.05 for step in steps if step.rss_mb and step.memory_mb)
    assert finished.peak_memory_mb == max(step.memory_mb or 0 for step in steps)
    assert finished.memory_estimate_mb == started.memory_estimate_mb
    lines = [event.message for event in events if isinstance(event, LogEvent)]
    check = next(line for line in lines if line.startswith("memory: "))
    assert re.fullmatch(r"memory: estimated \d+\.\d GiB, used \d+\.\d GiB", check)


def test_the_readings_are_plain_numbers_without_cuda() -> None:
    now = resident_mb()
    assert now is not None and now > 0
    assert gpu_memory() == [] and peak_memory_mb() >= 0.95 * now
