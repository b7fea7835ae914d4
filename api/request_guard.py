"""Checks made on every request before a route reads its body: who is asking, and how big the body may be.

FastAPI parses a body before it solves the route's dependencies, so an unauthenticated 32 MB body (or malformed JSON)
used to be read and parsed before its 401. This ASGI middleware runs first:

1. a NUL anywhere in the path or query is a 422 (PostgreSQL text cannot hold one; SQLite and PostgreSQL must agree);
2. a client that failed to authenticate too often gets 429 (api/limits.py), whatever credential it sends;
   then the caller must present the credential the route family needs (the precise scope is still checked by the route's
   dependency): the API key or the pages' session cookie on `/api/...`, the agent key or a dialer-issued credential
   on `/api/agent/...`, LiveKit's signed JWT on the webhook (verified before its body is read);
3. a body is capped per route: a `Content-Length` over the cap is refused (413) unread, and a body that streams
   past its cap is cut off at the cap.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect

from api.limits import ApiLimits, retry_after_header
from api.web import session as web_session
from dialer import credentials
from dialer.ratelimit import Verdict
from dialer.store.retry import database_unavailable

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

KB = 1024
WEBHOOK_PATH = "/api/livekit/webhook"
WEBHOOK_CLAIMS = "livekit_webhook_claims"  # where in the request's state the verified webhook claims are left
WEBHOOK_UNSIGNED = "webhook signature is missing or does not match (LiveKit signs every webhook)"
DATABASE_UNAVAILABLE = "the database is unavailable right now; try again shortly"
MB = 1024 * KB
DEFAULT_BODY_LIMIT = 64 * KB
# (method, path prefix) → the largest body accepted; the first match wins, so longer prefixes come first.
BODY_LIMITS: tuple[tuple[str, str, int], ...] = (
    ("POST", "/api/candidates/bulk", 32 * MB),  # 10,000 records
    ("POST", "/api/candidates", 1 * MB),  # one record with up to 100 fields
    ("POST", "/api/batches", 1 * MB),  # up to 10,000 candidate ids
    ("POST", "/api/livekit/webhook", 1 * MB),  # LiveKit's events are a few KB
    ("POST", "/api/agent/calls/", 2 * MB),  # a transcript: 200 turns of up to 5,000 characters
)


def body_limit(method: str, path: str) -> int:
    for limit_method, prefix, limit in BODY_LIMITS:
        if method == limit_method and path.startswith(prefix):
            return limit
    return DEFAULT_BODY_LIMIT


@dataclass(frozen=True)
class GuardKeys:
    """What the guard compares against; read from the runtime's settings on each request (tests may swap them)."""

    api_key: str
    agent_api_key: str
    secret_key: str
    webhook_claims: Callable[[str], Any | None]  # LiveKit's JWT verified (signature, issuer, expiry): its claims, or None


def error_body(status: int, detail: str, *, loc: list[str | int] | None = None) -> dict[str, Any]:
    """The one error shape (api/errors.py uses it too): a sentence, and the same as a list of problems."""
    return {"detail": detail, "errors": [{"loc": loc or [], "message": detail}]}


async def _respond(send: Send, status: int, detail: str, *, headers: dict[str, str] | None = None, loc: list[str | int] | None = None) -> None:
    body = json.dumps(error_body(status, detail, loc=loc)).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _bearer(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _cookie(headers: dict[str, str]) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    try:
        jar: SimpleCookie = SimpleCookie(raw)
    except Exception:  # a malformed Cookie header is simply no session
        return None
    morsel = jar.get(web_session.COOKIE_NAME)
    return morsel.value if morsel else None


def _equal(a: str, b: str) -> bool:
    return web_session.api_key_matches(a, b)


def authentication_problem(path: str, headers: dict[str, str], keys: GuardKeys, now: Any) -> str | None:
    """None when the request carries the kind of credential its route family needs, else what to send."""
    if not path.startswith("/api/"):
        return None
    token = _bearer(headers)
    if path == WEBHOOK_PATH:
        if keys.webhook_claims(headers.get("authorization", "")) is not None:
            return None
        return WEBHOOK_UNSIGNED
    if path.startswith("/api/agent/"):
        if token is not None:
            if _equal(token, keys.agent_api_key):
                return None
            try:
                credentials.verify(token, secret=keys.secret_key, now=now)
                return None
            except credentials.InvalidCredential:
                pass
        return "send the agent's credential: Authorization: Bearer <token from the dispatch metadata>"
    if token is not None and _equal(token, keys.api_key):
        return None
    if web_session.is_valid(_cookie(headers), secret=keys.secret_key, api_key=keys.api_key, now=now):
        return None
    return "missing or wrong API key; send Authorization: Bearer <DIALER_API_KEY>"


def client_address(scope: Scope) -> str:
    """The peer's address (behind a proxy, run uvicorn with --proxy-headers so that this is the real client)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _has_nul(scope: Scope) -> bool:
    return "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"").lower()


def _repeated_query_parameter(scope: Scope) -> str | None:
    """Every query parameter is a single value: `?state=a&state=b` is ambiguous, not "the last one wins"."""
    seen: set[str] = set()
    raw: bytes = scope.get("query_string", b"")
    for name, _ in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return name
        seen.add(name)
    return None


class RequestGuard:
    """Pure ASGI middleware (it must see the body's messages, which Starlette's BaseHTTPMiddleware hides)."""

    def __init__(self, app: ASGIApp, *, keys: Callable[[], GuardKeys], now: Callable[[], Any], limits: ApiLimits) -> None:
        self.app = app
        self._keys = keys
        self._now = now
        self._limits = limits

    async def _authenticate(self, scope: Scope, path: str, headers: dict[str, str], send: Send) -> bool:
        """False when it has answered already: 429 (this client failed too often, or this credential asks too
        often) or 401. A client past its failure limit gets 429 whatever its credential, so the answer never tells a
        right guess from a wrong one."""
        if path == WEBHOOK_PATH:
            # HMAC-signed by LiveKit, the only sender, about seven times per call: a guess at its secret is hopeless,
            # so the hottest route pays for no counter; the signature is still checked before the body is read, once:
            # the route takes the verified claims (the body's hash) from here.
            claims = self._keys().webhook_claims(headers.get("authorization", ""))
            if claims is None:
                await _respond(send, 401, WEBHOOK_UNSIGNED, headers={"WWW-Authenticate": "Bearer"})
                return False
            scope.setdefault("state", {})[WEBHOOK_CLAIMS] = claims
            return True
        client = client_address(scope)
        problem = authentication_problem(path, headers, self._keys(), self._now())  # no I/O: compare and verify
        credential = _bearer(headers) or _cookie(headers)
        if problem is None and credential and path.startswith("/api/"):
            client_verdict, credential_verdict = await self._limits.admit(client, credential)
        else:
            client_verdict, credential_verdict = await self._limits.client_may_try(client), None
        if not client_verdict.allowed:  # answered before the outcome of the check can be seen
            await _too_many(send, client_verdict, "failed authentications from this client")
            return False
        if problem is not None:
            failure = await self._limits.failed(client)
            if not failure.allowed:
                await _too_many(send, failure, "failed authentications from this client")
            else:
                await _respond(send, 401, problem, headers={"WWW-Authenticate": "Bearer"})
            return False
        if credential_verdict is not None and not credential_verdict.allowed:
            await _too_many(send, credential_verdict, "requests with this credential")
            return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope):
            await _respond(send, 422, "the path or query contains a NUL character (%00); remove it", loc=["path"])
            return
        repeated = _repeated_query_parameter(scope)
        if repeated is not None:
            await _respond(send, 422, f"query parameter {repeated[:50]} is given more than once; give it once", loc=["query", repeated[:50]])
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path: str = scope.get("path", "")
        if path.startswith("/api/") or (path == "/web/login" and scope.get("method") == "POST"):
            try:
                authenticated = await self._authenticate(scope, path, headers, send)
            except Exception as exc:  # the rate limits live in the database
                if not database_unavailable(exc):
                    raise
                log.warning("database unavailable (%s): answered 503", type(exc).__name__)
                await _respond(send, 503, DATABASE_UNAVAILABLE, headers={"Retry-After": "5"})
                return
            if not authenticated:
                return
        limit = body_limit(scope.get("method", "GET"), path)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await _respond(send, 400, "Content-Length is not a number", loc=["header", "content-length"])
                return
            if int(declared) > limit:
                await _respond(send, 413, _too_large(limit), loc=["body"])
                return
        capped = _CappedBody(receive, send, limit)
        try:
            await self.app(scope, capped.receive, capped.send)
        except ClientDisconnect:
            if not capped.refused:
                raise  # a real disconnect; ours was answered with a 413 already


async def _too_many(send: Send, verdict: Verdict, what: str) -> None:
    detail = f"too many {what}; retry after {verdict.retry_after_s} s"
    await _respond(send, 429, detail, headers=retry_after_header(verdict))


def _too_large(limit: int) -> str:
    size = f"{limit // MB} MB" if limit >= MB else f"{limit // KB} KB"
    return f"request body is larger than this route accepts ({size}); send less (split bulk uploads)"


class _CappedBody:
    """Counts the body as it streams. Past the cap it answers 413 itself and tells the app the client has gone (so
    nothing more is read), then drops whatever the app still tries to send."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive = receive
        self._send = send
        self._limit = limit
        self._seen = 0
        self._started = False
        self._refused = False

    @property
    def refused(self) -> bool:
        return self._refused

    async def receive(self) -> Message:
        if self._refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self._seen += len(message.get("body", b""))
            if self._seen > self._limit:
                self._refused = True
                if not self._started:
                    await _respond(self._send, 413, _too_large(self._limit), loc=["body"])
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self._refused:
            return
        if message["type"] == "http.response.start":
            self._started = True
        await self._send(message)
