"""The FastAPI application. `create_app` takes a built Runtime so tests can inject a clock and a database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from livekit.api.access_token import Claims

from api.access_log import install_access_log
from api.deps import webhook_verifier
from api import docs
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.limits import ApiLimitConfig, ApiLimits
from api.request_guard import GuardKeys, RequestGuard
from api.routers import (
    agent, batches, calls, candidates, dnc, events, health, interviews, livekit_webhook, metrics, voice,
)
from api.web import routes as web
from dialer.ratelimit import RateLimiter
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
        docs_url=None,  # api/docs.py serves Swagger UI from the package, under a CSP
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    install_access_log(app)
    settings = runtime.settings
    app.state.limits = ApiLimits(
        limiter=RateLimiter(db=runtime.db, clock=runtime.clock),
        config=ApiLimitConfig.per_minute(
            auth_failures=settings.auth_failures_per_minute, requests=settings.requests_per_minute
        ),
    )
    app.add_middleware(RequestGuard, keys=lambda: _guard_keys(runtime), now=runtime.clock.now, limits=app.state.limits)
    for module in (health, metrics, candidates, interviews, batches, calls, dnc, events, livekit_webhook, agent, voice):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    app.include_router(web.router)
    if runtime.settings.api_docs:
        app.include_router(docs.router)
    return app


def _guard_keys(runtime: Runtime) -> GuardKeys:
    settings = runtime.settings
    return GuardKeys(
        api_key=settings.api_key,
        agent_api_key=settings.agent_api_key,
        secret_key=settings.secret_key,
        webhook_claims=lambda token: _webhook_claims(runtime, token),
    )


def _webhook_claims(runtime: Runtime, token: str) -> Claims | None:
    try:
        return webhook_verifier(runtime.livekit).verify(token)
    except Exception:  # any failure (malformed, wrong key, expired) is the same refusal
        return None
