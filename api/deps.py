"""FastAPI dependencies, as `Annotated` aliases so routes stay one line each."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import bearer_matches, unauthorized
from api.web import session as web_session
from dialer.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="DIALER_API_KEY")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def require_api_key(request: Request, runtime: RuntimeDep, credentials: Credentials) -> None:
    """The bearer API key, or the web pages' signed session cookie (then state changes need the CSRF header)."""
    settings = runtime.settings
    if bearer_matches(credentials, settings.api_key):
        return
    cookie = request.cookies.get(web_session.COOKIE_NAME)
    if not web_session.is_valid(cookie, secret=settings.secret_key, api_key=settings.api_key, now=runtime.clock.now()):
        raise unauthorized()
    if not web_session.csrf_ok(request.method, request.headers):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"signed in with the session cookie: send the header {web_session.CSRF_HEADER}: {web_session.CSRF_VALUE}",
        )


ApiKey = Depends(require_api_key)
