"""The access rules of `ft-tui serve` as pure functions: what counts as loopback, which token is asked for."""

from __future__ import annotations

import pytest

from engine.errors import UsageError
from tui.web.gate import _hostname, choose_token, is_loopback
from tui.web.server import app_command, page_url


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]", "localhost", "LocalHost"]
)
def test_loopback_addresses_are_only_reachable_from_this_machine(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "192.168.1.20", "gpu-box", "localhost.example.com"])
def test_every_other_address_or_name_counts_as_reachable_from_outside(host: str) -> None:
    assert not is_loopback(host)


def test_a_loopback_bind_asks_for_no_token_unless_given_one() -> None:
    assert choose_token("127.0.0.1", None) is None
    assert choose_token("127.0.0.2", "given-token-123") == "given-token-123"


def test_a_non_loopback_bind_gets_a_fresh_random_token() -> None:
    first, second = choose_token("0.0.0.0", None), choose_token("0.0.0.0", None)
    assert first is not None and second is not None
    assert first != second
    assert len(first) >= 32


def test_a_short_or_unprintable_token_is_refused_with_the_fix() -> None:
    for bad in ("short", "has space in it!!", ""):
        with pytest.raises(UsageError, match="at least 12 characters"):
            choose_token("0.0.0.0", bad)


@pytest.mark.parametrize(
    ("host", "name"), [("127.0.0.1:8000", "127.0.0.1"), ("[::1]:8000", "::1"), ("localhost", "localhost"), (None, "")]
)
def test_host_header_names(host: str | None, name: str) -> None:
    assert _hostname(host) == name


def test_the_app_command_never_carries_a_token(tmp_path) -> None:
    config = tmp_path / "my config.yml"
    assert app_command(config, None).startswith("exec ")
    assert app_command(config, None).endswith(f"-m tui.web.tab '{config}'")
    assert app_command(None, "smollm2-alpaca").endswith("-m tui.web.tab --preset smollm2-alpaca")
    assert "token" not in app_command(config, "x")


def test_the_printed_address() -> None:
    assert page_url("127.0.0.1", 8000, None) == "http://127.0.0.1:8000/"
    assert page_url("::1", 8001, "abc") == "http://[::1]:8001/?token=abc"
