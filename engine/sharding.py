"""DeepSpeed ZeRO and FSDP2: the built-in configs shipped with the presets, and reading what a config asks for.

`deepspeed:` takes a JSON file, as in axolotl, or the name of a built-in (`zero1`, `zero2`, `zero3`,
`zero3_offload`); axolotl's own paths (`deepspeed_configs/zero2.json`) resolve to the built-in of the same name
when no such file exists here. The FSDP built-ins are YAML snippets of axolotl keys (`fsdp_version`,
`fsdp_config`) that the wizard merges into a config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from engine.config import RunConfig
from engine.nesting import loads_json
from engine.presets import BUILTIN_DIR

DEEPSPEED_DIR = "deepspeed"
FSDP_DIR = "fsdp"


def builtin_deepspeed() -> dict[str, Path]:
    """Built-in DeepSpeed configs by name (`zero2` -> .../presets/deepspeed/zero2.json)."""
    return {path.stem: path for path in sorted((BUILTIN_DIR / DEEPSPEED_DIR).glob("*.json"))}


def builtin_fsdp() -> dict[str, Path]:
    return {path.stem: path for path in sorted((BUILTIN_DIR / FSDP_DIR).glob("*.yml"))}


def resolve_deepspeed(value: str | None, cwd: Path | None = None) -> Path | None:
    """The JSON file `deepspeed:` means: an existing file (relative to `cwd`), else the built-in of that name."""
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute() and cwd is not None:
        path = cwd / path
    if path.is_file():
        return path
    return builtin_deepspeed().get(Path(value).name.removesuffix(".json"))


def deepspeed_settings(config: RunConfig) -> dict[str, Any] | None:
    """The parsed DeepSpeed JSON of a config; None when none is set, it cannot be found or is not JSON."""
    path = resolve_deepspeed(config.deepspeed)
    return None if path is None else _read_deepspeed(path)[0]


def deepspeed_problem(config: RunConfig) -> str | None:
    """Why the config's DeepSpeed JSON file cannot be used (unreadable, not JSON, nested too deep, not an object);
    None when it can, or when none is set or found (distributed.deepspeed_config_missing speaks then)."""
    path = resolve_deepspeed(config.deepspeed)
    return None if path is None else _read_deepspeed(path)[1]


def _read_deepspeed(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(the settings, None) or (None, what is wrong), read with the depth limit every parser shares."""
    try:
        data = loads_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        return None, f"cannot be read ({error.strerror or error})"
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    except json.JSONDecodeError as error:
        return None, f"is not valid JSON (line {error.lineno}: {error.msg})"
    if not isinstance(data, dict):
        return None, "is not a JSON object of settings"
    return data, None


def zero_stage(config: RunConfig) -> int | None:
    settings = deepspeed_settings(config) or {}
    stage = (settings.get("zero_optimization") or {}).get("stage")
    return int(stage) if isinstance(stage, int) else None


def offloads(config: RunConfig) -> list[str]:
    """What the config moves to CPU RAM: `optimizer states`, `parameters` (ZeRO or FSDP offload)."""
    moved = []
    zero = (deepspeed_settings(config) or {}).get("zero_optimization") or {}
    if (zero.get("offload_optimizer") or {}).get("device") in ("cpu", "nvme"):
        moved.append("optimizer states")
    if (zero.get("offload_param") or {}).get("device") in ("cpu", "nvme"):
        moved.append("parameters")
    if (fsdp_options(config) or {}).get("cpu_offload"):
        moved += ["parameters", "gradients and optimizer states"]
    return moved


def uses_fsdp(config: RunConfig) -> bool:
    return bool(config.fsdp or config.fsdp_config or config.fsdp_version)


def fsdp_options(config: RunConfig) -> dict[str, Any] | None:
    """axolotl's `fsdp_version` + `fsdp_config` as transformers' `fsdp_config` (FSDP2 unless version 1 is asked).

    axolotl writes keys with or without the `fsdp_` prefix and calls CPU offload `offload_params`; transformers
    reads them without the prefix and calls it `cpu_offload`.
    """
    if not uses_fsdp(config):
        return None
    options: dict[str, Any] = {}
    for key, value in (config.fsdp_config or {}).items():
        options[key.removeprefix("fsdp_")] = value
    if "offload_params" in options:
        options["cpu_offload"] = bool(options.pop("offload_params"))
    options["version"] = int(config.fsdp_version or options.get("version") or 2)
    return options


def load_fsdp_builtin(name: str) -> dict[str, Any]:
    """The config keys of a built-in FSDP snippet (`fsdp2` -> {"fsdp_version": 2, "fsdp_config": {...}})."""
    path = builtin_fsdp().get(name)
    if path is None:
        known = ", ".join(builtin_fsdp())
        raise KeyError(f"no built-in FSDP config named {name!r}; known: {known}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(data)
