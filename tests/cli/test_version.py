"""`ft-tui --version` answers with the installed version."""

from __future__ import annotations

import pytest

from tui.cli import main


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"ft-tui {version('ft-tui')}"
