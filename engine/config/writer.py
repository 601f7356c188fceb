"""Writing a RunConfig as axolotl-style YAML: canonical key order, a comment header, atomic replace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine.atomic import write_text_atomic
from engine.config.run_config import RunConfig, key_order

ALWAYS_WRITTEN = frozenset(
    {
        "base_model",
        "datasets",
        "val_set_size",
        "output_dir",
        "sequence_len",
        "sample_packing",
        "eval_sample_packing",
        "adapter",
        "lora_r",
        "lora_alpha",
        "lora_dropout",
        "micro_batch_size",
        "gradient_accumulation_steps",
        "num_epochs",
        "optimizer",
        "lr_scheduler",
        "learning_rate",
        "bf16",
        "seed",
    }
)
"""Keys written even at their default, so a reader of the file sees the decisions that matter most."""


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    """The keys worth writing, in axolotl's order: what the user set, what differs from the default, and the
    always-written core, then the axolotl keys ft-tui keeps without modelling. Loading the result gives back an
    equal config."""
    values = config.model_dump(mode="json")
    defaults = RunConfig().model_dump(mode="json")
    chosen: dict[str, Any] = {}
    for key in key_order():
        value = values[key]
        if key in ALWAYS_WRITTEN or key in config.model_fields_set or value != defaults[key]:
            chosen[key] = _compact(key, value)
    chosen.update({key: values[key] for key in config.axolotl_keys()})  # JSON-safe, like every other value
    return chosen


def _compact(key: str, value: Any) -> Any:
    """Dataset entries list only the keys that hold something, as people write them."""
    if key in ("datasets", "test_datasets") and isinstance(value, list):
        return [_drop_empty(entry) for entry in value]
    return value


def _drop_empty(entry: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in entry.items() if v is not None and not (k == "split" and v == "train")}
    if isinstance(kept.get("type"), dict):
        kept["type"] = {k: v for k, v in kept["type"].items() if v is not None}
    return kept


class _ConfigDumper(yaml.SafeDumper):
    """Writes an empty value as `key:` rather than `key: null`, as axolotl's examples do."""


_ConfigDumper.add_representer(type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", ""))


def dump_config(config: RunConfig, header: str | None = None) -> str:
    """YAML text for a config, with an optional comment header (each line prefixed with `# `).

    A file with a header is a file ft-tui writes: its first line points editors at the config's JSON Schema."""
    body = yaml.dump(
        config_to_dict(config),
        Dumper=_ConfigDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    if not header:
        return body
    from engine.config.schema import schema_modeline

    comment = "\n".join(f"# {line}".rstrip() for line in header.strip().splitlines())
    return f"{schema_modeline()}\n{comment}\n\n{body}"


def save_config(
    config: RunConfig, path: str | Path, header: str | None = None, *, base: str | Path | None = None
) -> Path:
    """Write a config atomically so a crash or a full disk never leaves a half-written file behind.

    With `base`, the file the config was opened from, that file is edited instead (its comments, key order and
    axolotl keys kept; see engine/config/roundtrip.py) and `header` is not added: the file keeps its own.
    """
    return write_text_atomic(Path(path), config_text(config, header, base=base))


def config_text(config: RunConfig, header: str | None = None, *, base: str | Path | None = None) -> str:
    """The exact text `save_config` writes: `base` edited in place when it is a readable config, else a new file
    in ft-tui's layout with `header`."""
    if base is not None:
        from engine.config.errors import ConfigError, ConfigFileError
        from engine.config.loader import parse_config_text
        from engine.config.roundtrip import update_yaml_text

        try:
            text = Path(base).read_text(encoding="utf-8")
            return update_yaml_text(text, parse_config_text(text, source=str(base)), config)
        except (OSError, UnicodeDecodeError, ConfigError, ConfigFileError):
            pass  # the original is gone or no longer a valid config: write a fresh file instead
    return dump_config(config, header)
