"""Scoped credentials for the agent: each one opens the API for one call (or one interview) until it expires.

Format `v1.<scope>.<subject>.<expires unix>.<hmac>`, HMAC-SHA256 with DIALER_SECRET_KEY. They travel only in the agent
dispatch metadata (never in participant attributes or room metadata, which every participant can read).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta


class InvalidCredential(Exception):
    pass


@dataclass(frozen=True)
class Scope:
    kind: str  # "call" | "interview"
    subject: str  # the call id or interview id


def _sign(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(scope: Scope, *, secret: str, now: datetime, ttl: timedelta) -> str:
    expires = int((now + ttl).timestamp())
    payload = f"v1.{scope.kind}.{scope.subject}.{expires}"
    return f"{payload}.{_sign(secret, payload)}"


def verify(token: str, *, secret: str, now: datetime) -> Scope:
    parts = token.split(".")
    if len(parts) != 5 or parts[0] != "v1":
        raise InvalidCredential("malformed credential")
    payload = ".".join(parts[:4])
    if not hmac.compare_digest(parts[4], _sign(secret, payload)):
        raise InvalidCredential("bad signature")
    if not parts[3].isdigit() or int(parts[3]) < now.timestamp():
        raise InvalidCredential("expired credential")
    return Scope(kind=parts[1], subject=parts[2])
