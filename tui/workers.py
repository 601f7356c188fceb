"""Blocking work (disk reads, starting a process that may wait for an old one) off the UI thread, with its result
or its failure handed back to the UI thread: the screen never freezes on it and an error is shown, never lost."""

from __future__ import annotations

from collections.abc import Callable
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

    `exclusive` cancels the group's earlier worker (a newer read of the same thing makes the older one moot).
    """
    app = node.app

    def run() -> None:
        try:
            result = work()
        except Exception as error:  # handed to `failed`, which shows it: a worker never dies silently
            post_to_ui(app, failed, error)
            return
        post_to_ui(app, then, result)

    return node.run_worker(run, thread=True, group=group, exclusive=exclusive, exit_on_error=False)
