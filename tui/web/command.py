"""The `ft-tui serve` command line: its arguments and the checks made before the server starts.

Importing this module stays cheap (no aiohttp, no textual-serve) so `ft-tui --help` stays instant.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from engine.cli.report import report_error
from engine.doctor.compat import TEXTUAL_SERVE_INSTALL
from engine.errors import FtTuiError, UsageError
from engine.presets import config_path

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def add_serve_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="the wizard and monitor as a web page (each browser tab runs its own app)",
        description=(
            "Serve the guided setup as a web page through textual-serve. It listens on this machine only unless "
            "--host says otherwise; from a laptop, the safe way is an SSH tunnel: "
            "`ssh -L 8000:localhost:8000 gpu-box`, then open http://localhost:8000/. Any other address needs the "
            "access token, which is printed once as part of the URL. Runs started from a page keep training when "
            "the tab closes; a new tab finds them in the runs list (Ctrl+O)."
        ),
    )
    serve.add_argument("config", type=config_path, nargs="?", help="a YAML config every tab opens on")
    serve.add_argument("--preset", help="open every tab on this preset (see `ft-tui presets list`)")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    serve.add_argument(
        "--token",
        help="the access token to ask for (default: a random one when --host is not a loopback address; "
        "a token typed here is visible to other users of this machine in the process list)",
    )
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Check everything a tab would trip over (the config, the preset, the token) before listening."""
    try:
        from tui.web.gate import Gate, choose_token, is_loopback
        from tui.web.server import WebServer, app_command
    except ImportError as error:
        return report_error(
            UsageError(f"ft-tui serve needs textual-serve ({error.name} is missing)", fix=TEXTUAL_SERVE_INSTALL)
        )
    config: Path | None = args.config
    try:
        _check_start(args.preset, config)
        token = choose_token(args.host, args.token)
    except FtTuiError as error:
        return report_error(error)
    server = WebServer(
        app_command(config, args.preset), args.host, args.port, Gate(token, is_loopback(args.host), args.port)
    )
    try:
        server.serve()
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        fix = "choose another --port, or stop what listens there"
        return report_error(UsageError(f"cannot listen on {args.host} port {args.port}: {reason}", fix=fix))
    return 0


def _check_start(preset: str | None, config: Path | None) -> None:
    """The config or preset every tab opens on loads; else the same one-line error the terminal wizard gives."""
    if config is not None and not config.exists():
        raise UsageError(f"{config}: no such file", fix="to serve the start screen, run `ft-tui serve` alone")
    from tui.app import load_initial_state

    load_initial_state(preset, config)
