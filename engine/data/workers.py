"""Tokenizing in worker processes the engine owns: they leave stopping to their parent and die with it.

`datasets.map(num_proc=N)` runs a multiprocessing pool that cannot be stopped cleanly: forked workers inherit the
parent's signal handlers (a terminal's Ctrl-C, sent to the whole group, gave a traceback per worker), the pool's
shutdown terminates workers with SIGTERM and waits for them, and a worker killed while it holds the pool's queue
lock deadlocks that shutdown. A killed parent left its workers running, holding memory.

So the rows are cut into contiguous shards and each shard is mapped in a plain forked process that writes its
result to an Arrow file. A worker ignores SIGINT and SIGTERM (the parent decides what a stop means) and dies with
its parent (Linux: PR_SET_PDEATHSIG; elsewhere a thread watching the parent pid). On a stop the parent kills its
workers with SIGKILL, waits for them and re-raises: nothing is shared, so nothing can deadlock.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from engine.errors import FtTuiError, one_line

PR_SET_PDEATHSIG = 1
"""prctl option (linux/prctl.h): the signal a process gets when its parent exits."""

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
WATCH_INTERVAL_S = 1.0

ShardFunction = Callable[[Any, int], Any]
"""(shard, offset of its first row) -> the mapping function for that shard."""


class WorkerError(FtTuiError):
    """A worker process failed; the message is its exception's first line."""


def map_in_workers(raw: Any, make_function: ShardFunction, processes: int, **map_kwargs: Any) -> Any:
    """`raw.map(make_function(shard, offset), **map_kwargs)` over `processes` contiguous shards, one process each.

    Returns the shards' results concatenated in order. A KeyboardInterrupt (the stop handler's) kills the workers
    before it propagates.
    """
    import datasets
    from datasets.fingerprint import get_temporary_cache_files_directory

    folder = Path(get_temporary_cache_files_directory())  # removed by datasets when this process exits
    shards = [raw.shard(num_shards=processes, index=i, contiguous=True) for i in range(processes)]
    offsets = [sum(len(s) for s in shards[:i]) for i in range(processes)]
    outputs = [folder / f"shard-{os.getpid()}-{i}.arrow" for i in range(processes)]
    pids = []
    try:
        for shard, offset, output in zip(shards, offsets, outputs, strict=True):
            function = make_function(shard, offset)
            pids.append(_fork(partial(_map_shard, shard, function, output, map_kwargs), output))
        failures = [_error_of(output) for pid, output in zip(pids, outputs, strict=True) if _wait(pid) != 0]
    except BaseException:
        _kill(pids)
        raise
    if failures:
        raise WorkerError(failures[0])
    return datasets.concatenate_datasets([datasets.Dataset.from_file(str(output)) for output in outputs])


def _map_shard(shard: Any, function: Any, output: Path, map_kwargs: dict[str, Any]) -> None:
    shard.map(function, cache_file_name=str(output), **map_kwargs)


def _fork(work: Callable[[], None], output: Path) -> int:
    """Start `work` in a forked child; stop signals are blocked across the fork, so none reaches the parent's
    handler inside the child before the child ignores them."""
    parent = os.getpid()
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        pid = os.fork()
        if pid == 0:
            _run_child(work, parent, output)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    return pid


def _run_child(work: Callable[[], None], parent: int, output: Path) -> None:
    """Never returns: the child exits with 0 after `work`, or 1 after writing its error beside its output."""
    code = 1
    try:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        _die_with_parent(parent)
        work()
        code = 0
    except BaseException as error:  # the parent reports it; a child must never return into the parent's code
        output.with_suffix(".error").write_text(one_line(error), encoding="utf-8")
    finally:
        os._exit(code)


def _error_of(output: Path) -> str:
    error = output.with_suffix(".error")
    return error.read_text(encoding="utf-8") if error.exists() else "a tokenizing worker process died"


def _wait(pid: int) -> int:
    """The child's exit code (a signal's death counts as non-zero)."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            continue


def _die_with_parent(parent: int) -> None:
    if not (sys.platform.startswith("linux") and _set_parent_death_signal()):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(1)


def _set_parent_death_signal() -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL_S)
    os._exit(1)
