"""Findings from the rule catalog, rendered the same way on every step and on the review screen."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from engine.rules import Finding, describe_changes
from tui.widgets.wrap import wrap_content

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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._content = Content("")

    def show(
        self, findings: Iterable[Finding], accepted: frozenset[str] = frozenset(), *, detail: bool = False
    ) -> None:
        items = list(findings)
        if not items:
            self._content = Content.assemble(("✓ no problems found on this step", "$text-success"))
        else:
            parts = [finding_detail(f) if detail else finding_line(f, f.rule_id in accepted) for f in items]
            self._content = Content("\n\n" if detail else "\n").join(parts)
        self._draw()

    def on_resize(self, _event: events.Resize) -> None:
        self._draw()  # its line breaks depend on the width

    def _draw(self) -> None:
        self.update(wrap_content(self._content, self.content_region.width))


class FixButtons(Vertical):
    """An "Apply: key → value" button under the findings for each one whose fix is a config change (the rule's
    `changes`), so a fix is one press instead of retyping it. Pressing one posts `Apply`; the step applies it."""

    DEFAULT_CSS = """
    FixButtons { height: auto; padding: 0 1; }
    FixButtons > Button { width: 100%; height: auto; margin: 0 0 0 0; }
    """

    class Apply(Message):
        """The user asked to apply this finding's fix."""

        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[Finding, ...] = ()

    def show(self, findings: Iterable[Finding]) -> None:
        """One button per fixable finding; the buttons are rebuilt only when that list changes, so typing in a
        field does not re-mount them (and focus never jumps) on every edit."""
        fixable = tuple(finding for finding in findings if finding.changes or finding.retarget)
        if fixable == self._shown:
            return
        self._shown = fixable
        self.remove_children()
        self.mount_all(FixButton(finding) for finding in fixable)
        self.display = bool(fixable)

    @property
    def fixes(self) -> tuple[Finding, ...]:
        """The findings a button is shown for, in order (the first is what Ctrl+F applies)."""
        return self._shown

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if isinstance(event.button, FixButton):
            self.post_message(self.Apply(event.button.finding))


class FixButton(Button):
    """A button that applies one finding's fix."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(fix_label(finding), compact=True, classes="apply-fix", tooltip=finding.fix)
        self.finding = finding


def fix_label(finding: Finding) -> str:
    """`Apply: eval_sample_packing → false`, or `Train on: a CUDA GPU` for a fix that declares the target."""
    if finding.retarget:
        return "Train on: a CUDA GPU" if finding.retarget == "cuda" else f"Train on: {finding.retarget}"
    return "Apply: " + describe_changes(finding.changes, " → ")
