"""One way to serve a test's own aiohttp application on 127.0.0.1 at a free port, and stop it.

Fakes of the dialer, of LiveKit's Twirp methods, of the recruiter's webhook receiver and of OpenAI each need a
loopback server; this is the one place that knows how aiohttp starts and reports its port.
"""

from __future__ import annotations

from aiohttp import web


class LoopbackServer:
    """`url = await server.start(app)` serves `app` on 127.0.0.1 (a port the kernel picks); `stop()` ends it."""

    def __init__(self) -> None:
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self, app: web.Application) -> str:
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
