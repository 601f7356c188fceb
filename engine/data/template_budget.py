"""Rendering a chat template someone else wrote, within a time and an output budget.

Chat templates come from configs and model folders other people wrote. transformers renders them in Jinja's
immutable sandbox (no file, attribute or mutation tricks), but the sandbox bounds neither time nor size: two nested
loops over `range(100000)` ran for as long as preprocessing was let run. Each render here must end within
TEMPLATE_SECONDS and print at most TEMPLATE_OUTPUT_CHARS, or the run stops with a message naming the template.
The time budget needs the process's main thread (a timer signal); elsewhere (a wizard worker thread) only the
output budget applies.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from engine.data.errors import DataError
from engine.errors import FtTuiError

TEMPLATE_SECONDS = 5.0
"""Longest one rendering may take: a real template renders a conversation in well under a millisecond."""
TEMPLATE_OUTPUT_CHARS = 16 * 2**20
"""Most characters one rendering may print: far beyond any sequence_len, and small enough to hold in memory."""


class TemplateBudgetError(DataError):
    """A chat template ran out of its time or output budget: every row would do the same, so the run stops."""


class _OutOfTime(FtTuiError):
    """Raised inside the rendering by the timer signal (caught there and turned into TemplateBudgetError)."""


def render_within_budget(render: Callable[[], str], template_name: str) -> str:
    """`render()`'s text, or TemplateBudgetError naming the template when it runs too long or prints too much."""
    try:
        with _time_budget(TEMPLATE_SECONDS):
            text = render()
    except _OutOfTime:
        raise TemplateBudgetError(
            f"the chat template {template_name} did not finish rendering one conversation within "
            f"{TEMPLATE_SECONDS:g} s (a loop that never ends?); fix the template or set chat_template: chatml"
        ) from None
    if len(text) > TEMPLATE_OUTPUT_CHARS:
        raise TemplateBudgetError(
            f"the chat template {template_name} printed {len(text):,} characters for one conversation, more than "
            f"{TEMPLATE_OUTPUT_CHARS:,}; fix the template or set chat_template: chatml"
        )
    return text


@contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    """Raise _OutOfTime in the main thread after `seconds`; a timer already running is restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def out_of_time(_signum: int, _frame: FrameType | None) -> None:
        raise _OutOfTime

    previous_handler = signal.signal(signal.SIGALRM, out_of_time)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            signal.setitimer(signal.ITIMER_REAL, previous_delay, previous_interval)
