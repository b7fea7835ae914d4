"""Bearer auth: the recruiters' API key, compared in constant time."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials


def bearer_matches(credentials: HTTPAuthorizationCredentials | None, expected: str) -> bool:
    if credentials is None or credentials.scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.credentials.encode(), expected.encode())


def unauthorized(detail: str = "missing or wrong API key; send Authorization: Bearer <DIALER_API_KEY>") -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )
