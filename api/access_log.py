"""Access log by route template (`/api/dnc/{phone}`), never the raw path: paths can carry phone numbers.

A pure ASGI middleware: Starlette's `@app.middleware("http")` (BaseHTTPMiddleware) runs each request in a task group
of its own with memory streams between the layers, which cost more CPU than the webhook route it wrapped (LiveKit
sends about seven webhooks per call).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _template(scope: Scope) -> str:
    route = scope.get("route")  # set by the router when a route matched
    return str(getattr(route, "path", "<unmatched>"))


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            log.info("%s %s %d %.1fms", scope.get("method"), _template(scope), status, (time.perf_counter() - started) * 1000)


def install_access_log(app: FastAPI) -> None:
    app.add_middleware(AccessLog)
