"""The e2e hang guards are derived, not picked: each is the time its work takes on 2 idle cores times the stated
slowdown under a load of 4 on 2 cores and a margin (tests/e2e/test_persona.py `_guard_s`), so a guard cannot be
set by arithmetic on one machine's timings (1,800 s once fired on a loaded machine and took three tests along)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PERSONA = ROOT / "tests" / "e2e" / "test_persona.py"


def _assignments(tree: ast.Module) -> dict[str, ast.expr]:
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def test_every_guard_is_its_works_idle_time_through_the_load_formula() -> None:
    values = _assignments(ast.parse(PERSONA.read_text(encoding="utf-8")))
    guards = {name: value for name, value in values.items() if name.endswith("_GUARD_S")}
    assert guards, "the persona e2e test has hang guards"
    for name, value in guards.items():
        idle = name.removesuffix("_GUARD_S") + "_IDLE_S"
        assert ast.unparse(value) == f"_guard_s({idle})", f"{name} must be _guard_s({idle})"
        assert idle in values
    formula = ast.unparse(values["LOAD_4_SLOWDOWN"]), ast.unparse(values["GUARD_MARGIN"])
    assert all(float(number) >= 2 for number in formula), "fair sharing alone makes a load of 4 twice as slow"


def test_every_subprocess_of_the_e2e_tests_has_a_derived_guard() -> None:
    """No `timeout=` literal: each subprocess's limit is one of the derived guards."""
    for source in (ROOT / "tests" / "e2e").glob("test_*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in ("timeout", "guard_s"):
                assert not isinstance(node.value, ast.Constant), f"{source.name}: a literal {node.arg}"
