"""The FastAPI application. `create_app` takes a built Runtime so tests can inject a clock and a database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.access_log import install_access_log
from api.errors import install_error_handlers
from api.routers import agent, batches, calls, candidates, dnc, health, interviews, livekit_webhook, metrics, voice
from api.web import routes as web
from dialer.runtime import Runtime


def create_app(runtime: Runtime, *, manage_runtime: bool = True) -> FastAPI:
    """`manage_runtime`: start/stop the runtime's background work with the app (False when a test drives it)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_runtime:
            await runtime.start()
        try:
            yield
        finally:
            if manage_runtime:
                await runtime.stop()

    app = FastAPI(
        title="Dialer",
        summary="Telephony-first voice-agent dialer for recruiting",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    install_access_log(app)
    for module in (health, metrics, candidates, interviews, batches, calls, dnc, livekit_webhook, agent, voice, web):
        app.include_router(module.router)
    return app
