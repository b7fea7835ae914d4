"""The recruiter's system in tests: a loopback HTTP receiver for the dialer's signed webhooks."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class Receiver:
    """The recruiter's system: records each delivery; answers with the next scripted status (200 when none)."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, Any], bytes, dict[str, str]]] = []
        self.statuses: list[int] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.deliveries.append((json.loads(body), body, dict(request.headers)))
        return web.Response(status=status)

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [d for d, _, _ in self.deliveries if d["type"] == kind]
