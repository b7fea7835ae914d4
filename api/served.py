"""`dialer serve`'s ASGI application: at start-up, LiveKit first (LIVEKIT_URL, or the built-in sandbox started on
loopback), then the runtime built on its address, then the API on that runtime; at shut-down, the reverse.

So nothing is patched after start: every part is constructed with the real LiveKit address. Requests are served by
the FastAPI app `create_app` builds, once start-up has completed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

from api.app import create_app
from config.settings import Settings
from dialer.livekit_target import livekit_for
from dialer.runtime import Runtime

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ServedApp:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self._app is None:  # the server accepts requests only after start-up completed
            raise RuntimeError("the dialer has not started")
        await self._app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        started = False
        try:
            async with livekit_for(self._settings) as livekit:
                app = create_app(Runtime.build(self._settings, livekit=livekit))  # starts and stops the runtime
                async with app.router.lifespan_context(app):
                    self._app = app
                    started = True
                    await send({"type": "lifespan.startup.complete"})
                    await receive()  # lifespan.shutdown
                    self._app = None
        except Exception as exc:
            log.exception("the dialer could not %s cleanly", "stop" if started else "start")
            await send({"type": f"lifespan.{'shutdown' if started else 'startup'}.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.shutdown.complete"})
