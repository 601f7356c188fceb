"""Writing a RunConfig as axolotl-style YAML: canonical key order, a comment header, atomic replace."""

from __future__ import annotations

from pathlib import Path

import yaml

from engine.atomic import write_text_atomic
from engine.config.run_config import RunConfig
from engine.config.serialize import config_to_dict


class _ConfigDumper(yaml.SafeDumper):
    """Writes an empty value as `key:` rather than `key: null`, as axolotl's examples do."""


_ConfigDumper.add_representer(type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", ""))


def dump_config(config: RunConfig, header: str | None = None, *, folder: Path | None = None) -> str:
    """YAML text for a config, with an optional comment header (each line prefixed with `# `).

    A file with a header is a file ft-tui writes: its first line points editors at the config's JSON Schema, by a
    path relative to the `folder` it is written in."""
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
    return f"{schema_modeline(folder)}\n{comment}\n\n{body}"


def save_config(
    config: RunConfig, path: str | Path, header: str | None = None, *, base: str | Path | None = None
) -> Path:
    """Write a config atomically so a crash or a full disk never leaves a half-written file behind.

    With `base`, the file the config was opened from, that file is edited instead (its comments, key order and
    axolotl keys kept; see engine/config/roundtrip.py) and `header` is not added: the file keeps its own.
    """
    return write_text_atomic(Path(path), config_text(config, header, base=base, path=path))


def config_text(
    config: RunConfig, header: str | None = None, *, base: str | Path | None = None, path: str | Path | None = None
) -> str:
    """The exact text `save_config` writes to `path`: `base` edited in place when it is a readable config, else a
    new file in ft-tui's layout with `header`."""
    if base is not None:
        from engine.config.errors import ConfigError, ConfigFileError
        from engine.config.loader import parse_config_text
        from engine.config.roundtrip import update_yaml_text

        try:
            text = Path(base).read_text(encoding="utf-8")
            return update_yaml_text(text, parse_config_text(text, source=str(base)), config)
        except (OSError, UnicodeDecodeError, ConfigError, ConfigFileError):
            pass  # the original is gone or no longer a valid config: write a fresh file instead
    return dump_config(config, header, folder=Path(path).parent if path is not None else None)
