"""Rich rendering shared by the headless commands: consoles and the findings list."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from engine.config import ConfigError, ConfigFileError
from engine.rules import Finding

_STYLE = {"error": "bold red", "warning": "yellow", "auto": "cyan", "note": "dim"}
_TITLE = {"error": "Errors", "warning": "Warnings", "auto": "Set automatically", "note": "Notes"}


def console(stderr: bool = False) -> Console:
    """A console that wraps to the terminal. Into a file or pipe, tables and panels lay out at 100 columns but
    plain lines are never wrapped, so a one-line error stays one line for whoever reads or greps it."""
    terminal = Console(stderr=stderr).is_terminal
    return Console(stderr=stderr, width=None if terminal else 100, soft_wrap=not terminal)


def print_findings(out: Console, findings: list[Finding]) -> None:
    """Findings grouped by severity, each with its why and its fix; a one-line verdict last."""
    for severity in ("error", "warning", "auto", "note"):
        group = [finding for finding in findings if finding.severity == severity]
        if not group:
            continue
        out.print(f"\n[{_STYLE[severity]}]{_TITLE[severity]} ({len(group)})[/]", highlight=False)
        for finding in group:
            out.print(f"  [{_STYLE[severity]}]{finding.rule_id}[/]: {escape(finding.message)}", highlight=False)
            out.print(_indented("why: ", finding.why))
            out.print(_indented("fix: ", finding.fix))
    errors = sum(finding.severity == "error" for finding in findings)
    warnings = sum(finding.severity == "warning" for finding in findings)
    verdict = "[bold red]not ready to train[/]" if errors else "[bold green]ready to train[/]"
    out.print(f"\n{verdict}: {errors} error(s), {warnings} warning(s)", highlight=False)


def _indented(label: str, text: str) -> Padding:
    """Wrapped lines stay under their label instead of running back to the left margin."""
    return Padding(Text.assemble((label, "dim"), text), (0, 0, 0, 4))


def report_config_error(error: ConfigFileError | ConfigError) -> int:
    """Print a config problem on stderr, one line per problem; the exit code every command uses for it:
    2 when the file cannot be read, 1 when its content is wrong (as `ft-tui validate`)."""
    out = console(stderr=True)
    problems = [p.one_line() for p in error.problems] if isinstance(error, ConfigError) else [str(error)]
    for problem in problems:
        out.print(f"[bold red]error[/]: {escape(problem)}", highlight=False)
    return 2 if isinstance(error, ConfigFileError) else 1


def quiet_libraries() -> None:
    """Our own one-line progress replaces the libraries' loading bars and advice on stderr."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
