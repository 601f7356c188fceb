"""The TUI's one way to run work in the background: every worker starts here, and its failure reaches one place.

Blocking work (disk reads, starting a process that may wait for an old one) runs in a thread worker; a loop that
waits on the event loop (the monitor's tail of a run folder) runs in an async worker. Either way the worker's
result or its failure is handed back on the UI thread: the screen never freezes on it, and an error is shown,
never lost. Textual would otherwise report a worker's error as a Worker.StateChanged that each screen must
remember to handle (or, with `exit_on_error`, end the app); here the two starters below catch it, and a caller
cannot start a worker without saying what its failure does. tests/test_one_owner.py forbids `run_worker`,
`@work` and threads elsewhere in tui/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from textual.app import App
from textual.dom import DOMNode
from textual.worker import Worker

T = TypeVar("T")


def post_to_ui(app: App[Any], callback: Callable[..., Any], *args: Any) -> None:
    """From a worker thread, run `callback(*args)` on the UI thread; once the app has closed there is nobody to
    tell, so nothing happens."""
    if not app.is_running:
        return
    try:
        app.call_from_thread(callback, *args)
    except RuntimeError:  # the app closed between the check and the call
        return


def in_background(
    node: DOMNode,
    work: Callable[[], T],
    then: Callable[[T], Any],
    failed: Callable[[Exception], Any],
    *,
    group: str,
    exclusive: bool = True,
) -> Worker[None]:
    """Run `work` in a thread worker of `node`; `then(result)` or `failed(error)` runs on the UI thread after it.

    `exclusive` cancels the group's earlier worker (a newer read of the same thing makes the older one moot); the
    work can see that through textual.worker.get_current_worker().is_cancelled.
    """
    app = node.app

    def run() -> None:
        outcome = _ended(work, then, failed)
        post_to_ui(app, outcome[0], *outcome[1:])

    return node.run_worker(run, thread=True, group=group, exclusive=exclusive, exit_on_error=False)


def loop_in_background(
    node: DOMNode,
    loop: Callable[[], Awaitable[None]],
    failed: Callable[[Exception], Any],
    *,
    group: str,
) -> Worker[None]:
    """Run the coroutine `loop()` in an async worker of `node` (on the UI's event loop, so it can be cancelled,
    which a thread cannot); `failed(error)` runs if it raises. Cancelling it (a newer loop of the same group, the
    screen closing) is not a failure."""

    async def run() -> None:
        try:
            await loop()
        except Exception as error:  # the one place an async worker's failure goes: to its caller's `failed`
            failed(error)

    return node.run_worker(run, group=group, exclusive=True, exit_on_error=False)


def _ended(
    work: Callable[[], T], then: Callable[[T], Any], failed: Callable[[Exception], Any]
) -> tuple[Callable[..., Any], Any]:
    """Run `work` and say which callback gets what: `then` its result, or `failed` the error it raised."""
    try:
        return then, work()
    except Exception as error:  # handed to `failed`, which shows it: a worker never dies silently
        return failed, error
