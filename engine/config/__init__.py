"""The one config model (axolotl's keys), its YAML reading and writing, and command-line overrides."""

from engine.config.datasets import AlpacaFieldMapping, DatasetConfig
from engine.config.errors import ConfigError, ConfigFileError, ConfigProblem
from engine.config.loader import load_config, parse_config_dict, parse_config_text
from engine.config.overrides import apply_overrides, parse_override_args
from engine.config.run_config import RunConfig, key_order
from engine.config.serialize import config_to_dict
from engine.config.writer import config_text, dump_config, save_config

__all__ = [
    "AlpacaFieldMapping",
    "ConfigError",
    "ConfigFileError",
    "ConfigProblem",
    "DatasetConfig",
    "RunConfig",
    "apply_overrides",
    "config_text",
    "config_to_dict",
    "dump_config",
    "key_order",
    "load_config",
    "parse_config_dict",
    "parse_config_text",
    "parse_override_args",
    "save_config",
]
