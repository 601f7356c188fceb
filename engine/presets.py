"""Built-in presets (the repository's presets/ folder, shipped in the wheel) and the user's own, saved from the
wizard or the CLI; and reading a command's CONFIG argument as a file or a preset name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from engine.atomic import write_text_atomic
from engine.config import RunConfig, dump_config, load_config
from engine.errors import FtTuiError
from engine.runs.paths import presets_dir

DEFAULT_PRESET = "smollm2-135m-lora"


def _builtin_dir() -> Path:
    """The wheel carries presets/ as engine/builtin_presets (setup.py); a source checkout reads presets/ itself."""
    installed = Path(__file__).resolve().parent / "builtin_presets"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "presets"


BUILTIN_DIR = _builtin_dir()
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class PresetError(FtTuiError):
    """A preset that does not exist, a bad name, or one that would overwrite another."""


class PresetExistsError(PresetError):
    """A user preset of that name exists; saving again needs `force` (the wizard asks, the CLI says --force)."""

    fix = "add --force to overwrite it"

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(f"user preset {name!r} exists at {path}")
        self.name = name
        self.path = path


@dataclass(frozen=True)
class PresetInfo:
    name: str
    path: Path
    builtin: bool
    description: str
    """The first line of the file's comment header."""


def user_presets_dir() -> Path:
    """User presets live in the user config folder (engine.runs.paths.presets_dir)."""
    return presets_dir()


def list_presets() -> list[PresetInfo]:
    """Built-in presets first, then the user's; a user preset never hides a built-in of the same name."""
    builtin = [_info(path, True) for path in sorted(BUILTIN_DIR.glob("*.yml"))]
    user_dir = user_presets_dir()
    user = [_info(path, False) for path in sorted(user_dir.glob("*.yml"))] if user_dir.is_dir() else []
    return builtin + user


def find_preset(name: str) -> PresetInfo:
    for info in list_presets():
        if info.name == name:
            return info
    known = ", ".join(info.name for info in list_presets())
    raise PresetError(f"no preset named {name!r}; known presets: {known}")


def load_preset(name: str) -> RunConfig:
    return load_config(find_preset(name).path)


def save_user_preset(name: str, config: RunConfig, force: bool = False, description: str | None = None) -> Path:
    """Save a config as a user preset; refuses to overwrite one without `force`, and never shadows a built-in.

    A name given with its file suffix (`x.yml`) names preset `x`: the file is x.yml, not x.yml.yml."""
    name = preset_name(name)
    if not _NAME.fullmatch(name):
        raise PresetError(f"preset name {name!r} may use letters, digits, '.', '_' and '-' (up to 64 characters)")
    if any(info.name == name and info.builtin for info in list_presets()):
        raise PresetError(f"{name!r} is a built-in preset; choose another name")
    path = user_presets_dir() / f"{name}.yml"
    if path.exists() and not force:
        raise PresetExistsError(name, path)
    header = description or f"User preset {name}: {config.base_model}, saved with ft-tui."
    header += f"\nRun it with: ft-tui train {path}"
    return write_text_atomic(path, dump_config(config, header, folder=path.parent))


def _info(path: Path, builtin: bool) -> PresetInfo:
    return PresetInfo(path.stem, path, builtin, _first_comment_line(path))


def _first_comment_line(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as stream:
            for line in stream:
                if line.startswith("#") and line.strip("# \n") and "yaml-language-server:" not in line:
                    return line.strip("# \n")
    except OSError:
        return ""
    return ""


def preset_name(name: str) -> str:
    """The preset a name means: `x.yml` and `x.yaml` mean preset `x` (its file is x.yml)."""
    for suffix in (".yml", ".yaml"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    return name


def config_path(argument: str | Path) -> Path:
    """A command's CONFIG: an existing file, else a preset's name (`ft-tui train smollm2-135m-lora`, or
    `x.yml` for the preset saved as `x.yml` when no such file is here).

    A file always wins over a preset of the same name. Anything else comes back unchanged, so the loader reports
    the missing file in its usual words."""
    path = Path(argument)
    if path.exists() or len(path.parts) > 1:
        return path
    name = preset_name(str(argument))
    if not _NAME.fullmatch(name):
        return path
    for info in list_presets():
        if info.name == name:
            return info.path
    return path
