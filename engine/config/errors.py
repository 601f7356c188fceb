"""Errors a user can cause with a config, each carrying the one-line messages we show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from engine.errors import EXIT_USAGE, FtTuiError


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config: where (key path and line), what, and how to fix it."""

    key: str
    message: str
    fix: str = ""
    line: int | None = None

    def one_line(self) -> str:
        """`line 12: lora_rr: unknown key; did you mean lora_r?`, the form every front end prints."""
        where = f"line {self.line}: " if self.line else ""
        key = f"{self.key}: " if self.key else ""
        fix = f" ({self.fix})" if self.fix else ""
        return f"{where}{key}{self.message}{fix}"


class ConfigError(FtTuiError):
    """The config has the wrong shape: unknown keys or values of the wrong type. Exit code 1 (as `validate`'s
    errors); a command prints one line per problem."""

    def __init__(self, problems: list[ConfigProblem], source: str = "config", *, fix: str | None = None) -> None:
        self.problems = problems
        self.source = source
        super().__init__("\n".join(p.one_line() for p in problems), fix=fix)

    def lines(self) -> list[str]:
        return [problem.one_line() for problem in self.problems]


class ConfigFileError(FtTuiError):
    """The config file cannot be read or is not valid YAML. Exit code 2."""

    exit_code: ClassVar[int] = EXIT_USAGE


class ConfigTooLargeError(ConfigFileError):
    """YAML (a file or a command-line value) nested or expanding past the readers' limits: refused before it is
    built, so a few bytes cannot take the machine's memory or the parser's stack. Exit code 2."""
