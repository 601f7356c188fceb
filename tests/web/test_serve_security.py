"""`ft-tui serve` as a real server: a refused request gets 401/403 and starts no app process; the token is needed
on every HTTP and websocket request of a non-loopback bind, and written to no file. Traffic stays on 127.0.0.0/8:
the non-loopback bind is 0.0.0.0 (every interface), reached through 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import UserFolders
from tests.web.serving import Served, serve_command, serving, wait_until

GIVEN_TOKEN = "a-given-token-0123456789"


async def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers, allow_redirects=False) as reply:
        return reply.status


async def websocket_status(url: str, headers: dict[str, str] | None = None, origin: str | None = None) -> int:
    """101 when the websocket opened (then it is closed at once), else the refusal's status."""
    async with aiohttp.ClientSession() as session:
        try:
            socket = await session.ws_connect(url, headers=headers, origin=origin)
        except aiohttp.WSServerHandshakeError as error:
            return error.status
        await socket.close()
        return 101


async def session_cookie(served: Served, token: str) -> dict[str, str]:
    """What a browser holds after opening the printed URL: the session cookie (the 303 sets it)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{served.base()}/?token={token}", allow_redirects=False) as reply,
    ):
        assert reply.status == 303
        assert reply.headers["Location"] == "/"
        morsel = next(iter(reply.cookies.values()))
        assert token not in morsel.value
        assert morsel["httponly"] and morsel["samesite"] == "Strict"
        return {"Cookie": f"{morsel.key}={morsel.value}"}


async def assert_refused_everywhere(served: Served, token: str) -> None:
    base = served.base()
    wrong = "x" + token[1:]
    for path in ("/", "/static/js/textual.js", "/download/abc"):
        assert await status_of(f"{base}{path}") == 401, path
        assert await status_of(f"{base}{path}?token={wrong}") == 401, path
    assert await status_of(f"{base}/", {"Cookie": f"ft_tui_session_{served.port}={token}"}) == 401
    assert await websocket_status(f"ws://127.0.0.1:{served.port}/ws") == 401
    assert await websocket_status(f"ws://127.0.0.1:{served.port}/ws?token={wrong}") == 401
    await asyncio.sleep(1.0)  # an app process would be starting by now
    assert served.app_processes() == []


def files_holding(text: str, *folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*") if folder.exists() else ():
            if path.is_file() and text.encode() in path.read_bytes():
                found.append(path)
    return found


async def test_a_given_token_is_required_on_every_request_and_refusals_start_nothing(tmp_path: Path) -> None:
    with serving(tmp_path, "--token", GIVEN_TOKEN, host="0.0.0.0") as served:
        assert served.token == GIVEN_TOKEN
        await assert_refused_everywhere(served, GIVEN_TOKEN)
        cookie = await session_cookie(served, GIVEN_TOKEN)
        assert await status_of(f"{served.base()}/", cookie) == 200
        assert await status_of(f"{served.base()}/static/js/textual.js", cookie) == 200


async def test_a_generated_token_is_printed_once_and_opens_the_app(tmp_path: Path, user_folders: UserFolders) -> None:
    with serving(tmp_path, host="0.0.0.0") as served:
        token = served.token
        assert token is not None and len(token) >= 32
        await assert_refused_everywhere(served, token)
        cookie = await session_cookie(served, token)
        async with aiohttp.ClientSession() as session:
            socket = await session.ws_connect(f"ws://127.0.0.1:{served.port}/ws", headers=cookie)
            wait_until(lambda: served.app_processes(), 30, "the tab's app process")
            for process in served.app_processes():  # the token reaches no child: not its argv, not its environment
                assert token not in " ".join(process.cmdline())
                assert token not in "".join(f"{key}={value}" for key, value in process.environ().items())
            await socket.receive(timeout=30)  # the app drew something: it started for real
            await socket.close()
        wait_until(lambda: not served.app_processes(), 30, "the tab's app process to end")
        printed = "".join(served.output)
    assert printed.count(token) == 1
    held = files_holding(token, tmp_path, user_folders.config, user_folders.cache, user_folders.data)
    assert held == []


async def test_a_loopback_bind_needs_no_token(tmp_path: Path) -> None:
    with serving(tmp_path, host="127.0.0.2") as served:
        assert served.token is None
        assert await status_of(f"{served.base('127.0.0.2')}/") == 200
        assert await websocket_status(f"ws://127.0.0.2:{served.port}/ws") == 101
        wait_until(lambda: not served.app_processes(), 30, "the tab's app process to end")


@pytest.mark.parametrize("host", ["127.0.0.1"])
async def test_a_loopback_bind_refuses_other_sites_and_other_names(tmp_path: Path, host: str) -> None:
    """Another site's page may not drive the local app (cross-site websocket), nor a DNS name re-pointed at
    127.0.0.1 (DNS rebinding): 403, and no app process."""
    with serving(tmp_path, host=host) as served:
        ws = f"ws://127.0.0.1:{served.port}/ws"
        assert await websocket_status(ws, origin="http://evil.example") == 403
        assert await status_of(f"{served.base()}/", {"Host": f"evil.example:{served.port}"}) == 403
        assert await websocket_status(ws, headers={"Host": f"evil.example:{served.port}"}) == 403
        await asyncio.sleep(1.0)
        assert served.app_processes() == []
        assert await websocket_status(ws, origin=f"http://127.0.0.1:{served.port}") == 101


def test_a_busy_port_is_a_one_line_error_and_no_address_is_printed(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(serve_command("--port", str(port)), cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert "ft-tui serve: open" not in done.stdout
    assert f"error: cannot listen on 127.0.0.1 port {port}: Address already in use" in done.stderr
    assert "Traceback" not in done.stderr
