"""Who may reach `ft-tui serve`: loopback binds are open to this machine, any other bind needs the access token.

Every HTTP and websocket request passes the gate before a handler runs, so a refused request never starts an app
process. The token arrives once in the URL (`/?token=...`); the answer moves it into an HttpOnly cookie holding a
value derived from it (never the token itself) and sends the browser to the bare address, so the token leaves the
address bar. Two browser attacks on a local server are closed too: another site's page opening our websocket
(the Origin must be our own address) and a DNS name re-pointed at 127.0.0.1 (a loopback bind answers only to
loopback host names).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from engine.errors import UsageError

TOKEN_PARAMETER = "token"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]{12,}")
"""Characters a URL carries unescaped; 12 or more of them (a generated token has 32)."""
SESSION_LABEL = b"ft-tui serve session"


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach: all of 127.0.0.0/8, ::1 and the name `localhost`.

    Any other name counts as reachable from outside: it may resolve to any address, and 0.0.0.0 or :: listen on
    every interface.
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def choose_token(host: str, given: str | None) -> str | None:
    """The token the server will ask for: the given one, a random one for a non-loopback bind, else none."""
    if given is not None:
        if not TOKEN_PATTERN.fullmatch(given):
            raise UsageError(
                "--token must be at least 12 characters from A-Z a-z 0-9 . _ ~ -",
                fix="leave --token out and a random one is made and printed",
            )
        return given
    return None if is_loopback(host) else secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Gate:
    """The access rules of one server; `token` None means no token is asked (loopback binds only)."""

    token: str | None
    loopback: bool
    port: int

    @property
    def cookie_name(self) -> str:
        """Per port: cookies ignore ports, and two servers on one host must not overwrite each other's."""
        return f"ft_tui_session_{self.port}"

    def session_value(self) -> str:
        """What the cookie holds: derived from the token, so the browser's cookie store never holds the token."""
        assert self.token is not None
        return hmac.new(self.token.encode(), SESSION_LABEL, hashlib.sha256).hexdigest()

    def token_given(self, request: web.Request) -> bool:
        """The token in the query (compared in constant time)."""
        assert self.token is not None
        return hmac.compare_digest(request.query.get(TOKEN_PARAMETER, "").encode(), self.token.encode())

    def session_given(self, request: web.Request) -> bool:
        return hmac.compare_digest(request.cookies.get(self.cookie_name, "").encode(), self.session_value().encode())

    def refusal(self, request: web.Request) -> web.Response | None:
        """Why `request` may not pass (a 401 or 403 response), or None when it may."""
        if self.loopback and not is_loopback(_hostname(request.host)):
            return web.Response(status=403, text="ft-tui serve: this server answers only to localhost addresses\n")
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            return web.Response(status=403, text="ft-tui serve: requests from another site's page are refused\n")
        if self.token is not None and not (self.token_given(request) or self.session_given(request)):
            return web.Response(
                status=401,
                text="ft-tui serve: open the address with the access token that `ft-tui serve` printed (?token=...)\n",
            )
        return None

    def middleware(self) -> Middleware:
        @web.middleware
        async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
            refused = self.refusal(request)
            if refused is not None:
                return refused
            if self.token is not None and request.path == "/" and TOKEN_PARAMETER in request.query:
                return self._enter(request)
            return await handler(request)

        return gate

    def _enter(self, request: web.Request) -> web.Response:
        """The page's address with its token: set the session cookie and reload without the token."""
        query = request.rel_url.query.copy()
        del query[TOKEN_PARAMETER]
        response = web.HTTPSeeOther(request.rel_url.with_query(query))
        response.set_cookie(self.cookie_name, self.session_value(), httponly=True, samesite="Strict", path="/")
        return response


def _hostname(host: str | None) -> str:
    """`127.0.0.1:8000` -> `127.0.0.1`, `[::1]:8000` -> `::1`, `localhost` -> `localhost`."""
    host = host or ""
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
