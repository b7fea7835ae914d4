"""Access-token checks as LiveKit does them, so a token missing a grant fails here before production.

The token is verified with the client library's own ``TokenVerifier`` (HS256, issuer = API key,
``exp`` required); each route names the grants it needs as an ``Authorizer``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from livekit.api import TokenVerifier
from livekit.api.access_token import Claims

from .errors import TwirpError

Authorizer = Callable[[Claims, Any], None]


def authenticate(authorization: str | None, verifier: TokenVerifier) -> Claims:
    """Claims of a valid ``Bearer`` token; anything else is 401 unauthenticated."""
    if not authorization:
        raise TwirpError("unauthenticated", "authorization header is missing")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TwirpError("unauthenticated", "authorization header must be 'Bearer <token>'")
    try:
        return verifier.verify(token.strip())
    except Exception as exc:  # jwt raises many types; all mean "not a token we signed"
        raise TwirpError("unauthenticated", f"invalid token: {type(exc).__name__}") from None


def _denied(what: str) -> TwirpError:
    return TwirpError("permission_denied", f"permissions denied: {what} grant required")


def room_create(claims: Claims, _request: Any) -> None:
    if not (claims.video and claims.video.room_create):
        raise _denied("video.roomCreate")


def room_list(claims: Claims, _request: Any) -> None:
    if not (claims.video and claims.video.room_list):
        raise _denied("video.roomList")


def room_admin(room_of: Callable[[Any], str]) -> Authorizer:
    """roomAdmin, and when the token names a room it must be the request's room."""

    def check(claims: Claims, request: Any) -> None:
        video = claims.video
        if not (video and video.room_admin):
            raise _denied("video.roomAdmin")
        if video.room and video.room != room_of(request):
            raise TwirpError("permission_denied", "permissions denied: token is for another room")

    return check


def sip_call(claims: Claims, _request: Any) -> None:
    if not (claims.sip and claims.sip.call):
        raise _denied("sip.call")


def sip_admin(claims: Claims, _request: Any) -> None:
    if not (claims.sip and claims.sip.admin):
        raise _denied("sip.admin")


def all_of(*checks: Authorizer) -> Authorizer:
    def check(claims: Claims, request: Any) -> None:
        for one in checks:
            one(claims, request)

    return check
