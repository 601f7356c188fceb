"""What the dataset and packing steps show about the real data, computed in a worker through engine.data.

Nothing here formats, tokenizes or packs by itself: it calls engine.data and turns the results into what the
screens draw (coloured samples, facts). Heavy imports (datasets, transformers, torch) happen only in here, and
only inside functions, so the wizard starts without them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.config import RunConfig

if TYPE_CHECKING:
    from engine.data.prepare import PreparedData
    from engine.data.stats import DataFacts
    from engine.doctor import Diagnosis

Progress = Callable[[str], None]
Segment = tuple[str, bool]
"""A piece of a rendered sample and whether its tokens are trained (True) or masked (False)."""

PREVIEW_SAMPLES = 3


@dataclass(frozen=True)
class DataPreview:
    """The analysed data for one data-shaping configuration (see `data_key`)."""

    key: str
    samples: tuple[tuple[Segment, ...], ...]
    """The first samples as the model sees them, split into trained and masked pieces."""
    facts: DataFacts
    """The data facts for the config the preview was made with."""
    prepared: PreparedData | None
    """Kept to redo the packing numbers when batch settings change; None when every row was dropped (then `facts`
    says what was read and why nothing was kept)."""


@dataclass(frozen=True)
class Services:
    """The slow, swappable parts: where the tokenizer comes from and how data is prepared (tests inject tiny
    ones)."""

    load_tokenizer: Callable[[RunConfig], Any]
    prepare: Callable[[RunConfig, Any, Progress], PreparedData]
    read_rows: Callable[[RunConfig, int], list[dict[str, Any]]]
    machine: Callable[[], Diagnosis] = field(default=lambda: _diagnose_here())
    """engine.doctor's diagnosis of this machine (what `ft-tui doctor` prints), for the Model step."""


def _diagnose_here() -> Diagnosis:
    from engine.doctor import diagnose_here

    return diagnose_here()


def data_key(config: RunConfig) -> str:
    """Everything that changes which samples exist or how they are tokenized; packing settings are left out,
    since `refresh_facts` redoes those numbers instantly."""
    keys: tuple[str, ...] = (
        "base_model",
        "chat_template",
        "chat_template_jinja",
        "sequence_len",
        "excess_length_strategy",
    )
    keys += ("min_sample_len", "train_on_inputs", "val_set_size", "seed", "default_system_message")
    values = {key: getattr(config, key) for key in keys}
    values["datasets"] = [entry.model_dump(mode="json") for entry in config.datasets]
    return json.dumps(values, sort_keys=True, default=str)


def default_services() -> Services:
    return Services(load_tokenizer=load_model_tokenizer, prepare=prepare_with_engine, read_rows=read_first_rows)


def load_model_tokenizer(config: RunConfig) -> Any:
    """The base model's tokenizer, only when the model is already on disk (the wizard never downloads silently)."""
    from engine.models import find_model_facts, resolve_model

    if find_model_facts(config.base_model) is None:
        raise LookupError(f"{config.base_model} is not on disk yet; download it on the Model step to preview tokens")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_model(config.base_model, progress=lambda _: None))


def prepare_with_engine(config: RunConfig, tokenizer: Any, progress: Progress) -> PreparedData:
    """The trainer's own preparation (and cache), so what the wizard shows is what the run will train on."""
    from engine.cli.output import quiet_libraries
    from engine.data.prepare import prepare_datasets

    quiet_libraries()  # progress goes to the status line, not over the screen: the commands' one set of switches
    # One process, never forked workers: a fork from here copies into each child the locks that the app's other
    # threads (Textual's event loop and input reader, other workers) may hold at that instant, and a child that
    # then needs one (stdout's, the allocator's) waits forever. dataset_processes is not part of the prepared
    # data's cache key, so the run reuses what this writes.
    in_process = config.model_copy(update={"dataset_processes": 1})
    return prepare_datasets(in_process, tokenizer, progress=progress, world_size=1)


def read_first_rows(config: RunConfig, count: int) -> list[dict[str, Any]]:
    """The first raw rows of the first dataset, for format detection and the column list."""
    from engine.data.loading import load_source

    dataset = load_source(config.datasets[0])
    return [dict(dataset[i]) for i in range(min(count, len(dataset)))]


def detect_format(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Dataset keys (type and field mapping) that fit these rows, from engine.data when it offers detection."""
    from engine.data import formats

    detect = getattr(formats, "detect_format", None)
    return dict(detect(rows)) if detect is not None else None


def analyse(
    config: RunConfig, services: Services, progress: Progress, entry: int = 0, rows: list[dict[str, Any]] | None = None
) -> DataPreview:
    """Tokenize the configured data with engine.data and keep what the screens show. With several datasets the
    samples are `rows` of the `entry` being edited: the merged data's first sample may be any entry's."""
    from engine.data.prepare import encode_rows

    progress("loading the tokenizer")
    tokenizer = services.load_tokenizer(config)
    prepared = services.prepare(config, tokenizer, progress)
    train = prepared.train
    if len(config.datasets) > 1 and rows:
        encoded = encode_rows(config, config.datasets[entry], tokenizer, rows[:PREVIEW_SAMPLES])
    else:
        encoded = [(train[i]["input_ids"], train[i]["labels"]) for i in range(min(PREVIEW_SAMPLES, len(train)))]
    samples = tuple(render_segments(tokenizer, ids, labels) for ids, labels in encoded)
    return DataPreview(key=data_key(config), samples=samples, facts=prepared.facts, prepared=prepared)


def render_segments(tokenizer: Any, ids: list[int], labels: list[int]) -> tuple[Segment, ...]:
    """Decode runs of trained and of masked tokens separately, so the screen can colour each run."""
    from engine.data.spans import IGNORE_INDEX

    segments: list[Segment] = []
    start = 0
    for end in range(1, len(ids) + 1):
        if end == len(ids) or (labels[end] != IGNORE_INDEX) != (labels[start] != IGNORE_INDEX):
            segments.append((tokenizer.decode(ids[start:end]), labels[start] != IGNORE_INDEX))
            start = end
    return tuple(segments)


def refresh_facts(preview: DataPreview, config: RunConfig) -> DataFacts:
    """The packing numbers for the current batch settings, from the already-tokenized lengths (instant)."""
    from collections import Counter
    from dataclasses import replace

    from engine.data.encode import EncodeReport
    from engine.data.prepare import facts_for

    old = preview.facts
    if preview.prepared is None:
        return old  # nothing was kept: there is nothing to pack
    report = EncodeReport(
        rows_read=old.rows_read,
        samples_kept=old.train_rows + old.eval_rows,
        rows_truncated=old.rows_truncated,
        dropped=Counter(old.rows_dropped),
        longest_read=old.longest_read,
        tools_ignored=list(old.tools_ignored),
    )
    facts = facts_for(config, preview.prepared.train, preview.prepared.eval, report, world_size=1)
    return replace(facts, dropped_examples=old.dropped_examples)
