"""A chat template someone else wrote cannot hang preprocessing or flood memory: it stops with the template named."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from engine.config import parse_config_dict
from engine.data import template_budget
from engine.data.formats import build_formatter
from engine.data.template_budget import TemplateBudgetError, render_within_budget

NESTED_LOOPS = (
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    "{% for m in messages %}{{ m.content }}{% endfor %}"
)
FLOOD = "{% for m in messages %}{{ m.content * 3000000 }}{% endfor %}"
ROW = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


def _formatter(template: str) -> Any:
    from tests.tiny import tiny_tokenizer

    config = parse_config_dict(
        {
            "base_model": "m",
            "datasets": [{"path": "d.jsonl", "type": "chat_template"}],
            "chat_template": "jinja",
            "chat_template_jinja": template,
        }
    )
    return build_formatter(config.datasets[0], config, tiny_tokenizer())


def test_a_template_that_never_ends_stops_naming_the_template(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(template_budget, "TEMPLATE_SECONDS", 0.5)
    with pytest.raises(TemplateBudgetError) as caught:
        _formatter(NESTED_LOOPS)(ROW)
    assert str(caught.value) == (
        "the chat template `jinja` (chat_template_jinja in the config) did not finish rendering one conversation "
        "within 0.5 s (a loop that never ends?); fix the template or set chat_template: chatml"
    )


def test_a_template_that_prints_too_much_stops_naming_the_template(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(template_budget, "TEMPLATE_OUTPUT_CHARS", 1_000_000)
    with pytest.raises(
        TemplateBudgetError,
        match=r"the chat template `jinja` \(chat_template_jinja in the config\) "
        r"printed [\d,]+ characters for one conversation, more than 1,000,000",
    ):
        _formatter(FLOOD)(ROW)


def test_a_good_template_renders_and_the_timer_is_given_back() -> None:
    before = signal.getsignal(signal.SIGALRM)
    assert render_within_budget(lambda: "text", "`chatml`") == "text"
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    samples = _formatter("{% for m in messages %}{{ m.content }}\n{% endfor %}")(ROW)
    assert samples and len(samples[0][0]) == len(samples[0][1])
