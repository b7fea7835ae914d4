"""The recruiter's system in tests: a loopback HTTP receiver for the dialer's signed webhooks."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from dialer_testing.loopback import LoopbackServer


class Receiver:
    """The recruiter's system: records each delivery; answers with the next scripted status (200 when none)."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, Any], bytes, dict[str, str]]] = []
        self.statuses: list[int] = []
        self.url = ""
        self._server = LoopbackServer()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self.url = f"{await self._server.start(app)}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.deliveries.append((json.loads(body), body, dict(request.headers)))
        return web.Response(status=status)

    async def stop(self) -> None:
        await self._server.stop()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [d for d, _, _ in self.deliveries if d["type"] == kind]
