"""FastAPI dependencies, as `Annotated` aliases so routes stay one line each."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import bearer_matches, unauthorized
from dialer.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="DIALER_API_KEY")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def require_api_key(runtime: RuntimeDep, credentials: Credentials) -> None:
    if not bearer_matches(credentials, runtime.settings.api_key):
        raise unauthorized()


ApiKey = Depends(require_api_key)
