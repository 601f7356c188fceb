"""Is a run's process alive, and how to ask it to stop: pids checked against reuse, signals sent to the group."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

_children: dict[int, subprocess.Popen[bytes]] = {}
"""Engines this process launched. Polling them reaps the ones that exited, so they never linger as zombies."""


def adopt_child(process: subprocess.Popen[bytes]) -> None:
    """Keep the Popen object, so the exit of a detached engine started from a long-lived TUI is noticed."""
    _children[process.pid] = process


def start_token(pid: int) -> str | None:
    """The process start time from /proc (Linux), which tells a live run from a new process reusing its pid.

    None where /proc is absent (macOS): liveness then rests on the pid alone.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def command_line(pid: int) -> list[str] | None:
    """The process's arguments from /proc (Linux), or None where they cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode(errors="replace").split("\0")[:-1] if raw else None


def parent_of(pid: int) -> int | None:
    """The parent pid from /proc (Linux), or None where it cannot be read."""
    if pid == os.getpid():
        return os.getppid()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    return int(fields[1]) if len(fields) > 1 else None


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[-1].split()
    return bool(fields) and fields[0] == "Z"


def is_alive(pid: int | None, token: str | None = None) -> bool:
    """True while the process runs; a zombie, a missing pid or a reused pid (other start time) count as dead."""
    if pid is None or pid <= 0:
        return False
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if _is_zombie(pid):
        return False
    current = start_token(pid)
    return token is None or current is None or current == token


def send_stop(pid: int, sig: signal.Signals = signal.SIGTERM) -> None:
    """SIGTERM (or `sig`) to the engine's process group (its data-loader workers included), never to our own group.

    A detached engine leads its own session, so its group id is its pid; an engine started in the foreground of a
    shell may share our group, and then only the engine itself is signalled.
    """
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return
    if group == os.getpgid(0):
        os.kill(pid, sig)
    else:
        os.killpg(group, sig)


def child_pids(pid: int) -> list[int]:
    """The direct children of `pid`, from /proc (empty where /proc is absent)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[1] == str(pid):
            children.append(int(stat.parent.name))
    return sorted(children)


def stop_workers(launcher_pid: int, sig: signal.Signals = signal.SIGTERM) -> bool:
    """SIGTERM (or `sig`) to each worker a launcher (torchrun) started, each in its own session with its loader
    workers.

    False when no worker was found (not started yet, or no /proc): the caller then signals the launcher.
    """
    workers = child_pids(launcher_pid)
    for worker in workers:
        send_stop(worker, sig)
    return bool(workers)
