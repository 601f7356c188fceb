"""Renders the rule catalog as Markdown (docs/rules.md); `python -m engine.rules.docs` prints it."""

from __future__ import annotations

from engine.rules import CATALOG
from engine.rules.catalog import Rule

_INTRO = """# The rule catalog

Every check ft-tui makes on a config, generated from `engine/rules/` by `python -m engine.rules.docs`
(a test keeps this file in sync). Severities: **error** blocks the run; **warning** lets it go on; **auto**
means the engine chooses a value itself and says which. *Static* rules need only the config and the target
hardware and run on every edit; *preflight* rules also need the model's config.json or the tokenized data and
run before training (and in the wizard once those are known). Messages show `{placeholders}` that are filled
with your config's numbers.
"""


ONE_KEY = (
    "the fix is a config change the wizard applies (its **Apply** button, or Ctrl+F); `validate --json` lists it as "
    "`changes`"
)


def render_catalog() -> str:
    sections = [_INTRO]
    for topic in sorted({rule_id.split(".")[0] for rule_id in CATALOG}):
        sections.append(f"## {topic}\n")
        sections.extend(_render(rule_) for rule_ in CATALOG.values() if rule_.id.startswith(f"{topic}."))
    return "\n".join(sections)


def _render(rule_: Rule) -> str:
    keys = ", ".join(f"`{key}`" for key in rule_.fields)
    applies = f"- **One key:** {ONE_KEY}\n" if rule_.mechanical else ""
    return (
        f"### `{rule_.id}` ({rule_.severity}, {rule_.stage})\n\n"
        f"{rule_.message}\n\n"
        f"- **Why:** {rule_.why}\n"
        f"- **Fix:** {rule_.fix}\n"
        f"{applies}"
        f"- **Keys:** {keys}\n"
    )


if __name__ == "__main__":
    print(render_catalog(), end="")
