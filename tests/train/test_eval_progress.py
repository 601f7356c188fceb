"""An evaluation reports its batches done: a 15-minute final evaluation once showed `ETA 0s` and
nothing else, because no event said it was under way or how far it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from transformers import TrainerControl, TrainerState, TrainingArguments

from engine.config import RunConfig
from engine.events import EvalEvent, PhaseEvent, RunFacts, StartedEvent, read_events
from engine.train import train
from engine.train.callbacks import EVAL_PROGRESS_SECONDS, EventsCallback
from engine.train.reporter import Reporter
from engine.train.state import RunTally


def test_each_evaluation_reports_its_batches_up_to_the_last(make_config: Callable[..., RunConfig]) -> None:
    config = make_config(val_set_size=0.25, eval_sample_packing=False, evals_per_epoch=2, eval_batch_size=1)
    train(config)
    events = read_events(Path(config.output_dir) / "events.jsonl")
    started = next(event for event in events if isinstance(event, StartedEvent))
    evals = [event for event in events if isinstance(event, EvalEvent)]
    assert started.eval_every == evals[0].step and len(evals) >= 2
    progress: list[PhaseEvent] = []
    for event in events:
        if isinstance(event, PhaseEvent) and event.phase == "evaluating" and event.current is not None:
            progress.append(event)
        elif isinstance(event, EvalEvent):
            counts = [(line.current, line.total) for line in progress]
            total = counts[-1][1]
            assert total and total > 1 and counts[0] == (1, total) and counts[-1] == (total, total), counts
            assert [done for done, _ in counts] == sorted({done for done, _ in counts})
            progress = []


def test_eval_progress_is_throttled(tmp_path: Path) -> None:
    """The first and the last batch always, between them at most one line per EVAL_PROGRESS_SECONDS."""
    now = [0.0]
    reporter = Reporter(tmp_path)
    facts = RunFacts(
        run_name="r",
        config={},
        device="cpu",
        dtype="float32",
        attn_implementation="sdpa",
        params_total=1,
        params_trainable=1,
        num_epochs=1.0,
    )
    callback = EventsCallback(reporter, facts, RunTally(), clock=lambda: now[0])
    args, state, control = TrainingArguments(output_dir=str(tmp_path)), TrainerState(), TrainerControl()
    loader = list(range(100))
    for _batch in loader:
        now[0] += EVAL_PROGRESS_SECONDS / 10  # ten batches between two lines
        callback.on_prediction_step(args, state, control, eval_dataloader=loader)
    callback.on_evaluate(args, state, control, metrics={"eval_loss": 1.0})
    callback.on_prediction_step(args, state, control, eval_dataloader=loader)  # the next evaluation starts at 1
    reporter.close()
    lines = [e for e in read_events(tmp_path / "events.jsonl") if isinstance(e, PhaseEvent)]
    counts = [line.current for line in lines]
    assert counts[0] == 1 and counts[-2:] == [100, 1]
    assert 9 <= len(counts) - 1 <= 12 and all(line.total == 100 for line in lines)
