"""Start `ft-tui serve` as a real process on a free loopback port, read the URL it prints, count its app children."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

URL_LINE = re.compile(r"ft-tui serve: open (\S+)")
START_SECONDS = 60.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    printed_url: str
    output: list[str]

    @property
    def token(self) -> str | None:
        found = re.search(r"\?token=(\S+)", self.printed_url)
        return found.group(1) if found else None

    def base(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def app_processes(self) -> list[psutil.Process]:
        """Every live process below the server (each tab's app, and the shell textual-serve starts it through)."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return [child for child in children if _alive(child)]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "serve", *args]


@contextmanager
def serving(cwd: Path, *args: str, host: str = "127.0.0.1", port: int | None = None) -> Iterator[Served]:
    """`ft-tui serve --host HOST --port PORT ARGS` in `cwd` until the block ends; then it and its children stop."""
    port = port or free_port()
    reach = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    process = subprocess.Popen(
        serve_command("--host", host, "--port", str(port), *args),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        yield _wait_for_url(process, reach, port)
    finally:
        stop_tree(process)


def _wait_for_url(process: subprocess.Popen[str], reach: str, port: int) -> Served:
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"ft-tui serve ended before printing its URL:\n{''.join(output)}")
        output.append(line)
        found = URL_LINE.search(line)
        if found:
            _wait_listening(reach, port)
            return Served(process, port, found.group(1), output)
    raise AssertionError(f"ft-tui serve printed no URL in {START_SECONDS}s:\n{''.join(output)}")


def _wait_listening(host: str, port: int) -> None:
    """The URL is printed on startup, a moment before the socket accepts."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {host}:{port}")


def stop_tree(process: subprocess.Popen[str]) -> None:
    """Stop the server and anything it left (app processes), never another test's processes."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for child in children:
        try:
            child.wait(timeout=10)
        except psutil.TimeoutExpired:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    if process.stdout is not None:
        process.stdout.close()


def wait_until(condition: object, seconds: float = 30.0, what: str = "condition") -> None:
    """Poll `condition()` until true; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")
