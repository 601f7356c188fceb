"""Two processes (torchrun, gloo on CPU) against one process over the same packed bins: same numbers, one writer.

One step of the 2-rank run is micro-batch 2 on each rank; one step of the single process is micro-batch 2 with
2 accumulation steps. The sampler gives rank r batches r, r+2, ... of the same epoch order, so both runs train
exactly the same bins in every step, and the per-token losses, gradients and token counts must agree.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.config import RunConfig
from engine.events import EvalEvent, FinishedEvent, LogEvent, StartedEvent, StepEvent, read_events
from tests.train.conftest import engine_command, write_config
from tests.waiting import has_event, wait_until

ROOT = Path(__file__).parents[2]

COMMON = {
    "lora_dropout": 0.0,
    "micro_batch_size": 2,
    "val_set_size": 0.2,
    # 19 training batches: the 2 ranks train 9 each (the odd one is skipped to keep them in step), so one process
    # stops after the same 9 steps. The 5 eval batches split 3 + 2: rank 1 repeats one forward pass uncounted.
    "max_steps": 9,
    "eval_steps": 2,
    "save_steps": 2,
    "logging_steps": 1,
    "num_epochs": 1,
}


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _train_both(make_config: Callable[..., RunConfig], tmp_path: Path) -> tuple[RunConfig, RunConfig, str]:
    single = make_config(**COMMON, gradient_accumulation_steps=2, output_dir=str(tmp_path / "single"))
    multi = make_config(**COMMON, gradient_accumulation_steps=1, output_dir=str(tmp_path / "multi"))
    _run(engine_command(str(write_config(single, tmp_path / "single.yml"))))
    # `--nproc 2` re-runs the same command under `torchrun --standalone --nproc_per_node=2` and waits for it.
    multi_file = write_config(multi, tmp_path / "multi.yml")
    done = _run(engine_command(str(multi_file), "--nproc", "2"))
    return single, multi, done.stdout + done.stderr


@pytest.mark.slow  # about 90 s on a loaded 2-core CPU: three engine processes start and train
def test_two_ranks_train_and_evaluate_like_one_process(make_config: Callable[..., RunConfig], tmp_path: Path) -> None:
    single, multi, console = _train_both(make_config, tmp_path)
    one = read_events(Path(single.output_dir) / "events.jsonl")
    two = read_events(Path(multi.output_dir) / "events.jsonl")

    def of(events: list, kind: type) -> list:
        return [event for event in events if isinstance(event, kind)]

    steps_one, steps_two = of(one, StepEvent), of(two, StepEvent)
    assert [s.step for s in steps_two] == [s.step for s in steps_one] and len(steps_one) >= 2
    assert [s.loss for s in steps_two] == pytest.approx([s.loss for s in steps_one], rel=1e-4)
    assert [s.tokens_seen for s in steps_two] == [s.tokens_seen for s in steps_one]
    evals_one, evals_two = of(one, EvalEvent), of(two, EvalEvent)
    assert [e.step for e in evals_two] == [e.step for e in evals_one] and evals_one
    assert [e.eval_loss for e in evals_two] == pytest.approx([e.eval_loss for e in evals_one], rel=1e-4)
    finished_one, finished_two = of(one, FinishedEvent)[-1], of(two, FinishedEvent)[-1]
    assert finished_two.status == "completed" and finished_two.tokens_seen == finished_one.tokens_seen

    # Only rank 0 wrote: one started event, one finished event, each log line once, one console summary.
    assert len(of(two, StartedEvent)) == 1 and len(of(two, FinishedEvent)) == 1
    messages = [event.message for event in of(two, LogEvent)]
    assert len(messages) == len(set(messages))
    assert any(message.startswith("data parallel: 2 processes") for message in messages)
    assert console.count("done:") == 1
    log_lines = (Path(multi.output_dir) / "log.txt").read_text().splitlines()
    assert sum("run completed" in line for line in log_lines) == 1
    checkpoints = sorted(p.name for p in Path(multi.output_dir).glob("checkpoint-*"))
    assert checkpoints == sorted(p.name for p in Path(single.output_dir).glob("checkpoint-*")) and checkpoints
    assert "find_unused_parameters=True" not in console

    # The adapter rank 0 saved loads onto the base and generates.
    from engine.infer.chat import GenerationSettings, generate_reply
    from engine.infer.loading import LoadRequest, load_for_inference

    loaded = load_for_inference(LoadRequest(config=multi))
    assert loaded.adapter_dir == Path(multi.output_dir)
    reply = generate_reply(loaded, [{"role": "user", "content": "Say hello."}], GenerationSettings(max_new_tokens=4))
    assert isinstance(reply, str)


@pytest.mark.parametrize(
    ("environ", "warned"),
    [
        ({"ACCELERATE_USE_CPU": "True", "MASTER_ADDR": "127.0.0.1"}, True),
        ({"ACCELERATE_USE_CPU": "True", "MASTER_ADDR": "127.0.0.1", "WORLD_SIZE": "2"}, False),
        ({"ACCELERATE_USE_CPU": "True", "MASTER_ADDR": "127.0.0.1", "PMI_SIZE": "2"}, False),
        ({"ACCELERATE_USE_CPU": "True"}, False),
        ({"MASTER_ADDR": "127.0.0.1"}, False),
    ],
)
def test_accelerate_cpu_launch_of_one_process_is_named(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], warned: bool
) -> None:
    """`accelerate launch --cpu --num_processes 2` sets a rendezvous address but starts one process."""
    from engine.train.distributed import single_process_surprise

    for name in ("ACCELERATE_USE_CPU", "MASTER_ADDR", "WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    message = single_process_surprise()
    assert (message is not None) == warned
    if message:
        assert "--nproc N" in message and "accelerate launch --multi_gpu" in message


@pytest.mark.slow  # one 2-rank engine start on a loaded CPU
def test_ctrl_c_on_a_foreground_nproc_run_stops_every_rank_at_one_checkpoint(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    """Ctrl-C reaches `ft-tui train --nproc 2` (torchrun runs in its own session); it asks the ranks to stop."""
    import os
    import signal

    config = make_config(max_steps=100_000, lora_dropout=0.0)
    path = write_config(config, tmp_path / "run.yml")
    events_file = Path(config.output_dir) / "events.jsonl"
    process = subprocess.Popen(
        engine_command(str(path), "--nproc", "2"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(
        lambda: has_event(events_file, StepEvent), what="step of the 2-process run", timeout=180, process=process
    )
    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=180)
    assert process.returncode == 130, stderr
    finished = [event for event in read_events(events_file) if isinstance(event, FinishedEvent)]
    assert [event.status for event in finished] == ["stopped"]
    assert finished[0].checkpoint is not None and (Path(finished[0].checkpoint) / "trainer_state.json").is_file()
