"""Findings from the rule catalog, rendered the same way on every step and on the review screen."""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content
from textual.widgets import Static

from engine.rules import Finding

SEVERITY_STYLE = {
    "error": ("✗", "$text-error bold"),
    "warning": ("!", "$text-warning bold"),
    "auto": ("·", "$text-accent"),
    "note": ("·", "$text-muted"),
}
SEVERITY_WORD = {"error": "error", "warning": "warning", "auto": "auto-set", "note": "note"}


def finding_line(finding: Finding, accepted: bool = False) -> Content:
    """`✗ message` in the severity's colour; an accepted warning says so."""
    mark, style = SEVERITY_STYLE[finding.severity]
    suffix = " (accepted)" if accepted else ""
    return Content.assemble((f"{mark} {SEVERITY_WORD[finding.severity]}: ", style), finding.message + suffix)


def finding_detail(finding: Finding) -> Content:
    """The message with the rule's why and fix, for the help panel and the review screen."""
    return Content.assemble(
        finding_line(finding),
        "\n",
        ("why: ", "bold"),
        finding.why,
        "\n",
        ("fix: ", "bold"),
        (finding.fix, "$text-success"),
        ("  [" + finding.rule_id + "]", "$text-muted"),
    )


class FindingsList(Static):
    """One line per finding, errors first; an empty list says so, so silence never looks like a bug."""

    DEFAULT_CSS = """
    FindingsList { height: auto; padding: 0 1; }
    """

    def show(
        self, findings: Iterable[Finding], accepted: frozenset[str] = frozenset(), *, detail: bool = False
    ) -> None:
        items = list(findings)
        if not items:
            self.update(Content.assemble(("✓ no problems found on this step", "$text-success")))
            return
        parts = [finding_detail(f) if detail else finding_line(f, f.rule_id in accepted) for f in items]
        self.update(Content("\n\n" if detail else "\n").join(parts))
