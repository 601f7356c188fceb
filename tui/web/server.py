"""The web server of `ft-tui serve`: textual-serve's Server behind the access gate, one app process per tab.

textual-serve starts the app command for each browser tab that connects its websocket and stops it when the tab
goes. Runs started from a tab are the launcher's usual detached runs, so a closed tab never stops one; a new tab
finds it in the runs list.
"""

from __future__ import annotations

import logging
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

from tui.web.gate import Gate

TITLE = "ft-tui"


def app_command(config: Path | None, preset: str | None) -> str:
    """The shell command textual-serve runs for each tab: `exec` makes the app the server's own child (so it can
    tell when the server is gone, see tui.web.tab); it never carries the token."""
    command = [sys.executable, "-m", "tui.web.tab"]
    if config is not None:
        command.append(str(config.resolve()))
    elif preset is not None:
        command += ["--preset", preset]
    return "exec " + shlex.join(command)


def page_url(host: str, port: int, token: str | None) -> str:
    """The address to open: `http://HOST:PORT/`, with `?token=` when the server asks for one."""
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):  # every interface: the machine's name is what another machine would type
        shown = socket.gethostname()
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


class WebServer(Server):
    """textual-serve's Server with the gate on every route, page addresses taken from the request (so an SSH tunnel
    on another local port works), quiet logs (no access log: it would print the token's URL again)."""

    def __init__(self, command: str, host: str, port: int, gate: Gate) -> None:
        super().__init__(command, host=host, port=port, title=TITLE)
        self.gate = gate

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.gate.middleware())
        return app

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, pointing its scripts and websocket at the address the browser used."""
        base = f"{request.scheme}://{request.host}"
        websocket = "wss" if request.scheme == "https" else "ws"
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{websocket}://{request.host}{request.app.router['websocket'].url_for()}",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: textual-serve's banner would go here; the address is printed once listening (`_announce`)."""

    def _announce(self, _aiohttp_line: str) -> None:
        """The one place the address (with the token, if any) is shown: after the port is bound, never before."""
        self.console.print(
            f"ft-tui serve: open {page_url(self.host, self.port, self.gate.token)}", highlight=False, soft_wrap=True
        )
        if self.gate.token is not None:
            self.console.print("Anyone with this address can use ft-tui as you; keep it private.", highlight=False)
        self.console.print("Each browser tab runs its own wizard. Press Ctrl+C to stop serving.", highlight=False)

    def serve(self, debug: bool = False) -> None:
        """Serve until Ctrl+C or SIGTERM (runs started from the page keep training)."""
        self.debug = debug
        self.initialize_logging()
        logging.getLogger().setLevel(logging.WARNING)
        web.run_app(self._make_app(), host=self.host, port=self.port, access_log=None, print=self._announce)
