"""The app process of one browser tab: the wizard, as `ft-tui` opens it, ended when its server goes.

textual-serve stops a tab's app when the tab closes, but an app whose server was killed (SIGKILL, a crash, an OOM
kill) would otherwise live on with no page, forever. The server starts this module with `exec`, so the server is
the parent; when the parent changes (the orphan is re-parented) the app quits. Runs it started are detached and
keep training.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual.app import App

PARENT_POLL_S = 1.0
EXIT_GRACE_S = 5.0


def end_with_parent(app: App[Any], parent: int) -> threading.Thread:
    """A daemon thread that quits `app` once this process's parent is no longer `parent`; if the app cannot quit
    cleanly within a few seconds (its output pipe is gone), the process ends anyway."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        # The app may not be running yet, or be stopping already: the hard exit below ends it either way.
        with contextlib.suppress(Exception):
            app.call_from_thread(app.exit)
        time.sleep(EXIT_GRACE_S)
        os._exit(0)

    thread = threading.Thread(target=watch, name="end-with-server", daemon=True)
    thread.start()
    return thread


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui.web.tab", description=__doc__)
    parser.add_argument("config", type=Path, nargs="?")
    parser.add_argument("--preset")
    args = parser.parse_args(argv)
    from tui.app import create_app

    app = create_app(args.preset, args.config)
    end_with_parent(app, os.getppid())
    return app.run() or 0


if __name__ == "__main__":
    raise SystemExit(main())
