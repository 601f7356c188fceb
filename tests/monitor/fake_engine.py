"""A stand-in for `python -m engine.train` that replays a recorded event stream into the run folder.

Behaves like the engine where the monitor can tell: appends to events.jsonl and log.txt in the config's
output_dir, stamps events with the current time and its own pid, answers SIGTERM by saving a checkpoint and
finishing as `stopped`, continues after the last checkpoint with --resume, and dies with a traceback on stderr
(and no `finished` event) when the stream ends without one, as a crashed engine does.

Environment: FAKE_ENGINE_STREAM (the .jsonl to replay), FAKE_ENGINE_DELAY (seconds between events, default 0.02).
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys
import time
from pathlib import Path
from typing import Any

import yaml

stop_requested = False


def on_sigterm(_signum: int, _frame: object) -> None:
    global stop_requested
    stop_requested = True


class Writer:
    def __init__(self, output_dir: Path) -> None:
        output_dir.mkdir(parents=True, exist_ok=True)
        self.output_dir = output_dir
        self.events = (output_dir / "events.jsonl").open("a", encoding="utf-8")
        self.log = (output_dir / "log.txt").open("a", encoding="utf-8")

    def emit(self, event: dict[str, Any]) -> None:
        event = {**event, "time": time.time()}
        if event["type"] == "finished" and event.get("adapter_dir"):
            event["adapter_dir"] = str(self.output_dir)
        if event["type"] == "checkpoint":
            event["path"] = str(self.output_dir / f"checkpoint-{event['step']}")
            write_checkpoint(Path(event["path"]), event["step"])
        self.events.write(json.dumps(event) + "\n")
        self.events.flush()
        if event["type"] in ("log", "warning"):
            level = event.get("level", "warning")
            self.log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {level.upper():7} {event['message']}\n")
            self.log.flush()


def write_checkpoint(folder: Path, step: int) -> None:
    """A checkpoint a resume accepts, as the engine leaves one: the Trainer's state and whole (empty) weights."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}), encoding="utf-8")
    (folder / "adapter_model.safetensors").write_bytes(struct.pack("<Q", 2) + b"{}")


def last_checkpoint(output_dir: Path) -> dict[str, Any] | None:
    path = output_dir / "events.jsonl"
    if not path.exists():
        return None
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    checkpoints = [event for event in lines if event["type"] == "checkpoint"]
    stopped = [event for event in lines if event["type"] == "finished" and event.get("checkpoint")]
    candidates = checkpoints + [{"step": event["step"], "path": event["checkpoint"]} for event in stopped]
    return max(candidates, key=lambda event: event["step"]) if candidates else None


def replay(stream: list[dict[str, Any]], writer: Writer, resume_from: dict[str, Any] | None, delay: float) -> int:
    step, seen_training, elapsed = 0, False, 0.0
    skip_to = resume_from["step"] if resume_from else 0
    for event in stream:
        if stop_requested:
            return stop(writer, step if seen_training else None, elapsed)
        step = event.get("step", step)
        if event["type"] == "started":
            event = {**event, "pid": os.getpid(), "resumed_from": resume_from["path"] if resume_from else None}
        if event["type"] == "step":
            seen_training, elapsed = True, event["elapsed_s"]
        if seen_training and step <= skip_to and event["type"] != "started":
            continue
        writer.emit(event)
        time.sleep(delay)
    if stream[-1]["type"] != "finished":
        print('Traceback (most recent call last):\n  File "engine/train/trainer.py", line 131', file=sys.stderr)
        print(stream[-1].get("message", "RuntimeError: crashed"), file=sys.stderr)
        return 1
    return 0


def stop(writer: Writer, step: int | None, elapsed: float) -> int:
    checkpoint = None
    if step is not None:
        writer.emit({"type": "phase", "phase": "saving", "detail": f"checkpoint-{step}"})
        writer.emit({"type": "checkpoint", "step": step, "path": ""})
        checkpoint = str(writer.output_dir / f"checkpoint-{step}")
    writer.emit({"type": "log", "level": "info", "message": "SIGTERM received: saved and stopped"})
    finished = {
        "type": "finished",
        "status": "stopped",
        "step": step or 0,
        "elapsed_s": elapsed,
        "checkpoint": checkpoint,
    }
    writer.emit(finished)
    return 0


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, on_sigterm)
    config = yaml.safe_load(Path(argv[0]).read_text(encoding="utf-8"))
    output_dir = Path(config["output_dir"]).resolve()
    stream_path = Path(os.environ["FAKE_ENGINE_STREAM"])
    stream = [json.loads(line) for line in stream_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    resume_from = last_checkpoint(output_dir) if "--resume" in argv else None
    print(f"fake engine pid {os.getpid()} replaying {stream_path.name}", flush=True)
    return replay(stream, Writer(output_dir), resume_from, float(os.environ.get("FAKE_ENGINE_DELAY", "0.02")))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
