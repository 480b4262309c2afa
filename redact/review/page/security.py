"""Who may talk to the review server: this machine's browser, holding this run's token.

The server listens on 127.0.0.1 only. On top of that, every request must carry the session
cookie (HttpOnly, SameSite=Strict, named after the port so two reviews on one machine do not
overwrite each other's) that the one-time token in the printed address is traded for: the
token works once, so an address read off a process list or a shared screen is already spent.
A ``Host`` other than the loopback address and port is refused,
so a web page that rebinds its DNS name to 127.0.0.1 cannot reach it; writes must come from
the page's own origin. Every response forbids loading anything from elsewhere (CSP).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...i18n import _

COOKIE = "redact_review_{port}"
CSP = (
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class Guard:
    """ASGI middleware: refuses what does not come from this run's page (403) and sets the
    headers every response carries."""

    def __init__(self, app: ASGIApp, port: int):
        self.app, self.port = app, port
        self.cookie = COOKIE.format(port=port)
        self.tokens: set[str] = set()  # handed out, not yet used
        self.sessions: set[str] = set()  # cookies given for a token: never shown, never in a URL
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}

    def new_token(self) -> str:
        """A token for one browser to open the page with (it works once)."""
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the page uses none: nothing to accept
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if host not in self.hosts:
            refused = _("this server answers only to 127.0.0.1:{port}, not {host!r}").format(port=self.port, host=host)
            await _refuse(refused)(scope, receive, send)
            return
        if scope["method"] in WRITES:
            origin = headers.get("origin")
            if origin != f"http://{host}" or headers.get("sec-fetch-site", "same-origin") not in (
                "same-origin",
                "none",
            ):
                await _refuse(_("writes are taken only from the review page itself"))(scope, receive, send)
                return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        token = self._spend(query.get("token", ""))
        if token:
            # trade the token for a cookie and drop it from the address bar (and history)
            session = secrets.token_urlsafe(32)
            self.sessions.add(session)
            rest = urlencode({k: v for k, v in query.items() if k != "token"})
            response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), status_code=303)
            response.set_cookie(self.cookie, session, httponly=True, samesite="strict", path="/")
            await _with_headers(response)(scope, receive, send)
            return
        if not self._known(_cookie(headers, self.cookie)):
            why = (
                _(
                    "this address was used already (its token works once): go on in the browser that opened it,"
                    " or restart `redact review` for a new one"
                )
                if "token" in query
                else _("open the address `redact review` printed (it holds this session's token)")
            )
            await _refuse(why)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *_security_headers(scope["path"])]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _spend(self, given: str) -> bool:
        """Whether ``given`` is an unused token (it is used up now)."""
        for token in list(self.tokens):
            if _same(given, token):
                self.tokens.discard(token)
                return True
        return False

    def _known(self, given: str) -> bool:
        return any(_same(given, session) for session in self.sessions)


def _same(given: str, secret: str) -> bool:
    """Constant-time comparison of what a request sent (any characters) with a secret."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), secret.encode())


def _cookie(headers: Headers, name: str) -> str:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _security_headers(path: str) -> list[tuple[bytes, bytes]]:
    # the court report is a self-contained file made to be read anywhere: its own styles, no script
    csp = REPORT_CSP if path.endswith("/report") else CSP
    found = [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-resource-policy", b"same-origin"),
    ]
    if path.startswith("/api/"):
        found.append((b"cache-control", b"no-store"))  # frames of the evidence stay out of caches
    return found


def _with_headers(response):
    for name, value in _security_headers("/"):
        response.headers[name.decode()] = value.decode()
    return response


def _refuse(why: str) -> JSONResponse:
    return _with_headers(JSONResponse({"error": why}, status_code=403))
