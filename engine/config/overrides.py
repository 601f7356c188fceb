"""Command-line overrides (`--learning-rate 1e-4`) applied to a config and validated like the file."""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any

from engine.config.errors import ConfigError, ConfigFileError, ConfigProblem, ConfigTooLargeError
from engine.config.loader import parse_config_dict, parse_yaml_value
from engine.config.run_config import RunConfig


def parse_override_args(args: Sequence[str]) -> dict[str, Any]:
    """Turn `--learning-rate 1e-4 --sample-packing false` into `{learning_rate: 1e-4, sample_packing: False}`.

    Values are read as YAML scalars so `1e-4`, `true` and `[q_proj, v_proj]` mean what they mean in the file.
    A flag without a value (`--sample-packing`) means true, for yes/no keys only: `--lora-r` with its value
    forgotten is refused instead of silently becoming 1.
    """
    overrides: dict[str, Any] = {}
    index = 0
    while index < len(args):
        flag = args[index]
        if not flag.startswith("--") or len(flag) < 3:
            raise ConfigError([ConfigProblem(flag, "expected an option like `--learning-rate 1e-4`")], "command line")
        key, _, inline = flag[2:].partition("=")
        key = key.replace("-", "_")
        if inline:
            raw, index = inline, index + 1
        elif index + 1 < len(args) and not args[index + 1].startswith("--"):
            raw, index = args[index + 1], index + 2
        else:
            if not _takes_yes_no(key):
                raise ConfigError(
                    [ConfigProblem(key, f"`{flag}` needs a value, e.g. `{flag} VALUE` or `{flag}=VALUE`")],
                    "command line",
                )
            raw, index = "true", index + 1
        overrides[key] = _parse_scalar(raw, flag.partition("=")[0])
    return overrides


def _takes_yes_no(key: str) -> bool:
    """Whether the key accepts true/false; unknown keys pass here and are refused with a did-you-mean later."""
    field = RunConfig.model_fields.get(key)
    if field is None:
        return True
    annotation = field.annotation
    if annotation is bool:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return bool in typing.get_args(annotation)
    return False


def _parse_scalar(raw: str, flag: str) -> Any:
    """The value as YAML reads it, with a config file's depth and alias limits (a value nested too deep or an alias
    bomb is refused, ConfigTooLargeError); text that is not YAML stays the string it is."""
    try:
        return parse_yaml_value(raw, f"`{flag}`")
    except ConfigTooLargeError:
        raise
    except ConfigFileError:
        return raw


def apply_overrides(config: RunConfig, overrides: dict[str, Any]) -> RunConfig:
    """A new config with the overrides applied, validated exactly like a file (unknown keys included)."""
    if not overrides:
        return config
    data = config.model_dump(exclude_unset=True)
    data.update(overrides)
    return parse_config_dict(data, source="command line")
