"""Package layout that pyproject.toml cannot say: the repository's top-level `presets/` ships inside the wheel.

`presets/` stays at the top of the repository, where people read and copy the configs; the wheel carries it as
`engine/builtin_presets/` (with its data), so `ft-tui presets list` and `ft-tui train smollm2-135m-lora` work
from any folder after a plain `pip install`. Everything else about the project is in pyproject.toml.
"""

from setuptools import find_packages, setup

PRESETS_PACKAGE = "engine.builtin_presets"

setup(
    packages=[*find_packages(include=["engine*", "tui*"]), PRESETS_PACKAGE],
    package_dir={PRESETS_PACKAGE: "presets"},
    package_data={
        "tui": ["**/*.tcss"],
        "engine": ["**/*.json", "**/*.jsonl"],
        PRESETS_PACKAGE: ["*.yml", "**/*.yml", "**/*.yaml", "**/*.json", "**/*.jsonl", "**/*.py"],
    },
)
