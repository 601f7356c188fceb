"""Training events: the schema, the writer the engine uses and the reader the monitor uses."""

from engine.events.reader import EventLines, EventTail, parse_event_lines, read_events
from engine.events.schema import (
    SCHEMA_VERSION,
    CheckpointEvent,
    ErrorEvent,
    EvalEvent,
    Event,
    FinishedEvent,
    GpuMemory,
    LogEvent,
    PhaseEvent,
    RunFacts,
    SampleAnswer,
    SamplesEvent,
    StartedEvent,
    StepEvent,
    WarningEvent,
    event_json_schema,
    parse_event,
)

# Last: the writer imports engine.runs.paths, whose package reads events through the names above.
from engine.events.writer import EVENTS_FILE, EventWriter, open_run_events

__all__ = [
    "EVENTS_FILE",
    "SCHEMA_VERSION",
    "CheckpointEvent",
    "ErrorEvent",
    "EvalEvent",
    "Event",
    "EventLines",
    "EventTail",
    "EventWriter",
    "FinishedEvent",
    "GpuMemory",
    "LogEvent",
    "PhaseEvent",
    "RunFacts",
    "SampleAnswer",
    "SamplesEvent",
    "StartedEvent",
    "StepEvent",
    "WarningEvent",
    "event_json_schema",
    "open_run_events",
    "parse_event",
    "parse_event_lines",
    "read_events",
]
