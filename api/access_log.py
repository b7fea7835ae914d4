"""Access log by route template (`/api/dnc/{phone}`), never the raw path: paths can carry phone numbers."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

log = logging.getLogger(__name__)


def _template(request: Request) -> str:
    route = request.scope.get("route")  # set by the router when a route matched
    return str(getattr(route, "path", "<unmatched>"))


def install_access_log(app: FastAPI) -> None:
    @app.middleware("http")
    async def access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "%s %s %d %.1fms", request.method, _template(request), response.status_code, (time.perf_counter() - started) * 1000
        )
        return response
