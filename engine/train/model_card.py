"""What a trained adapter says about itself: the base model by its portable name, and a model card.

peft records the folder the base weights were loaded from, which on this machine is a cache path nobody else has;
`name_base_model` replaces it with the config's `base_model` (the hub id, or the path the user gave), so the adapter
loads anywhere. `write_model_card` replaces peft's empty template with what was trained on what, and how it ended.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.atomic import write_text_atomic
from engine.config import RunConfig
from engine.config.paths import written_as_path
from engine.events import RunFacts
from engine.models.facts import trainable_share
from engine.models.locations import local_folder
from engine.runs.paths import CONFIG_FILE, MODEL_CARD_FILE
from engine.train.state import RunTally
from engine.wording import count


def name_base_model(model: Any, config: RunConfig) -> None:
    """Point every adapter of a peft model at `config.base_model` instead of the local folder it was loaded from."""
    for adapter in getattr(model, "peft_config", {}).values():
        adapter.base_model_name_or_path = config.base_model


def write_model_card(folder: Path, config: RunConfig, facts: RunFacts, tally: RunTally) -> Path:
    """README.md in the output folder: front matter for the hub, then the base, the data, the settings and losses."""
    return write_text_atomic(folder / MODEL_CARD_FILE, model_card(config, facts, tally))


def model_card(config: RunConfig, facts: RunFacts, tally: RunTally) -> str:
    method = _method(config)
    lines = [
        "---",
        f"base_model: {config.base_model}",
        *(["library_name: peft"] if config.uses_lora() else []),
        "tags:",
        "- ft-tui",
        f"- {config.adapter or 'full-fine-tune'}",
        "---",
        "",
        f"# {facts.run_name}",
        "",
        f"A {method} of [{config.base_model}]({_link(config.base_model)}), trained with ft-tui on {_datasets(config)}.",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in _rows(config, facts, tally)),
        "",
        "## Use it",
        "",
        "```bash",
        f"ft-tui chat {Path(config.output_dir) / CONFIG_FILE}",
        "```",
        "",
    ]
    if config.uses_lora():
        lines += [
            "```python",
            "from peft import AutoPeftModelForCausalLM",
            "",
            f'model = AutoPeftModelForCausalLM.from_pretrained("{config.output_dir}")',
            "```",
            "",
        ]
    return "\n".join(lines)


def _method(config: RunConfig) -> str:
    if not config.uses_lora():
        return "full fine-tune"
    name = "QLoRA adapter" if config.adapter == "qlora" else "LoRA adapter"
    return f"{name} (r={config.lora_r}, alpha={config.lora_alpha:g})"


def _link(base_model: str) -> str:
    """The hub page for a hub id; a local folder or path links to itself."""
    if written_as_path(base_model) or local_folder(base_model) is not None:
        return base_model
    return f"https://huggingface.co/{base_model}"


def _datasets(config: RunConfig) -> str:
    return ", ".join(f"`{entry.path}` ({entry.type_name() or 'pre-tokenized'})" for entry in config.datasets)


def _rows(config: RunConfig, facts: RunFacts, tally: RunTally) -> list[tuple[str, str]]:
    data = facts.dataset
    rows = [
        ("base model", f"`{config.base_model}`"),
        ("method", _method(config) + (f", targets: {_targets(config)}" if config.uses_lora() else "")),
        (
            "trainable parameters",
            f"{facts.params_trainable:,} of {facts.params_total:,} "
            f"({trainable_share(facts.params_trainable, facts.params_total)})",
        ),
        (
            "data",
            f"{count(int(data.get('train_rows', 0)), 'training row')} "
            f"({int(data.get('train_tokens', 0)):,} tokens), {count(int(data.get('eval_rows', 0)), 'eval row')}",
        ),
        ("sequence_len", f"{config.sequence_len:,}" + (", packed" if config.sample_packing else "")),
        ("steps", f"{tally.step:,} ({count(tally.tokens_seen, 'token')} seen)"),
        ("learning rate", f"{config.learning_rate:g}, {config.lr_scheduler} schedule, {config.optimizer}"),
        ("precision", facts.dtype),
        ("final training loss", _loss(tally.last_loss)),
        ("final eval loss", _loss(tally.last_eval_loss) if config.has_validation() else "no eval split"),
    ]
    return rows


def _targets(config: RunConfig) -> str:
    if config.lora_target_linear:
        return "every linear layer"
    targets = config.lora_target_modules
    return ", ".join(targets) if isinstance(targets, list) else str(targets or "peft's default")


def _loss(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "not logged"
